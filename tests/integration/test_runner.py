# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml and distribute_images.yml through ansible-runner, the way AWX runs a job.

AWX runs each job with ansible-runner in a private data directory: the project
(a checkout of the repository, whose ansible.cfg, if it had one, would apply to
the job), an inventory synced from the project's overlays, the extra variables
of the template and its survey, and the environment variables its credentials
inject. The collections come from the execution environment, not from the
checkout. Here likewise:

- the collection is built into a tarball and installed from it, with
  --no-deps, into an empty collections path, the only one the job is given
  (the collections it depends on come from the `ansible` package, as in an
  execution environment);
- the project is a copy of the repository's files (what a checkout holds: no
  build/ link, no lab inventory), and ansible-runner runs with no ANSIBLE_CONFIG,
  no PYTHONPATH and no other setting of this repository's lab;
- the lab's inventory goes into the job's inventory directory; the survey
  answers of distribute_images.yml are what AWX sends (a textarea's string, a
  multiselect's list); the OpenStack credential's variables are
  OS_CLIENT_CONFIG_FILE and OS_CLOUD.

The job's own SSH settings (host keys not checked: the lab's hosts get new
keys at every bring-up; keepalives) are environment variables of the job, as
an AWX job's are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from test_image_distribution import Glance, central_host_base, rbd_ids

RUNNER = shutil.which("ansible-runner")
TASKS_DIR = "ansible_collections/edgestack/glance_ceph/roles/"


def _clean_env() -> dict:
    """The caller's environment without this repository's Ansible settings."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("ANSIBLE_", "MOLECULE_")) and k not in ("PYTHONPATH", "OS_CLOUD",
                                                                         "OS_CLIENT_CONFIG_FILE")}


class Job:
    """One private data directory, as AWX prepares it for a job."""

    def __init__(self, root: Path, collections: Path, lab):
        self.root = root
        self.collections = collections
        project = root / "project"
        files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                               cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
        for name in filter(None, files):
            src = REPO / name
            if src.is_file():
                (project / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, project / name)
        inventory = root / "inventory"
        inventory.mkdir()
        for path in lab.status["inventory"]:
            site = Path(path)
            shutil.copy(site / "hosts.yml", inventory / f"{site.name}.yml")
        (root / "env").mkdir()

    def run(self, ident: str, playbook: str, extravars=None, envvars=None, timeout=1800) -> dict:
        env_dir = self.root / "env"
        job_env = {
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections),
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s -o ServerAliveInterval=5 "
                                "-o ServerAliveCountMax=3 -o UserKnownHostsFile=/dev/null",
            "ANSIBLE_FORCE_COLOR": "0",
            **(envvars or {}),
        }
        (env_dir / "envvars").write_text(yaml.safe_dump(job_env))
        (env_dir / "extravars").write_text(yaml.safe_dump(extravars or {}))
        proc = subprocess.run([RUNNER, "run", str(self.root), "-p", playbook, "--ident", ident],
                              capture_output=True, text=True, timeout=timeout, env=_clean_env(), check=False)
        artifacts = self.root / "artifacts" / ident
        events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"),
                                                            key=lambda p: int(p.name.split("-", 1)[0]))]
        stats = next((e["event_data"] for e in events if e["event"] == "playbook_on_stats"), {})
        return {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
                "status": (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else None,
                "events": events, "stats": stats}


def _changed(result) -> int:
    return sum((result["stats"].get("changed") or {}).values())


def _failed(result) -> int:
    return sum((result["stats"].get(k) or {}).get(h, 0) for k in ("failures", "dark")
               for h in (result["stats"].get(k) or {}))


@pytest.fixture(scope="module")
def job(lab, tmp_path_factory) -> Job:
    if RUNNER is None:
        pytest.skip("ansible-runner is not installed (make deps)")
    work = tmp_path_factory.mktemp("awx")
    dist, collections = work / "dist", work / "collections"
    dist.mkdir()
    env = _clean_env()
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(dist), str(REPO)],
                   check=True, capture_output=True, text=True, timeout=300, env=env)
    (tarball,) = dist.glob("edgestack-glance_ceph-*.tar.gz")
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", str(collections),
                    str(tarball)], check=True, capture_output=True, text=True, timeout=300,
                   env={**env, "ANSIBLE_COLLECTIONS_PATH": str(collections)})
    assert (collections / "ansible_collections" / "edgestack" / "glance_ceph" / "MANIFEST.json").is_file()
    return Job(work / "job", collections, lab)


@pytest.fixture(scope="module")
def site_job(job) -> dict:
    return job.run("site", "playbooks/site.yml")


def test_project_carries_no_ansible_cfg(job):
    assert not (job.root / "project" / "ansible.cfg").exists()
    assert not (job.root / "project" / "build").exists()


def test_site_yml_through_ansible_runner(site_job, job):
    assert site_job["status"] == "successful", site_job["stdout"][-4000:] + site_job["stderr"][-2000:]
    assert site_job["rc"] == 0
    assert _failed(site_job) == 0
    assert set(site_job["stats"]["ok"]) >= {"localhost", "central-ceph", "central-glance0", "central-lb"}
    # Every role task ran from the collection installed from the tarball, none from the working tree.
    paths = {e["event_data"]["task_path"].split(":", 1)[0] for e in site_job["events"]
             if e["event"] == "playbook_on_task_start" and TASKS_DIR in e["event_data"].get("task_path", "")}
    assert paths, "no role task started"
    outside = sorted(p for p in paths if not p.startswith(str(job.collections)))
    assert not outside, outside
    summary = [e for e in site_job["events"] if e["event"] == "runner_on_ok"
               and e["event_data"].get("task") == "Summarise each site"]
    assert summary and "INCOMPLETE" not in json.dumps(summary[0]["event_data"]["res"])


def test_distribute_images_through_ansible_runner(site_job, job, lab):
    assert site_job["status"] == "successful", "site.yml did not converge through ansible-runner"
    glance = Glance(lab, central_host_base(lab))
    try:
        image = glance.upload(f"it-runner-{uuid.uuid4().hex[:8]}")
        # The survey's answers as AWX sends them, plus the template's extra variable for the
        # endpoint (the lab's central glance-api hosts keep separate image databases).
        extravars = {"glance_images": image["name"] + "\n", "glance_target_stores": glance.edges,
                     "glance_distribution_wait": "yes", "glance_distribution_timeout": 300,
                     "glance_image_endpoint": glance.base}
        envvars = {"OS_CLIENT_CONFIG_FILE": lab.clouds_yaml, "OS_CLOUD": "lab-central"}
        first = job.run("distribute", "playbooks/distribute_images.yml", extravars, envvars)
        assert first["status"] == "successful", first["stdout"][-4000:] + first["stderr"][-2000:]
        assert _changed(first) == 1
        assert glance.image_stores(image["id"]) == {"central", *glance.edges}
        for site in glance.edges:
            assert image["id"] in rbd_ids(lab, site), site
        again = job.run("distribute-again", "playbooks/distribute_images.yml", extravars, envvars)
        assert again["status"] == "successful" and _changed(again) == 0, again["stdout"][-3000:]
    finally:
        glance.delete_all()
