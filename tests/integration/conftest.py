# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared harness for tests that run against the lab's real hosts.

Fixtures:
  lab               the running lab (skips, or fails under EDGESTACK_REQUIRE_LAB=1, when it is down)
  ansible_playbook  run a playbook against the lab inventory and parse its result
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "lab" / "lab.py"
sys.path.insert(0, str(LAB.parent))
import lab as labtool  # noqa: E402  pylint: disable=wrong-import-position
# The repository's virtual environment (`make deps`): its ansible-playbook runs the playbooks,
# whichever Python runs pytest.
VENV_BIN = REPO / ".venv" / "bin"


class Lab:
    """The running lab, as `lab.py status --json` describes it."""

    def __init__(self, status: dict):
        self.status = status
        self.hosts = status["hosts"]
        self.sites = list(status["sites"])
        self.clouds_yaml = status["clouds_yaml"]
        self.state_dir = Path(status["state_dir"])

    @property
    def inventory_args(self) -> list[str]:
        args = []
        for path in self.status["inventory"]:
            args += ["-i", path]
        return args

    def exec(self, host: str, argv, input=None, timeout=120, check=False) -> subprocess.CompletedProcess:
        """Run argv inside a lab host (its network, mount and UTS namespaces)."""
        proc = subprocess.run([os.environ.get("PYTHON", "python3"), str(LAB), "exec", host, "--", *argv],
                              input=input, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"{host}: {argv} failed rc={proc.returncode}: {proc.stderr}")
        return proc

    def hosts_with(self, service: str, site: str | None = None) -> list[str]:
        return [name for name, h in self.hosts.items()
                if service in h["services"] and (site is None or h["site"] == site)]

    def ceph_host(self, site: str) -> str:
        return self.hosts_with("ceph", site)[0]

    def glance_hosts(self, site: str) -> list[str]:
        return self.hosts_with("glance", site)

    def address(self, host: str) -> str:
        return self.hosts[host]["address"]

    def token(self) -> str:
        """A Keystone token (admin, project admin) for the lab's Glance APIs."""
        return labtool.cloud_token(self.clouds_yaml)[0]

    def vip(self, site: str) -> str:
        return f"http://{self.status['sites_vip'][site]}:9292" if "sites_vip" in self.status else None

    def glance(self, base: str, method: str, path: str, body=None, data: bytes | None = None,
               headers=None, token=None, timeout=60):
        """Call a Glance API; return (status, parsed JSON or text)."""
        hdrs = {"X-Auth-Token": token or self.token()}
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        req = urllib.request.Request(base + path, data=data, headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        text = raw.decode(errors="replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def ceph(self, site: str, *args, timeout=60):
        """Run a read-only ceph command on the site's Ceph host; return parsed JSON."""
        proc = self.exec(self.ceph_host(site), ["ceph", "--cluster", site, "--connect-timeout", "10",
                                                *args, "--format", "json"], timeout=timeout, check=True)
        return json.loads(proc.stdout) if proc.stdout.strip() else None


def _lab_status() -> dict | None:
    """The lab's status, healthy or not; None when the lab is down or its status cannot be read.

    `lab.py status --json` exits 1 when the lab is up but not healthy (a cluster still peering
    after another test's pool change): its JSON says why, and the fixture waits on it.
    """
    proc = subprocess.run([os.environ.get("PYTHON", "python3"), str(LAB), "status", "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    try:
        status = json.loads(proc.stdout)
    except ValueError:
        return None
    if proc.returncode not in (0, 1) or not isinstance(status, dict) or "sites" not in status:
        return None
    return status


def _unhealthy(status: dict | None) -> str:
    """What makes the lab unusable, in a line: the lab down, or each host and site not ok."""
    if status is None:
        return "the lab is down or its status cannot be read"
    # A host's checks as lab.py status lists them; each one false is named.
    bad = [f"{name}: " + ",".join(k for k in ("netns", "ssh", "glance", "keystone") if k in h and not h[k])
           for name, h in status.get("hosts", {}).items()]
    bad = [line for line in bad if not line.endswith(": ")]
    bad += [f"ceph {site}: {json.dumps({k: v for k, v in st.items() if k != 'ok'})}"
            for site, st in status.get("sites", {}).items() if not st.get("ok")]
    return "; ".join(bad) or "not ok"


@pytest.fixture(scope="session")
def lab() -> Lab:
    # A cluster may be briefly settling (PGs peering after another test's pool change): wait for it,
    # as long as every host is there (a lab whose namespaces are gone is not going to settle).
    deadline = time.monotonic() + 180
    status = _lab_status()
    while status is not None and not status.get("ok") and time.monotonic() < deadline \
            and all(h.get("netns") for h in status.get("hosts", {}).values()):
        time.sleep(3)
        status = _lab_status()
    if status is None or not status.get("ok"):
        msg = ("the lab is not up and healthy (" + _unhealthy(status) + "): "
               "run `make lab-up` (python3 lab/lab.py up)")
        if os.environ.get("EDGESTACK_REQUIRE_LAB") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return Lab(status)


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    data: dict | None = None
    tasks: list | None = field(default=None)

    @property
    def stats(self) -> dict:
        return (self.data or {}).get("stats", {})

    @property
    def changed(self) -> int:
        return sum(s.get("changed", 0) for s in self.stats.values())

    @property
    def failed(self) -> int:
        return sum(s.get("failures", 0) + s.get("unreachable", 0) for s in self.stats.values())

    def task_results(self, name: str) -> dict:
        """host -> result of the (last) task with that name."""
        out = {}
        for task in self.tasks or []:
            if task["task"]["name"] == name:
                out.update(task["hosts"])
        if not out:
            raise KeyError(f"no task named {name!r}; tasks: {[t['task']['name'] for t in self.tasks or []]}")
        return out


def playbook_env() -> dict:
    """The environment ansible-playbook runs with against the lab: the venv's tools, the lab's settings."""
    path = os.environ.get("PATH", os.defpath)
    if VENV_BIN.is_dir() and not path.startswith(f"{VENV_BIN}{os.pathsep}"):
        path = f"{VENV_BIN}{os.pathsep}{path}"
    return {**os.environ, "PATH": path, "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"),
            "PYTHONPATH": str(REPO / "build" / "collections"), "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1"}


def run_playbook(playbook, inventory_args, extra_vars=None, check=False, diff=False, verbosity=0, env=None,
                 limit=None, timeout=1200) -> PlaybookResult:
    argv = ["ansible-playbook", str(playbook), *inventory_args]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    if limit:
        argv += ["--limit", limit]
    if verbosity:
        argv.append("-" + "v" * verbosity)
    run_env = playbook_env()
    use_json = verbosity == 0 and not (env or {}).get("ANSIBLE_STDOUT_CALLBACK")
    if use_json:
        run_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    run_env.update(env or {})
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=run_env, timeout=timeout, check=False)
    result = PlaybookResult(proc.returncode, proc.stdout, proc.stderr)
    if use_json:
        start = proc.stdout.find("{")
        if start >= 0:
            result.data = json.loads(proc.stdout[start:])
            result.tasks = [t for play in result.data.get("plays", []) for t in play.get("tasks", [])]
    return result


@pytest.fixture
def ansible_playbook(lab):
    def _run(playbook, extra_vars=None, check=False, diff=False, verbosity=0, env=None, limit=None,
             inventory_args=None, timeout=1200):
        return run_playbook(playbook, inventory_args or lab.inventory_args, extra_vars=extra_vars, check=check,
                            diff=diff, verbosity=verbosity, env=env, limit=limit, timeout=timeout)
    return _run
