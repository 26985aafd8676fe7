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
import resource
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


def write_overlays(root: Path, edges: int):
    """The overlay directories, and the same inventory as plain (hostvars, groups)."""
    hostvars, groups = {}, {"all": []}

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
        site_group = inv["all"]["children"][site]
        for host, host_vars in site_group["hosts"].items():
            hostvars[host] = dict(site_group["vars"], **host_vars)
            groups["all"].append(host)
        groups[site] = list(site_group["hosts"])
        for role, members in roles.items():
            groups.setdefault(role, []).extend(members)
        return str(root / site)

    paths = [overlay("central", "central", ["central-ceph", "central-glance0", "central-glance1", "central-lb"],
                     {"ceph_admin": ["central-ceph"], "glance_api": ["central-glance0", "central-glance1"],
                      "glance_haproxy": ["central-lb"]}, 0)]
    for n in range(edges):
        host = f"dcn{n}-hci"
        paths.append(overlay(f"dcn{n}", "edge", [host], {r: [host] for r in ("ceph_admin", "glance_api", "glance_haproxy")},
                             n + 1))
    return paths, hostvars, groups


def time_pure(hostvars, groups):
    c0 = time.process_time()
    result = _site_plan.build(hostvars, groups)
    elapsed = time.process_time() - c0
    if result["problems"]:
        sys.exit(f"generated inventory has problems: {result['problems'][:3]}")
    return elapsed


def time_plan(paths):
    t0 = time.perf_counter()
    c0 = time.process_time()
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=paths)
    variables = VariableManager(loader=loader, inventory=inventory)
    hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
    groups = {name: [h.name for h in group.get_hosts()] for name, group in inventory.groups.items()}
    t1 = time.perf_counter()
    c1 = time.process_time()
    result = _site_plan.build(hostvars, groups)
    c2 = time.process_time()
    if result["problems"]:
        sys.exit(f"generated inventory has problems: {result['problems'][:3]}")
    return c1 - c0, c2 - c1


# The settings docs/scale.md recommends for hundreds of overlays: only the inventory
# plugins the overlays use (the default list tries ``auto`` first, which parses every
# YAML overlay once more), and the vars plugins run once after the inventory is read.
TUNED = {"ANSIBLE_INVENTORY_ENABLED": "yaml,ini", "ANSIBLE_RUN_VARS_PLUGINS": "start"}


def time_validate(paths, tuned=False):
    """validate.yml over ``paths`` (a list of overlays, or one directory holding them all)."""
    argv = ["ansible-playbook", str(REPO / "playbooks" / "validate.yml")]
    for path in paths:
        argv += ["-i", path]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"),
           "PYTHONPATH": str(REPO / "build" / "collections"), "ANSIBLE_FORCE_COLOR": "0"}
    if tuned:
        env.update(TUNED)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"validate.yml failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    # CPU time (user + system) of ansible-playbook and its workers: what the run costs on a busy machine.
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edges", type=int, nargs="+", default=[10, 50, 100, 200])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgestack-plan-") as tmp:
        for edges in args.edges:
            root = Path(tmp) / str(edges)
            paths, hostvars, groups = write_overlays(root, edges)
            pure_s = time_pure(hostvars, groups)
            read_s, plan_s = time_plan(paths)
            validate_s = time_validate(paths)
            validate_dir_s = time_validate([str(root)])
            validate_tuned_s = time_validate(paths, tuned=True)
            rows.append((edges, pure_s, read_s, plan_s, validate_s, validate_dir_s, validate_tuned_s))
            print(f"edges={edges}: plan (plain vars) {pure_s:.3f}s; inventory read {read_s:.2f}s, plan over "
                  f"hostvars {plan_s:.2f}s; validate.yml {validate_s[0]:.1f}s wall / {validate_s[1]:.1f}s CPU with "
                  f"one -i per site, {validate_dir_s[0]:.1f}s / {validate_dir_s[1]:.1f}s with one -i for all, "
                  f"{validate_tuned_s[0]:.1f}s / {validate_tuned_s[1]:.1f}s with one -i per site and docs/scale.md's settings",
                  flush=True)
    print()
    print("Times are CPU seconds (user + system) unless marked wall: they hold on a busy machine.")
    print("plan, plain vars: the pure function alone; plan over hostvars: the same reading Ansible's hostvars")
    print("(with one -i per site, Ansible scans every source for each host's variables: hosts x sources).")
    print("tuned: " + ", ".join(f"{k}={v}" for k, v in TUNED.items()) + " (docs/scale.md).")
    print()
    print("| edge sites | hosts | plan, plain vars | per site (ms) | inventory read | plan over hostvars "
          "| validate.yml, -i per site: wall / CPU | validate.yml, one -i: wall / CPU "
          "| validate.yml, -i per site, tuned: wall / CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for edges, pure_s, read_s, plan_s, validate_s, validate_dir_s, validate_tuned_s in rows:
        print(f"| {edges} | {edges + 4} | {pure_s:.3f} | {1000 * pure_s / (edges + 1):.2f} | {read_s:.2f} | "
              f"{plan_s:.2f} | {validate_s[0]:.1f} / {validate_s[1]:.1f} | "
              f"{validate_dir_s[0]:.1f} / {validate_dir_s[1]:.1f} | {validate_tuned_s[0]:.1f} / {validate_tuned_s[1]:.1f} |")
    print(f"\nload average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
