#!/usr/bin/env bash
# Set up and run the lint and the tests. CI runs exactly this (.ci/run).
#  - a virtualenv in .venv with requirements-dev.txt (the package, its SDKs, pytest, ruff);
#  - Debian's chromium, when missing: the HTML attribution report is checked in a real headless browser;
#  - the unit tests, then the engine tests (tests/engine, marker `engine`) under the real Pulumi CLI, which
#    scripts/pulumi-toolchain.sh builds once into a cache outside the clone when Go is there (about 5 minutes the
#    first time). Without Go or a CLI the engine tests are skipped with one line saying how to get one; with
#    CI=true they fail instead.
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
.venv/bin/python -m pytest -n 4 -m "not engine" "$@"
if command -v go >/dev/null 2>&1 && ! command -v pulumi >/dev/null 2>&1; then
  bash scripts/pulumi-toolchain.sh >/dev/null
fi
status=0
.venv/bin/python -m pytest -n 2 --dist loadfile -m engine "$@" || status=$?
[ "$status" = 0 ] || [ "$status" = 5 ] || exit "$status"   # 5: no engine tests ran (no CLI here, said in one line)
