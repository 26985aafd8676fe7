# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml and what an execution environment gets from the collection.

`ansible-builder create` only writes the build context (no container engine is
needed). `ansible-builder introspect` is the step an image build runs on the
installed collections: here it reads the collection installed from the tarball
built from this checkout, so it sees exactly what a user's image would get
through meta/execution-environment.yml. Both run in a scratch directory; the
repository's build/ is left alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EE_FILE = REPO / "execution-environment.yml"
# What the controller needs to run the collection (requirements.txt, less ansible-core,
# which ansible-builder installs itself).
RUNTIME_PYTHON = {"openstacksdk", "kubernetes", "pyyaml"}
# Tools of the lab and the tests: never in an execution environment.
DEV_ONLY = {"ansible-lint", "molecule", "pytest", "jsonschema", "kubernetes-validate", "antsibull-changelog",
            "ansible-builder", "ansible-runner", "ansible"}
# Managed hosts' packages: never on the controller.
MANAGED_HOST_ONLY = {"ceph-common", "python3-rados", "python3-rbd"}


def _definition() -> dict:
    return yaml.safe_load(EE_FILE.read_text())


def _galaxy() -> dict:
    return yaml.safe_load((REPO / "galaxy.yml").read_text())


def _req_name(line: str) -> str:
    return re.split(r"[\s<>=!~\[;]", line.strip(), maxsplit=1)[0].lower()


def _requirements(path: Path) -> set[str]:
    return {_req_name(line) for line in path.read_text().splitlines()
            if line.strip() and not line.startswith(("#", "-"))}


def _bindep(profile: str | None, path: Path = REPO / "bindep.txt") -> set[str]:
    """Packages of a bindep file that bindep selects for one profile (None: the default one, as in an image)."""
    out = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"^(\S+)\s*(?:\[([^\]]*)\])?", line)
        if not match:
            continue
        selectors = (match.group(2) or "").split()
        profiles = [s for s in selectors if not s.startswith("platform:")]
        if (profile is None and not profiles) or (profile is not None and profile in profiles):
            out.add(match.group(1))
    return out


def _builder() -> str:
    builder = shutil.which("ansible-builder")
    if builder is None:
        pytest.skip("ansible-builder is not installed (make deps)")
    return builder


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(["ansible-galaxy", "collection", "build", "--force", "--output-path", str(dist), str(REPO)],
                   check=True, capture_output=True, text=True, timeout=300)
    (path,) = dist.glob("edgestack-glance_ceph-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def context(tmp_path_factory, tarball) -> Path:
    builder = _builder()
    work = tmp_path_factory.mktemp("ee")
    dist = work / "build" / "dist"
    dist.mkdir(parents=True)
    shutil.copy(tarball, dist)
    shutil.copy(EE_FILE, work / EE_FILE.name)
    ctx = work / "context"
    proc = subprocess.run([builder, "create", "--file", str(work / EE_FILE.name), "--context", str(ctx),
                           "--output-filename", "Containerfile"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"ansible-builder create failed:\n{proc.stdout}\n{proc.stderr}"
    assert "No matches" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return ctx


@pytest.fixture(scope="module")
def introspected(tmp_path_factory, tarball) -> dict:
    builder = _builder()
    collections = tmp_path_factory.mktemp("collections")
    # Into an empty path, with no ansible.cfg: the lab's would find the working tree's link instead.
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_CONFIG"}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "--force",
                    "-p", str(collections), str(tarball)],
                   check=True, capture_output=True, text=True, timeout=300, env=env, cwd=collections)
    assert (collections / "ansible_collections" / "edgestack" / "glance_ceph" / "MANIFEST.json").is_file()
    proc = subprocess.run([builder, "introspect", "--sanitize", str(collections)],
                          capture_output=True, text=True, timeout=120, check=True)
    return yaml.safe_load(proc.stdout[proc.stdout.index("---"):])


def test_definition_is_version_3_with_a_base_image():
    definition = _definition()
    assert definition["version"] == 3
    assert definition["images"]["base_image"]["name"]


def test_context_carries_the_collection_tarball(context):
    version = _galaxy()["version"]
    tarballs = list((context / "_build" / "collections").glob("edgestack-glance_ceph-*.tar.gz"))
    assert [t.name for t in tarballs] == [f"edgestack-glance_ceph-{version}.tar.gz"]
    with tarfile.open(tarballs[0]) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("edgestack", "glance_ceph", version)
    assert "plugins/modules/glance_image_stores.py" in names
    assert "playbooks/distribute_images.yml" in names
    assert {"meta/execution-environment.yml", "meta/bindep.txt", "requirements.txt"} <= names


def test_containerfile_installs_the_tarball_and_introspects_it(context):
    containerfile = (context / "Containerfile").read_text()
    assert re.search(r"ansible-galaxy collection install .*/build/collections/edgestack-glance_ceph-\*\.tar\.gz",
                     containerfile)
    assert "-r requirements.yml" in containerfile
    assert "introspect" in containerfile
    # The collection's own requirements are no longer excluded: they are the runtime ones.
    assert not (context / "_build" / "exclude-collections.txt").exists()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert {c["name"]: c["version"] for c in galaxy["collections"]} == _galaxy()["dependencies"]


def test_introspection_gives_the_runtime_requirements_only(introspected):
    python = {_req_name(line) for line in introspected["python"]}
    system = {_req_name(line) for line in introspected.get("system") or []}
    # ansible-builder leaves out ansible-core (it installs its own) and PyYAML (every image has it).
    assert python == RUNTIME_PYTHON - {"pyyaml"}, introspected
    assert not python & DEV_ONLY
    assert system == {"openssh-clients", "openssh-client"}, introspected
    assert not system & MANAGED_HOST_ONLY


def test_requirements_are_split_runtime_and_development():
    runtime = _requirements(REPO / "requirements.txt")
    dev = _requirements(REPO / "requirements-dev.txt")
    assert runtime == RUNTIME_PYTHON | {"ansible-core"}
    assert not runtime & DEV_ONLY
    assert "-r requirements.txt" in (REPO / "requirements-dev.txt").read_text().splitlines()
    assert dev <= DEV_ONLY


def test_constraints_pin_every_requirement():
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _sep, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[name.strip().lower().replace("_", "-")] = version
    wanted = _requirements(REPO / "requirements.txt") | _requirements(REPO / "requirements-dev.txt")
    assert wanted <= set(pins), f"make lock: not pinned: {sorted(wanted - set(pins))}"
    assert pins["ansible-core"].startswith("2.19.")


def test_controller_profiles_leave_ceph_to_the_managed_hosts():
    assert _bindep("client") == {"python3", "openssh-client"}
    runtime = _bindep(None, REPO / "meta" / "bindep.txt")
    assert runtime == {"openssh-clients", "openssh-client"}
    assert {"openssh-client"} == runtime & _bindep("client")
    assert "python3-venv" in _bindep("venv") and "shellcheck" in _bindep("test")
    assert MANAGED_HOST_ONLY <= _bindep("lab")
