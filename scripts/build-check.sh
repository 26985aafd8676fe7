#!/usr/bin/env bash
# Build the collection tarball, install it into a scratch path, and check that
# ansible-doc lists its modules and renders each one from the installed copy.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/dist
rm -rf "$out"; mkdir -p "$out"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$(ls "$out"/edgestack-glance_ceph-*.tar.gz)
echo "built $tarball ($(du -k "$tarball" | cut -f1) KiB)"
if tar -tzf "$tarball" | grep -E '(^|/)(\.git|build|\.ansible|inventories/lab/[a-z0-9]+)/' ; then
  echo "the tarball carries files it should not (above)"; exit 1
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
ansible-galaxy collection install --force --no-deps -p "$scratch" "$tarball" >/dev/null 2>&1
printf "[defaults]\ncollections_path = %s\n" "$scratch" > "$scratch/ansible.cfg"
export ANSIBLE_CONFIG="$scratch/ansible.cfg"
listing=$(cd "$scratch" && ansible-doc -l edgestack.glance_ceph)
echo "$listing"
modules=$(ls plugins/modules/*.py | xargs -n1 basename | sed 's/\.py$//')
for m in $modules; do
  echo "$listing" | grep -q "^edgestack.glance_ceph.$m " || { echo "ansible-doc does not list $m"; exit 1; }
  (cd "$scratch" && ansible-doc "edgestack.glance_ceph.$m" >/dev/null) || { echo "ansible-doc cannot render $m"; exit 1; }
done
(cd "$scratch" && ansible-doc -t filter -l edgestack.glance_ceph)
(cd "$scratch" && ansible-doc -t role -l edgestack.glance_ceph)
echo "collection build: ok"
