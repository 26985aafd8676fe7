#!/usr/bin/env bash
# The main job on the lab: `make demo` runs it once the lab is up.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/venv.sh
source scripts/venv.sh
export ANSIBLE_CONFIG="$PWD/lab/ansible.cfg"
inv=()
for s in $(python3 lab/lab.py sites); do inv+=(-i "inventories/lab/$s"); done
if [ ! -f playbooks/site.yml ]; then
  echo "The lab is up (python3 lab/lab.py status). playbooks/site.yml does not exist yet: stopping here."
  exit 0
fi
ansible-playbook playbooks/site.yml "${inv[@]}"
ansible-playbook lab/demo.yml "${inv[@]}"
