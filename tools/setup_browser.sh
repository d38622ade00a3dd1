#!/usr/bin/env bash
# Install what the browser tests need, where this machine allows it: Debian's chromium (Playwright
# drives it; its own browser downloads are not used) and axe-core from npm. Never fails the build:
# without them, the browser tests skip and print the reason.
set -u
if [[ ! -x /usr/bin/chromium ]]; then
  if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    echo "Installing Debian's chromium for the browser tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "Could not install chromium: the browser tests will be skipped."
  else
    echo "No /usr/bin/chromium and no root apt-get: the browser tests will be skipped."
  fi
fi
if [[ -f tests/e2e/package.json && ! -f tests/e2e/node_modules/axe-core/axe.min.js ]]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --prefix tests/e2e --no-audit --no-fund --silent \
      || echo "Could not install axe-core: the accessibility test will be skipped."
  else
    echo "No npm: the accessibility test will be skipped."
  fi
fi
exit 0
