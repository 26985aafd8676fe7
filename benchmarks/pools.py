# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark ceph_pool: converge N pools on one lab cluster, per transport.

For each transport: a first run that creates the pools, then a run with
nothing to change, each through ansible-playbook (benchmarks/pools.yml) with
the ansible.posix.json callback. Prints, per run, the wall time of
ansible-playbook, the time of the module's task, the round trips the module
reports and the number of actions. The pools (bench-NN) are deleted before
and after, through the module (allow_delete plus override_mon_allow_pool_delete).

This is a script that prints figures, not a test: nothing is asserted beyond
the runs succeeding. Needs the lab (`make lab-up`).

    python3 benchmarks/pools.py [--site dcn1] [--count 20] [--transport librados --transport cli]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAYBOOK = REPO / "benchmarks" / "pools.yml"


def lab_status() -> dict:
    proc = subprocess.run([sys.executable, str(REPO / "lab" / "lab.py"), "status", "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise SystemExit("the lab is not up: run `make lab-up`\n" + proc.stderr)
    return json.loads(proc.stdout)


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def pool_specs(count: int) -> list[dict]:
    return [{"name": "bench-%02d" % i, "application": "rbd", "rbd_init": True, "pg_autoscale_mode": "off",
             "pg_num": 2, "max_bytes": 1 << 30} for i in range(count)]


def run(status: dict, host: str, site: str, transport: str, pools: list[dict], delete=False) -> dict:
    argv = ["ansible-playbook", str(PLAYBOOK)]
    for inventory in status["inventory"]:
        argv += ["-i", inventory]
    argv += ["-e", json.dumps({"bench_host": host, "bench_cluster": site, "bench_transport": transport,
                               "bench_pools": pools, "bench_delete": delete})]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "lab" / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               PYTHONPATH=str(REPO / "build" / "collections"), ANSIBLE_NOCOLOR="1")
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=env, timeout=1800, check=False)
    wall = time.monotonic() - start
    data = json.loads(proc.stdout[proc.stdout.find("{"):])
    task = data["plays"][0]["tasks"][0]
    result = task["hosts"][host]
    if proc.returncode != 0:
        raise SystemExit("ansible-playbook failed: %s" % result.get("msg", proc.stderr))
    duration = task["task"].get("duration", {})
    task_seconds = None
    if duration:
        task_seconds = (_timestamp(duration["end"]) - _timestamp(duration["start"])).total_seconds()
    return {"wall": wall, "task": task_seconds, "round_trips": result["round_trips"],
            "actions": len(result["actions"]), "changed": result["changed"], "transport": result["transport"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="dcn1", help="lab site (cluster) to use (default dcn1)")
    parser.add_argument("--count", type=int, default=20, help="number of pools (default 20)")
    parser.add_argument("--transport", action="append", choices=["librados", "cli"],
                        help="transport(s) to measure (default both)")
    args = parser.parse_args()
    status = lab_status()
    host = next(name for name, h in status["hosts"].items() if h["site"] == args.site and "ceph" in h["services"])
    pools = pool_specs(args.count)
    absent = [{"name": p["name"], "state": "absent"} for p in pools]
    rows = []
    for transport in args.transport or ["librados", "cli"]:
        run(status, host, args.site, transport, absent, delete=True)
        try:
            for label in ("first run", "no-change re-run"):
                figures = run(status, host, args.site, transport, pools)
                rows.append((transport, label, figures))
        finally:
            run(status, host, args.site, transport, absent, delete=True)
    print("ceph_pool, %d pools (rbd, rbd_init, pg_num 2, autoscale off, quota) on cluster %s (%s)"
          % (args.count, args.site, host))
    header = ("transport", "run", "wall s", "task s", "round trips", "actions", "changed")
    print("%-9s %-17s %9s %9s %12s %8s %8s" % header)
    for dummy, label, f in rows:
        task = "%9.2f" % f["task"] if f["task"] is not None else "%9s" % "-"
        values = (f["transport"], label, f["wall"], task, f["round_trips"], f["actions"], f["changed"])
        print("%-9s %-17s %9.2f %s %12d %8d %8s" % values)


if __name__ == "__main__":
    main()
