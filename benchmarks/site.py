# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: site.yml on real daemons, first run and no-change re-run, by number of edge sites.

Each size starts from a freshly built lab (`lab.py down` then
`lab.py up --edge-sites N`), as an operator's first converge would. For each
size it prints the lab's bring-up time and resident memory (every Ceph, Glance,
Keystone and HAProxy daemon of the lab), site.yml's first run and its
no-change re-run, `ansible all -m ping` over the same overlays, and the growth
per added edge site between sizes. It prints figures; it asserts nothing. Run as
root on a machine that can run the lab (the lab holds up to 9 edge sites):

    python3 benchmarks/site.py [--edges 2 8]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAB = [sys.executable, str(REPO / "lab" / "lab.py")]


def timed(argv, env=None):
    t0 = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=env, check=False)
    return time.monotonic() - t0, proc


def changed_total(stdout):
    return sum(int(n) for n in re.findall(r"changed=(\d+)", stdout))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edges", type=int, nargs="+", default=[2, 8])
    args = parser.parse_args()
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0"}
    rows = []
    for edges in args.edges:
        subprocess.run([*LAB, "down"], cwd=REPO, capture_output=True, check=True)
        up_s, proc = timed([*LAB, "up", "--edge-sites", str(edges)])
        if proc.returncode != 0:
            sys.exit(f"lab up failed: {proc.stderr}")
        rss = re.search(r"RSS_MIB=(\d+)", proc.stdout + proc.stderr)
        rss_mib = int(rss.group(1)) if rss else 0
        inv = []
        for site in ["central"] + [f"dcn{n}" for n in range(edges)]:
            inv += ["-i", f"inventories/lab/{site}"]
        first_s, first = timed(["ansible-playbook", "playbooks/site.yml", *inv], env)
        again_s, again = timed(["ansible-playbook", "playbooks/site.yml", *inv], env)
        ping_s, _ping = timed(["ansible", "all", "-m", "ansible.builtin.ping", *inv], env)
        hosts = len(re.findall(r"^\S+\s+: ok=", again.stdout, re.M))
        rows.append((edges, hosts, up_s, rss_mib, first_s, first.returncode, changed_total(first.stdout),
                     again_s, again.returncode, changed_total(again.stdout), ping_s))
        print(f"edges={edges}: lab up {up_s:.1f}s RSS {rss_mib} MiB, site.yml first {first_s:.1f}s "
              f"(rc={first.returncode}, changed={changed_total(first.stdout)}), re-run {again_s:.1f}s "
              f"(rc={again.returncode}, changed={changed_total(again.stdout)}), ping {ping_s:.1f}s", flush=True)
    print()
    print("| edge sites | hosts | lab up (s) | lab RSS (MiB) | site.yml first run (s) | changed "
          "| no-change re-run (s) | changed | ping (s) | re-run / ping |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for edges, hosts, up_s, rss_mib, first_s, rc1, ch1, again_s, rc2, ch2, ping_s in rows:
        print(f"| {edges} | {hosts} | {up_s:.1f} | {rss_mib} | {first_s:.1f}{'' if rc1 == 0 else f' (rc={rc1})'} | {ch1} "
              f"| {again_s:.1f}{'' if rc2 == 0 else f' (rc={rc2})'} | {ch2} | {ping_s:.1f} | {again_s / ping_s:.1f} |")
    for (e0, _h0, _u0, m0, f0, _r0, _c0, a0, *_rest0), (e1, _h1, _u1, m1, f1, _r1, _c1, a1, *_rest1) in zip(rows, rows[1:]):
        added = e1 - e0
        if added > 0:
            print(f"\nper edge site added ({e0} -> {e1}): first run {(f1 - f0) / added:+.1f}s, "
                  f"no-change re-run {(a1 - a0) / added:+.1f}s, lab RSS {(m1 - m0) / added:+.0f} MiB")
    print(f"\nload average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
