# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the Ceph module tests (test_ceph_pool, test_ceph_auth, test_auth_leak).

Everything here reads the clusters independently of the modules under test:
through `lab.exec` and the ceph CLI on the site's Ceph host.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"

# Each transport against its own site, so that both custom cluster names are used.
TRANSPORT_SITES = [("librados", "central"), ("cli", "dcn0")]


def fingerprint(key: str | None) -> str | None:
    """Same tag as the modules show: sha256: + 12 hex digits. Tests compare keys through it,
    so that a failing assertion never prints a key."""
    if not key:
        return None
    return "sha256:" + hashlib.sha256(key.strip().encode("ascii")).hexdigest()[:12]


def module_result(run, task: str, host: str) -> dict:
    return run.task_results(task)[host]


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def task_seconds(run, task: str) -> float | None:
    """Duration of a task from the json callback, when it reports one."""
    for entry in run.tasks or []:
        if entry["task"]["name"] == task and "duration" in entry["task"]:
            duration = entry["task"]["duration"]
            return (_timestamp(duration["end"]) - _timestamp(duration["start"])).total_seconds()
    return None


def pools(lab, site: str) -> dict:
    """name -> `osd pool ls detail` entry, read on the site's Ceph host."""
    return {p["pool_name"]: p for p in lab.ceph(site, "osd", "pool", "ls", "detail") or []}


def rbd_info(lab, site: str, pool: str) -> bytes | None:
    proc = lab.exec(lab.ceph_host(site), ["rados", "--cluster", site, "--pool", pool, "get", "rbd_info", "-"])
    return proc.stdout.encode() if proc.returncode == 0 else None


def config_db(lab, site: str, section: str, name: str):
    for entry in lab.ceph(site, "config", "dump") or []:
        if entry.get("section") == section and entry.get("name") == name:
            return entry.get("value")
    return None


def auth_entry(lab, site: str, entity: str) -> dict | None:
    """{'caps': ..., 'key': ...} of an entity, or None. Never print the result."""
    proc = lab.exec(lab.ceph_host(site), ["ceph", "--cluster", site, "--connect-timeout", "10",
                                          "auth", "get", entity, "--format", "json"])
    if proc.returncode != 0:
        return None
    entry = json.loads(proc.stdout)[0]
    return {"caps": entry.get("caps", {}), "key": entry["key"]}


def ceph(lab, site: str, *args: str) -> None:
    """Change something behind the modules' back."""
    lab.exec(lab.ceph_host(site), ["ceph", "--cluster", site, "--connect-timeout", "10", *args], check=True)
