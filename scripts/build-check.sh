#!/usr/bin/env bash
# Build the collection tarball, check that it carries no development files, install
# it into an empty collections path (as AWX or a user would), and check that
# ansible-doc lists and renders every module, filter and role from the installed copy.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/venv.sh
source scripts/venv.sh
out=build/dist
rm -rf "$out"; mkdir -p "$out"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$(ls "$out"/edgestack-glance_ceph-*.tar.gz)
echo "built $tarball ($(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | grep -vc '/$') files)"
if tar -tzf "$tarball" | grep -E '^(\.|build/|lab/|molecule/|tests/|scripts/|benchmarks/|inventories/lab/|Makefile$|ansible\.cfg$|constraints\.txt$|requirements-dev\.txt$)' ; then
  echo "the tarball carries development files (above): add them to galaxy.yml's build_ignore"; exit 1
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf "[defaults]\ncollections_path = %s\n" "$scratch" > "$scratch/ansible.cfg"
export ANSIBLE_CONFIG="$scratch/ansible.cfg"
unset PYTHONPATH
ansible-galaxy collection install --force --offline --no-deps -p "$scratch" "$tarball" >/dev/null 2>&1
test -f "$scratch/ansible_collections/edgestack/glance_ceph/MANIFEST.json"
cd "$scratch"
# The listings are searched as here-strings, not through a pipe: with pipefail, `echo | grep -q`
# fails at random when grep stops reading at its match before echo has written every line.
listing=$(ansible-doc -l edgestack.glance_ceph)
echo "$listing"
modules=$(find ansible_collections/edgestack/glance_ceph/plugins/modules -maxdepth 1 -name '*.py' ! -name '__init__.py' -printf '%f\n' | sed 's/\.py$//' | sort)
for m in $modules; do
  grep -q "^edgestack.glance_ceph.$m " <<< "$listing" || { echo "ansible-doc does not list $m"; exit 1; }
  ansible-doc "edgestack.glance_ceph.$m" >/dev/null || { echo "ansible-doc cannot render $m"; exit 1; }
done
filters=$(ansible-doc -t filter -l edgestack.glance_ceph)
echo "$filters"
for f in $(echo "$filters" | awk '{print $1}'); do
  ansible-doc -t filter "$f" >/dev/null || { echo "ansible-doc cannot render filter $f"; exit 1; }
done
roles=$(ansible-doc -t role -l edgestack.glance_ceph)
echo "$roles"
for r in $(find ansible_collections/edgestack/glance_ceph/roles -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort); do
  grep -qE "^edgestack.glance_ceph.$r(:| )" <<< "$roles" || { echo "ansible-doc does not list role $r"; exit 1; }
  ansible-doc -t role "edgestack.glance_ceph.$r" >/dev/null || { echo "ansible-doc cannot render role $r"; exit 1; }
done
echo "collection build: ok ($(echo "$modules" | wc -w) modules, $(echo "$filters" | grep -c .) filters, $(echo "$roles" | grep -c '^edgestack.*:$') roles)"
