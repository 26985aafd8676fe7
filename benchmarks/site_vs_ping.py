# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: a no-change site.yml on the running lab beside `ansible all -m ping` over the same overlays.

Both run in one go, against the lab's inventory (`lab.py status --json`); site.yml
runs once first so that the timed run changes nothing. It prints wall and CPU
seconds (user + system of ansible and its workers, which hold on a busy machine)
and asserts nothing. Run from the repository root, with the lab up:

    python3 benchmarks/site_vs_ping.py [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(argv, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2, help="timed runs of each")
    args = parser.parse_args()
    status = subprocess.run([sys.executable, str(REPO / "lab" / "lab.py"), "status", "--json"], cwd=REPO,
                            capture_output=True, text=True, check=False)
    if status.returncode != 0:
        sys.exit("the lab is not up: python3 lab/lab.py up")
    inventory = []
    for path in json.loads(status.stdout)["inventory"]:
        inventory += ["-i", path]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0",
           "PYTHONPATH": str(REPO / "build" / "collections")}
    site = ["ansible-playbook", "playbooks/site.yml", *inventory]
    ping = ["ansible", "all", "-m", "ansible.builtin.ping", *inventory]
    _wall, _cpu, first = timed(site, env)
    if first.returncode != 0:
        sys.exit(f"site.yml failed:\n{first.stdout[-3000:]}")
    rows = []
    for _run in range(args.runs):
        p_wall, p_cpu, _proc = timed(ping, env)
        s_wall, s_cpu, proc = timed(site, env)
        changed = sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout))
        tasks = sum(int(n) for n in re.findall(r"ok=(\d+)", proc.stdout))
        # Every task result, skipped ones too: each costs a worker process per host.
        results = tasks + sum(int(n) for n in re.findall(r"skipped=(\d+)", proc.stdout))
        rows.append((p_wall, p_cpu, s_wall, s_cpu, changed, tasks, results, proc.returncode))
    print("| ping wall (s) | ping CPU (s) | site.yml wall (s) | site.yml CPU (s) | wall ratio | CPU ratio | changed "
          "| ok tasks | task results |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for p_wall, p_cpu, s_wall, s_cpu, changed, tasks, results, rc in rows:
        print(f"| {p_wall:.1f} | {p_cpu:.1f} | {s_wall:.1f} | {s_cpu:.1f} | {s_wall / p_wall:.1f} | "
              f"{s_cpu / p_cpu:.1f} | {changed} | {tasks} | {results}{'' if rc == 0 else ' (rc=%d)' % rc} |")
    print(f"\nload average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
