#!/usr/bin/env bash
# Install the Debian packages of the given bindep.txt profiles (default: lab and test),
# quickly when they are there:  scripts/install-debian.sh [PROFILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(lab test)
mapfile -t pkgs < <(sed -e 's/#.*//' bindep.txt | awk -v want="${profiles[*]}" '
  NF && /\[.*platform:dpkg.*\]/ {
    sel = $0; sub(/^[^[]*\[/, "", sel); sub(/\].*$/, "", sel)
    n = split(sel, tags, " "); m = split(want, w, " ")
    for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (tags[i] == w[j]) { print $1; next }
  }' | sort -u)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Debian packages (${profiles[*]}): all ${#pkgs[@]} installed"
  exit 0
fi
echo "Debian packages (${profiles[*]}): installing ${missing[*]}"
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
echo "Debian packages (${profiles[*]}): done"
