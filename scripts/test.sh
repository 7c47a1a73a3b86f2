#!/usr/bin/env bash
# One command to run the tests: set up .venv with test extras, Chromium for the browser tests, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh "[test]"
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
export QBANK_CHROMIUM=${QBANK_CHROMIUM:-/usr/bin/chromium}
exec .venv/bin/python -m pytest "$@"
