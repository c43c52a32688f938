#!/usr/bin/env bash
# Set up and run the lint and the tests. CI runs exactly this (.ci/run).
#  - a virtualenv in .venv with requirements-dev.txt (the package, its SDKs, pytest, ruff);
#  - Debian's chromium, when missing: the HTML attribution report is checked in a real headless browser.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the HTML report test" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo -n"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q -r requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/python -m pytest -n 4 "$@"
