#!/usr/bin/env bash
# Installs what the app needs into .venv (and, with --test, what the tests need: Debian's chromium
# and chromium-driver for the browser tests, redis-server for the Celery tests). Safe to run again:
# it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extra=""
if [ "${1:-}" = "--test" ]; then
  extra="[test]"
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v redis-server >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver redis-server >/dev/null
  fi
fi
stamp=".venv/.installed$extra"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extra"
  touch "$stamp"
fi
# numba compiles the analyses' code once into its cache on disk (~40 s; again only when projector/ changes)
warm=".venv/.numba-compiled"
if [ ! -f "$warm" ] || [ -n "$(find projector -name '*.py' -newer "$warm" -print -quit)" ]; then
  echo "Compiling the analyses' numba code once (about a minute)…"
  if .venv/bin/python -m projector.warmup; then touch "$warm"; fi
fi
