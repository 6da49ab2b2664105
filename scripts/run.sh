#!/usr/bin/env bash
# First command: install everything and serve the app on the bundled sample (http://127.0.0.1:8050/).
# Arguments go to app.py, e.g. scripts/run.sh --embeddings X.npy --metadata M.tsv
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python app.py "$@"
