# shellcheck shell=bash
# Sourced by the other scripts: puts the repository's virtual environment (.venv/,
# made by `make deps` with Debian's python3) first on PATH, so that python3,
# ansible-*, pytest, molecule and ansible-lint are the versions of constraints.txt
# whichever python3 the caller has first.
__repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -x "$__repo/.venv/bin/python3" ]; then
  echo "$__repo/.venv does not exist: run \`make deps\` first (it makes it with Debian's python3)" >&2
  exit 1
fi
case "$PATH" in
  "$__repo/.venv/bin:"*) ;;
  *) PATH="$__repo/.venv/bin:$PATH" ;;
esac
export PATH VIRTUAL_ENV="$__repo/.venv"
unset __repo
