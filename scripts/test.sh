#!/usr/bin/env bash
# Second command: install everything the tests need (Python packages, Debian's chromium and
# chromium-driver) and run the whole suite, browser tests included, headless.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export DASH_TEST_CHROMEPATH="$(command -v chromium)"
exec .venv/bin/python -m pytest --headless -p no:logging "$@"
