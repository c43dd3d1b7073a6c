#!/usr/bin/env bash
# Chromium for the browser tests (test/e2e/browser.test.ts, driven by playwright-core): Debian's `chromium` package,
# since no browser download works here. Installed once with apt-get when /usr/bin/chromium is missing (needs root).
# Sourced after scripts/lib.sh, never executed; defines functions only.

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

chromium_provision() {
  [[ -x "$CHROMIUM_PATH" ]] && return 0
  [[ "$(id -u)" == 0 ]] || die "Chromium is missing at $CHROMIUM_PATH: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH"
  step "chromium: apt-get install chromium" "$SAGA_LOGS/chromium-install.log" \
    sh -c 'apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium ||
           { apt-get -o DPkg::Lock::Timeout=600 update && apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium; }' ||
    die "could not install chromium (log: $SAGA_LOGS/chromium-install.log)"
}
