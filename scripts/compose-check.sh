#!/usr/bin/env bash
# Validates docker-compose.yml without a Docker engine: scripts/compose-check/ loads it with compose-go, the loader
# `docker compose` itself uses, so schema errors (unknown keys, wrong types) and consistency errors (undefined
# services in depends_on, undefined volumes/networks, dependency cycles) fail here instead of at `docker compose up`.
#
#   scripts/compose-check.sh [path/to/compose.yml]      (default: the repo's docker-compose.yml)
#
# Needs Go >= 1.24. The first run downloads the loader into the Go module cache and compiles it (tens of seconds);
# later runs reuse Go's build cache and take about a second. Exit status: 0 valid, 1 invalid, 2 usage/setup error.
# The binary goes to $SAGA_CACHE/bin (same cache as scripts/stack.sh); `go build` itself decides whether it is stale.
SAGA_LOG_TAG=compose-check SAGA_DIE_STATUS=2
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="$SAGA_ROOT"
CHECKER="$ROOT/scripts/compose-check"
BIN="$SAGA_CACHE/bin/compose-check"
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

(($# <= 1)) || die "usage: $0 [path/to/compose.yml]"
file="${1:-$ROOT/docker-compose.yml}"
[[ -f "$file" ]] || die "no such file: $file"
# Absolute, because the checker runs from its own module folder.
file="$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"

command -v go >/dev/null || die "go not found on PATH (Go >= 1.24 is needed to build the checker)"
loader="$(awk '$1 == "require" && $2 ~ /compose-go/ { print $3 }' "$CHECKER/go.mod")"
log "checking $file with compose-go $loader ($(go env GOVERSION))"

start=$(now_ms)
mkdir -p "$(dirname "$BIN")"
# go.sum pins every module and -mod=readonly (the default) refuses to change it: CI builds exactly what was reviewed.
# -buildvcs=false: stamping git metadata fails in checkouts owned by another user (common in CI containers).
(cd "$CHECKER" && go build -buildvcs=false -o "$BIN" .) || die "could not build the checker in $CHECKER"
log "checker built in $(($(now_ms) - start)) ms"

status=0
"$BIN" "$file" || status=$?
if ((status == 0)); then log "ok"; else log "docker-compose check failed (exit $status)"; fi
exit "$status"
