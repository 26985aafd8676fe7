# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's metadata says what its content does and what its tests run."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# A collection FQCN as content uses it: namespace.collection.plugin (ansible.builtin is core's).
FQCN = re.compile(r"\b([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*\b")
NOT_COLLECTIONS = {"ansible.builtin", "ansible.legacy", "edgestack.glance_ceph"}


def _galaxy() -> dict:
    return yaml.safe_load((REPO / "galaxy.yml").read_text())


def _used_collections() -> dict[str, set[str]]:
    """collection -> files of roles/ and playbooks/ that call one of its plugins."""
    used: dict[str, set[str]] = {}
    candidates = set(_galaxy()["dependencies"]) | {
        "ansible.utils", "ansible.posix", "ansible.netcommon", "community.general", "community.crypto",
        "kubernetes.core", "openstack.cloud", "awx.awx"}
    for top in ("roles", "playbooks"):
        for path in sorted((REPO / top).rglob("*")):
            if path.suffix not in (".yml", ".yaml", ".j2"):
                continue
            for name in FQCN.findall(path.read_text()):
                if name in candidates and name not in NOT_COLLECTIONS:
                    used.setdefault(name, set()).add(str(path.relative_to(REPO)))
    for path in sorted((REPO / "plugins").rglob("*.py")):
        for name in re.findall(r"ansible_collections\.([a-z0-9_]+\.[a-z0-9_]+)\.", path.read_text()):
            if name not in NOT_COLLECTIONS:
                used.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return used


def test_galaxy_dependencies_are_the_collections_the_content_uses():
    used = _used_collections()
    declared = set(_galaxy()["dependencies"])
    assert set(used) == declared, (
        f"used but not declared: {sorted(set(used) - declared)}; declared but unused: {sorted(declared - set(used))}")


def test_requires_ansible_is_what_the_constraints_pin():
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    floor = re.match(r">=\s*(\d+)\.(\d+)", runtime["requires_ansible"]).groups()
    pinned = re.search(r"^ansible-core==(\d+)\.(\d+)\.", (REPO / "constraints.txt").read_text(), re.M).groups()
    assert floor == pinned, f"requires_ansible claims {floor}, the tests run ansible-core {pinned}"
    req = (REPO / "requirements.txt").read_text()
    assert f"ansible-core>={floor[0]}.{floor[1]}," in req


def test_build_ignore_keeps_development_files_out():
    ignored = set(_galaxy()["build_ignore"])
    assert {"lab", "molecule", "tests", "scripts", "benchmarks", "Makefile", ".venv", "build", ".ci",
            "inventories/lab", "requirements-dev.txt", "constraints.txt"} <= ignored
    assert not (REPO / "ansible.cfg").exists(), "the repository root carries no ansible.cfg (the lab's is lab/)"
