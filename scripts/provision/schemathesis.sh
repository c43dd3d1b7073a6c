#!/usr/bin/env bash
# Schemathesis: the property-based API fuzzer that test/e2e/api-fuzz.test.ts runs against /openapi.json.
# Sourced after scripts/lib.sh, never executed; defines functions only.
#
# Installed from PyPI into its own venv ($SAGA_CACHE/schemathesis/venv) with the host's python3 (>= 3.10). Pinned:
# schemathesis itself, and Hypothesis, the engine that turns --seed into test cases (same seed, same pins, same
# requests); its other dependencies follow schemathesis's own version ranges.
# Stable entry point for the rest of the stack: $SAGA_CACHE/bin/schemathesis (the `st` command).

SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
SCHEMATHESIS_HYPOTHESIS_VERSION="${SCHEMATHESIS_HYPOTHESIS_VERSION:-6.170.17}"

_schemathesis_home() { echo "$SAGA_CACHE/schemathesis"; }
_schemathesis_venv() { echo "$SAGA_CACHE/schemathesis/venv"; }
_schemathesis_pins() { echo "schemathesis==$SCHEMATHESIS_VERSION hypothesis==$SCHEMATHESIS_HYPOTHESIS_VERSION"; }
schemathesis_path() { echo "$SAGA_CACHE/bin/schemathesis"; }

schemathesis_provision() {
  local home venv pins
  home=$(_schemathesis_home); venv=$(_schemathesis_venv); pins=$(_schemathesis_pins)
  mkdir -p "$home" "$SAGA_CACHE/bin"
  venv_provision schemathesis "$home" "$venv" "$pins" bin/st || return 1

  # The console script must stay where pip put it (its shebang names the venv's python), so the stable path is a
  # link to it, replaced by a rename (atomic: a concurrent reader never sees a missing link).
  local link; link=$(schemathesis_path)
  if [[ "$(readlink "$link" 2>/dev/null)" != "$venv/bin/st" ]]; then
    ln -sfn "$venv/bin/st" "$link.tmp.$$" && mv -Tf "$link.tmp.$$" "$link"
  fi
}
