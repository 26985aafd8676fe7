# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the site plan and playbooks/validate.yml on generated inventories.

For each size it writes one overlay per site (central: a Ceph host, two Glance
API hosts, an HAProxy host; each edge site: one hyperconverged host), then
times:

- the plan alone: Ansible's inventory code reads the overlays, then
  module_utils/_site_plan.build runs over its hostvars (as the filter does);
- ``ansible-playbook playbooks/validate.yml`` over the same overlays (no host
  is contacted: the plan runs on the controller).

It prints figures and asserts nothing. Run from the repository root after
``make link``:

    PYTHONPATH=build/collections python3 benchmarks/plan.py [--edges 10 50 100 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _site_plan

REPO = Path(__file__).resolve().parents[1]


def write_overlays(root: Path, edges: int) -> list[str]:
    def overlay(site, site_type, hosts, roles, index):
        net = f"10.{index // 250}.{index % 250}"
        inv = {"all": {"children": {
            site: {"hosts": {h: {"ansible_host": f"{net}.{10 + n}"} for n, h in enumerate(hosts)}, "vars": {
                "edgestack_site": site, "edgestack_site_type": site_type,
                "edgestack_ceph_mon_addresses": [f"{net}.10"], "edgestack_glance_vip": f"{net}.9",
                "edgestack_glance_port": 9292,
                "edgestack_ceph_pools": [{"name": "images", "application": "rbd", "rbd_init": True}],
            }},
            **{role: {"hosts": {h: {} for h in members}} for role, members in roles.items()},
        }}}
        (root / site).mkdir(parents=True, exist_ok=True)
        (root / site / "hosts.yml").write_text(yaml.safe_dump(inv, sort_keys=False))
        return str(root / site)

    paths = [overlay("central", "central", ["central-ceph", "central-glance0", "central-glance1", "central-lb"],
                     {"ceph_admin": ["central-ceph"], "glance_api": ["central-glance0", "central-glance1"],
                      "glance_haproxy": ["central-lb"]}, 0)]
    for n in range(edges):
        host = f"dcn{n}-hci"
        paths.append(overlay(f"dcn{n}", "edge", [host], {r: [host] for r in ("ceph_admin", "glance_api", "glance_haproxy")},
                             n + 1))
    return paths


def time_plan(paths):
    t0 = time.perf_counter()
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=paths)
    variables = VariableManager(loader=loader, inventory=inventory)
    hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
    groups = {name: [h.name for h in group.get_hosts()] for name, group in inventory.groups.items()}
    t1 = time.perf_counter()
    result = _site_plan.build(hostvars, groups)
    t2 = time.perf_counter()
    if result["problems"]:
        sys.exit(f"generated inventory has problems: {result['problems'][:3]}")
    return t1 - t0, t2 - t1


def time_validate(paths):
    argv = ["ansible-playbook", str(REPO / "playbooks" / "validate.yml")]
    for path in paths:
        argv += ["-i", path]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
           "PYTHONPATH": str(REPO / "build" / "collections"), "ANSIBLE_FORCE_COLOR": "0"}
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"validate.yml failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edges", type=int, nargs="+", default=[10, 50, 100, 200])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgestack-plan-") as tmp:
        for edges in args.edges:
            root = Path(tmp) / str(edges)
            paths = write_overlays(root, edges)
            read_s, plan_s = time_plan(paths)
            validate_s = time_validate(paths)
            rows.append((edges, read_s, plan_s, validate_s))
            print(f"edges={edges}: inventory read {read_s:.2f}s, plan {plan_s:.3f}s, validate.yml {validate_s:.1f}s",
                  flush=True)
    print()
    print("| edge sites | hosts | inventory read (s) | plan (s) | plan per site (ms) | validate.yml (s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for edges, read_s, plan_s, validate_s in rows:
        print(f"| {edges} | {edges + 4} | {read_s:.2f} | {plan_s:.3f} | {1000 * plan_s / (edges + 1):.2f} | "
              f"{validate_s:.1f} |")


if __name__ == "__main__":
    main()
