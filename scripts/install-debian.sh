#!/usr/bin/env bash
# Install the Debian packages listed in bindep.txt (profile [lab]), quickly when they are there.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t pkgs < <(sed -e 's/#.*//' bindep.txt | awk 'NF && /\[.*lab.*\]/ {print $1}')
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Debian packages: all ${#pkgs[@]} installed"
  exit 0
fi
echo "Debian packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages must not start their services on the machine itself: the lab starts them in its hosts.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 0755 "$policy"; created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
# --force-unsafe-io: dpkg skips an fsync per unpacked file (minutes on a fresh machine).
apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  -o Dpkg::Options::=--force-unsafe-io \
  "${missing[@]}" >/dev/null
echo "Debian packages: done"
