#!/usr/bin/env bash
# One command to run qbank: set up .venv, build the index of the bundled corpus if needed, serve the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/qbank serve "$@"
