#!/usr/bin/env bash
# ansible-test sanity on a copy of the tracked files at ansible_collections/edgestack/glance_ceph
# (ansible-test needs that path), after shellcheck on the scripts. Ignore entries, each with
# its reason, are in tests/sanity/.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/venv.sh
source scripts/venv.sh
# The shell scripts, with shellcheck's defaults and its sourced files followed
# (ansible-test's own shellcheck run skips some checks and files outside the collection).
command -v shellcheck >/dev/null || { echo "shellcheck is missing: make deps (bindep.txt, test profile)"; exit 1; }
shellcheck -x scripts/*.sh .ci/run
echo "shellcheck: scripts/*.sh .ci/run clean"
work=build/sanity/ansible_collections/edgestack/glance_ceph
rm -rf build/sanity
mkdir -p "$work"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$work"
# ansible-test bootstraps pip in its venvs with a script from outside the package
# registries; give it a local one that uses ensurepip and the package index.
pipver=$(python3 -c 'import ansible_test, os, re
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip=.([0-9.]+).,", src).group(1))')
if [ -n "$pipver" ]; then
  mkdir -p ~/.ansible/test/cache
  cp scripts/ansible-test-get-pip.py "$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
fi
cd "$work"
git init -q . && git add -A >/dev/null 2>&1 && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
ansible-test sanity --python "$py" --requirements --color no "$@"
