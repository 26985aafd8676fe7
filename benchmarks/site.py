# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: wall time of site.yml, first run and no-change re-run, with 1, 2 and 3 edge sites.

Each first run starts from a freshly built lab (`lab.py down` then
`lab.py up --edge-sites N`), as an operator's first converge would.
It prints figures; it asserts nothing. Run as root on a machine that can run the lab:

    python3 benchmarks/site.py [--edges 1 2 3]
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
    parser.add_argument("--edges", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0"}
    rows = []
    for edges in args.edges:
        subprocess.run([*LAB, "down"], cwd=REPO, capture_output=True, check=True)
        up_s, proc = timed([*LAB, "up", "--edge-sites", str(edges)])
        if proc.returncode != 0:
            sys.exit(f"lab up failed: {proc.stderr}")
        inv = []
        for site in ["central"] + [f"dcn{n}" for n in range(edges)]:
            inv += ["-i", f"inventories/lab/{site}"]
        first_s, first = timed(["ansible-playbook", "playbooks/site.yml", *inv], env)
        again_s, again = timed(["ansible-playbook", "playbooks/site.yml", *inv], env)
        rows.append((edges, up_s, first_s, first.returncode, changed_total(first.stdout),
                     again_s, again.returncode, changed_total(again.stdout)))
        print(f"edges={edges}: lab up {up_s:.1f}s, site.yml first {first_s:.1f}s (rc={first.returncode}, "
              f"changed={changed_total(first.stdout)}), re-run {again_s:.1f}s (rc={again.returncode}, "
              f"changed={changed_total(again.stdout)})", flush=True)
    print()
    print("| edge sites | lab up (s) | site.yml first run (s) | changed | no-change re-run (s) | changed |")
    print("| --- | --- | --- | --- | --- | --- |")
    for edges, up_s, first_s, _rc1, ch1, again_s, _rc2, ch2 in rows:
        print(f"| {edges} | {up_s:.1f} | {first_s:.1f} | {ch1} | {again_s:.1f} | {ch2} |")


if __name__ == "__main__":
    main()
