#!/usr/bin/env bash
# `make lock`: resolve requirements-dev.txt (which includes requirements.txt) afresh
# in a scratch virtual environment made by Debian's python3, and write every
# resolved version to constraints.txt. `make deps` installs with those versions.
set -euo pipefail
cd "$(dirname "$0")/.."
system_python=${SYSTEM_PYTHON:-/usr/bin/python3}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$system_python" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install -q --disable-pip-version-check --no-compile -r requirements-dev.txt
{
  echo "# Every Python package of the toolchain, at the version the project tests with."
  echo "# Written by \`make lock\` (scripts/lock.sh) from requirements-dev.txt with"
  echo "# $("$system_python" -c 'import sys; print("Python %d.%d" % sys.version_info[:2])') (Debian 12's python3); do not edit by hand."
  "$scratch/venv/bin/python" -m pip freeze --disable-pip-version-check --exclude-editable | LC_ALL=C sort -f
} > constraints.txt.new
mv constraints.txt.new constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) packages pinned"
