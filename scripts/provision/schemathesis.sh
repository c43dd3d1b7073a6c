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

_schemathesis_installed() {
  local venv; venv=$(_schemathesis_venv)
  [[ -f "$venv/.saga-installed" && "$(cat "$venv/.saga-installed")" == "$(_schemathesis_pins)" &&
    -x "$venv/bin/st" ]] && "$venv/bin/python" -c '' 2>/dev/null
}

schemathesis_provision() {
  local home venv pins
  home=$(_schemathesis_home); venv=$(_schemathesis_venv); pins=$(_schemathesis_pins)
  mkdir -p "$home" "$SAGA_CACHE/bin"

  if ! _schemathesis_installed; then
    # Serialise concurrent provisioning (two scripts racing on one venv would corrupt it).
    local lockfd
    exec {lockfd}>"$home/.provision.lock"
    flock "$lockfd"
    if ! _schemathesis_installed; then
      # A venv whose interpreter vanished (e.g. the pyenv version was removed) is rebuilt.
      if [[ -d "$venv" ]] && ! "$venv/bin/python" -c '' 2>/dev/null; then
        warn "schemathesis venv at $venv is broken; recreating"
        rm -rf "$venv"
      fi
      if [[ ! -x "$venv/bin/python" ]]; then
        step "schemathesis: create venv" "$SAGA_LOGS/schemathesis-venv.log" python3 -m venv --without-pip "$venv" ||
          { exec {lockfd}>&-; return 1; }
      fi
      # As for temporal.sh: the host's pip installs into the venv through --python (pip >= 22.3), else the venv's own.
      local pip=(python3 -m pip --python "$venv/bin/python")
      if ! "${pip[@]}" --version >/dev/null 2>&1; then
        pip=("$venv/bin/python" -m pip)
        if ! "${pip[@]}" --version >/dev/null 2>&1; then
          step "schemathesis: ensurepip" "$SAGA_LOGS/schemathesis-ensurepip.log" "$venv/bin/python" -m ensurepip ||
            { exec {lockfd}>&-; return 1; }
        fi
      fi
      rm -f "$venv/.saga-installed"
      # shellcheck disable=SC2086 # $pins is a list of requirement specifiers
      step "schemathesis: pip install $pins" "$SAGA_LOGS/schemathesis-pip.log" \
        "${pip[@]}" install --no-cache-dir --disable-pip-version-check --no-input $pins ||
        { exec {lockfd}>&-; return 1; }
      if [[ ! -x "$venv/bin/st" ]]; then
        exec {lockfd}>&-
        warn "schemathesis: pip succeeded but $venv/bin/st is missing"
        return 1
      fi
      echo "$pins" >"$venv/.saga-installed"
    fi
    exec {lockfd}>&-
  fi

  # The console script must stay where pip put it (its shebang names the venv's python), so the stable path is a
  # link to it, replaced by a rename (atomic: a concurrent reader never sees a missing link).
  local link; link=$(schemathesis_path)
  if [[ "$(readlink "$link" 2>/dev/null)" != "$venv/bin/st" ]]; then
    ln -sfn "$venv/bin/st" "$link.tmp.$$" && mv -Tf "$link.tmp.$$" "$link"
  fi
}
