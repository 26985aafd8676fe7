# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml: ansible-builder accepts it and the build context carries the collection.

`ansible-builder create` only writes the build context (no container engine
is needed). The collection tarball is built from this checkout into a
scratch directory next to a copy of the definition, so the repository's own
build/ is left alone.

The definition lists the collection's runtime dependencies itself (the
repository's requirements.txt and bindep.txt also carry the lab's and the
tests' tools); the last tests keep the two in step.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EE_FILE = REPO / "execution-environment.yml"
RUNTIME_PYTHON = {"openstacksdk", "netaddr", "jmespath", "kubernetes"}
# bindep.txt names Debian packages; the image is RPM-based.
DEB_TO_RPM = {"openssh-client": "openssh-clients"}


def _definition() -> dict:
    return yaml.safe_load(EE_FILE.read_text())


def _galaxy_version() -> str:
    return yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]


def _req_name(line: str) -> str:
    return re.split(r"[\s<>=!~\[;]", line.strip(), maxsplit=1)[0].lower()


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    builder = shutil.which("ansible-builder")
    if builder is None:
        pytest.skip("ansible-builder is not installed (pip install ansible-builder)")
    work = tmp_path_factory.mktemp("ee")
    dist = work / "build" / "dist"
    dist.mkdir(parents=True)
    subprocess.run(["ansible-galaxy", "collection", "build", "--force", "--output-path", str(dist), str(REPO)],
                   check=True, capture_output=True, text=True, timeout=300)
    shutil.copy(EE_FILE, work / EE_FILE.name)
    ctx = work / "context"
    proc = subprocess.run([builder, "create", "--file", str(work / EE_FILE.name), "--context", str(ctx),
                           "--output-filename", "Containerfile"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"ansible-builder create failed:\n{proc.stdout}\n{proc.stderr}"
    assert "No matches" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return ctx


def test_definition_is_version_3_with_a_base_image():
    definition = _definition()
    assert definition["version"] == 3
    assert definition["images"]["base_image"]["name"]


def test_context_carries_the_collection_tarball(context):
    tarballs = list((context / "_build" / "collections").glob("edgestack-glance_ceph-*.tar.gz"))
    assert [t.name for t in tarballs] == [f"edgestack-glance_ceph-{_galaxy_version()}.tar.gz"]
    with tarfile.open(tarballs[0]) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("edgestack", "glance_ceph", _galaxy_version())
    assert "plugins/modules/glance_image_stores.py" in names
    assert "playbooks/distribute_images.yml" in names
    assert not any(n.startswith(("build/", ".git/")) for n in names)


def test_containerfile_installs_the_tarball_and_the_requirements(context):
    containerfile = (context / "Containerfile").read_text()
    assert re.search(r"ansible-galaxy collection install .*/build/collections/edgestack-glance_ceph-\*\.tar\.gz",
                     containerfile)
    assert "-r requirements.yml" in containerfile
    assert "introspect" in containerfile and "--exclude-collection-reqs" in containerfile
    assert (context / "_build" / "exclude-collections.txt").read_text().split() == ["edgestack.glance_ceph"]


def test_context_requirements(context):
    pip = {_req_name(line) for line in (context / "_build" / "requirements.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")}
    assert pip == RUNTIME_PYTHON
    bindep = (context / "_build" / "bindep.txt").read_text()
    for package in ("ceph-common", "python3-rados"):
        assert re.search(rf"^{package} \[platform:rpm\]$", bindep, re.M), bindep
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert {c["name"] for c in galaxy["collections"]} >= {"ansible.utils", "community.general", "kubernetes.core",
                                                          "openstack.cloud"}


def test_python_dependencies_are_those_of_requirements_txt():
    repo = {_req_name(line) for line in (REPO / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")}
    ee = {_req_name(line) for line in _definition()["dependencies"]["python"]}
    assert ee == RUNTIME_PYTHON
    assert ee <= repo, f"the EE installs {sorted(ee - repo)}, which requirements.txt does not list"


def test_system_dependencies_are_bindep_client_profile():
    client = set()
    for line in (REPO / "bindep.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"^(\S+)\s*\[([^\]]*)\]", line)
        if match and "client" in match.group(2).split():
            client.add(DEB_TO_RPM.get(match.group(1), match.group(1)))
    ee = {re.match(r"^(\S+)", line).group(1) for line in _definition()["dependencies"]["system"]}
    assert {"ceph-common", "python3-rados"} <= client
    assert ee == client, f"bindep.txt's client profile: {sorted(client)}; execution-environment.yml: {sorted(ee)}"


def test_external_collections_cover_what_roles_and_playbooks_use():
    used = set()
    pattern = re.compile(r"\b((?:ansible\.(?:utils|posix|netcommon)|community\.[a-z_]+|kubernetes\.core|"
                         r"openstack\.cloud))\.[a-z_]+")
    for top in ("roles", "playbooks"):
        for path in (REPO / top).rglob("*.y*ml"):
            used.update(pattern.findall(path.read_text()))
    galaxy = {c["name"] for c in _definition()["dependencies"]["galaxy"]["collections"]}
    assert used <= galaxy, f"used but not in the EE: {sorted(used - galaxy)}"
