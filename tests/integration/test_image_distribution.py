# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""glance_image_stores and playbooks/distribute_images.yml on the lab's real Glance and Ceph.

Needs Glance multistore on the lab (central: central, dcn0, dcn1 on RBD): when
central's Glance does not list every site's store, the module fixture runs
playbooks/site.yml first (and skips only when site.yml does not exist yet).

Everything is checked independently of the module: the image's stores through
Glance's API, and the RBD images with `rbd ls images` on each site's Ceph host.

The lab's central glance-api hosts each keep their own image database, so an
image exists only on the host it was created through, and central's VIP may
send two requests of one client to different hosts. The tests therefore talk
to one central glance host directly (image_endpoint); the service catalog's
endpoint (the VIP) is used where the answer is the same on every host.
The module runs once with the controller's Python (openstacksdk from PyPI) and
once with Debian's /usr/bin/python3 (python3-openstacksdk 0.101), as on lab hosts.
"""

from __future__ import annotations

import time
import urllib.error
import uuid

import pytest

from _ceph_it import PLAYBOOKS, module_result, task_seconds
from conftest import REPO, run_playbook

SITE = REPO / "playbooks" / "site.yml"
DISTRIBUTE = PLAYBOOKS / "images_distribute.yml"
OPERATOR_PLAYBOOK = REPO / "playbooks" / "distribute_images.yml"
TASK = "Distribute images"
DEBIAN_PYTHON = "/usr/bin/python3"
MIB = 1024 * 1024


class Glance:
    """Central's Glance API as the tests see it (through the lab harness, not the module)."""

    def __init__(self, lab, base):
        self.lab = lab
        self.base = base
        self.token = lab.token()
        self.edges = sorted(s for s in lab.sites if s != "central")
        self.created = []

    def call(self, method, path, expect=(200,), base=None, **kwargs):
        # Other tests restart glance-api hosts on the shared lab: ride out a restart
        # (a POST is never resent: it may have created something).
        tries = 10 if method in ("GET", "PUT", "DELETE") else 1
        for attempt in range(tries):
            try:
                status, body = self.lab.glance(base or self.base, method, path, token=self.token, **kwargs)
            except (urllib.error.URLError, ConnectionError):
                if attempt == tries - 1:
                    raise
                time.sleep(1)
                continue
            if status in (502, 503) and attempt < tries - 1:
                time.sleep(1)
                continue
            break
        assert status in expect, f"{method} {path}: {status} {body}"
        return body

    def stores(self):
        return self.call("GET", "/v2/info/stores")["stores"]

    def image(self, image_id, base=None):
        return self.call("GET", f"/v2/images/{image_id}", base=base)

    def image_stores(self, image_id, base=None):
        return set(filter(None, (self.image(image_id, base).get("stores") or "").split(",")))

    def tasks(self, image_id, base=None):
        return self.call("GET", f"/v2/images/{image_id}/tasks", base=base)["tasks"]

    def upload(self, name, disk_format="raw", size=MIB, store=None, base=None):
        image = self.call("POST", "/v2/images", (201,), base=base, body={
            "name": name, "disk_format": disk_format, "container_format": "bare"})
        self.created.append((base or self.base, image["id"]))
        headers = {"Content-Type": "application/octet-stream"}
        if store:
            headers["X-Image-Meta-Store"] = store
        self.call("PUT", f"/v2/images/{image['id']}/file", (204,), base=base, data=b"\0" * size, headers=headers)
        deadline = time.monotonic() + 60
        while self.image(image["id"], base)["status"] != "active":
            assert time.monotonic() < deadline, self.image(image["id"], base)
            time.sleep(0.2)
        return self.image(image["id"], base)

    def delete_all(self):
        hosts = [f"http://{self.lab.address(h)}:9292" for h in self.lab.glance_hosts("central")]
        for base, image_id in self.created:
            for where in [base, *hosts]:
                status, _body = self.lab.glance(where, "DELETE", f"/v2/images/{image_id}", token=self.token)
                if status != 404:
                    break


def rbd_ids(lab, site):
    proc = lab.exec(lab.ceph_host(site), ["rbd", "--cluster", site, "ls", "images"], check=True)
    return set(proc.stdout.split())


def central_host_base(lab):
    """One central glance-api host, directly."""
    return f"http://{lab.address(lab.glance_hosts('central')[0])}:9292"


def multistore_on(lab, base):
    status, info = lab.glance(base, "GET", "/v2/info/stores")
    return status == 200 and {s["id"] for s in info["stores"]} == set(lab.sites)


@pytest.fixture(scope="module")
def glance(lab):
    base = central_host_base(lab)
    if not multistore_on(lab, base):
        if not SITE.exists():
            pytest.skip("central's Glance has no multistore yet and playbooks/site.yml, which configures it, "
                        "does not exist yet")
        converge = run_playbook(SITE, lab.inventory_args)
        assert converge.rc == 0, converge.stdout[-4000:] + converge.stderr[-2000:]
        assert multistore_on(lab, base), "site.yml converged but central's Glance does not list every site's store"
    api = Glance(lab, base)
    yield api
    api.delete_all()


def distribute(lab, glance_api, images, stores=None, check=False, diff=False, python=None, endpoint=None):
    extra = {"it_images": images, "it_cloud": "lab-central"}
    if stores is not None:
        extra["it_stores"] = stores
    if python:
        extra["it_python"] = python
    if endpoint is not False:
        extra["it_image_endpoint"] = endpoint or glance_api.base
    run = run_playbook(DISTRIBUTE, lab.inventory_args, extra_vars=extra, check=check, diff=diff,
                       env={"OS_CLIENT_CONFIG_FILE": lab.clouds_yaml})
    assert run.tasks is not None, run.stdout[-3000:] + run.stderr[-2000:]
    return run, module_result(run, TASK, "localhost")


@pytest.fixture(scope="module")
def raw_image(glance):
    return glance.upload(f"it-dist-raw-{uuid.uuid4().hex[:8]}", size=8 * MIB)


def test_check_mode_plans_one_copy_and_changes_nothing(lab, glance, raw_image):
    run, result = distribute(lab, glance, [raw_image["name"]], stores=glance.edges, check=True, diff=True,
                             python=DEBIAN_PYTHON)
    assert run.rc == 0, result
    assert result["changed"] is True
    assert result["actions"] == [{"image": raw_image["name"], "id": raw_image["id"], "method": "copy-image",
                                  "stores": glance.edges}]
    entry = result["images"][0]
    assert {s: i["status"] for s, i in entry["stores"].items()} == {s: "missing" for s in glance.edges}
    assert result["diff"][0]["after"]["stores"] == ["central", *glance.edges]
    assert result["central_store"] == "central"
    assert result["stores"]["dcn0"]["type"] == "rbd"
    assert glance.image_stores(raw_image["id"]) == {"central"}
    assert glance.tasks(raw_image["id"]) == []
    for site in glance.edges:
        assert raw_image["id"] not in rbd_ids(lab, site)


def test_copies_reach_every_edge_cluster(lab, glance, raw_image):
    run, result = distribute(lab, glance, [raw_image["id"]], stores=glance.edges)
    assert run.rc == 0, result
    assert result["changed"] is True
    entry = result["images"][0]
    assert {s: i["status"] for s, i in entry["stores"].items()} == {s: "copied" for s in glance.edges}
    seconds = {s: i["seconds"] for s, i in entry["stores"].items()}
    print(f"\ncopy-image of 8 MiB to {glance.edges}: per store {seconds}, module waited {result['seconds']} s, "
          f"task {task_seconds(run, TASK)} s, {result['round_trips']} requests")
    assert all(0 < s < 120 for s in seconds.values())
    image = glance.image(raw_image["id"])
    assert set(image["stores"].split(",")) == {"central", *glance.edges}
    assert not image.get("os_glance_failed_import")
    assert not image.get("os_glance_import_task")
    for site in ["central", *glance.edges]:
        assert raw_image["id"] in rbd_ids(lab, site), site


def test_second_run_changes_nothing_and_sends_no_import(lab, glance, raw_image):
    tasks_before = glance.tasks(raw_image["id"])
    run, result = distribute(lab, glance, [raw_image["name"]], stores=glance.edges, python=DEBIAN_PYTHON)
    assert run.rc == 0, result
    assert result["changed"] is False
    assert result["actions"] == []
    assert {s: i["status"] for s, i in result["images"][0]["stores"].items()} == {s: "present" for s in glance.edges}
    assert glance.tasks(raw_image["id"]) == tasks_before


def test_operator_playbook_defaults_to_every_edge_store(lab, glance):
    image = glance.upload(f"it-dist-default-{uuid.uuid4().hex[:8]}")
    extra = {"glance_images": image["name"], "glance_cloud": "lab-central", "glance_distribution_timeout": 180,
             "glance_image_endpoint": glance.base}
    env = {"OS_CLIENT_CONFIG_FILE": lab.clouds_yaml}
    first = run_playbook(OPERATOR_PLAYBOOK, lab.inventory_args, extra_vars=extra, env=env)
    assert first.rc == 0, first.stdout[-3000:]
    assert first.changed == 1
    result = module_result(first, "Copy the images into the target stores", "localhost")
    assert result["target_stores"] == glance.edges
    assert glance.image_stores(image["id"]) == {"central", *glance.edges}
    for site in glance.edges:
        assert image["id"] in rbd_ids(lab, site), site
    second = run_playbook(OPERATOR_PLAYBOOK, lab.inventory_args, extra_vars=extra, env=env)
    assert second.rc == 0 and second.changed == 0, second.stdout[-3000:]


def test_catalog_endpoint_is_central_vip_with_every_store(lab, glance):
    run, result = distribute(lab, glance, ["it-dist-no-such-image"], endpoint=False, python=DEBIAN_PYTHON)
    assert run.rc != 0
    assert result["endpoint"] == lab.vip("central") + "/v2"
    assert result["central_store"] == "central" and result["target_stores"] == glance.edges
    assert {s: v["type"] for s, v in result["stores"].items()} == {s: "rbd" for s in lab.sites}
    assert "no image has the id or name 'it-dist-no-such-image'" in result["msg"]


def test_qcow2_for_edge_rbd_stores_is_refused_with_the_reason(lab, glance):
    image = glance.upload(f"it-dist-qcow2-{uuid.uuid4().hex[:8]}", disk_format="qcow2")
    run, result = distribute(lab, glance, [image["name"]], stores=glance.edges)
    assert run.rc != 0
    assert result["failed"] is True and result["changed"] is False
    msg = result["msg"]
    assert msg.startswith("nothing was copied: ")
    for site in glance.edges:
        assert f"store {site}: its disk_format is qcow2, not raw: {site} is an RBD store at an edge site" in msg
    assert "copy-on-write" in msg
    assert "glance-direct or web-download where image conversion is on" in msg
    assert {s: i["status"] for s, i in result["images"][0]["stores"].items()} == {s: "refused" for s in glance.edges}
    assert glance.image_stores(image["id"]) == {"central"}
    assert glance.tasks(image["id"]) == []


def test_unknown_store_is_a_clear_error_and_nothing_is_copied(lab, glance):
    image = glance.upload(f"it-dist-raw-{uuid.uuid4().hex[:8]}")
    run, result = distribute(lab, glance, [image["name"]], stores=["dcn0", "nosuch"])
    assert run.rc != 0
    assert (f"store 'nosuch' is not a store of the Glance API at {result['endpoint']} "
            f"(stores: {', '.join(sorted(glance.lab.sites))})") in result["msg"]
    assert result["images"][0]["stores"]["dcn0"]["action"] == "copy"
    assert glance.image_stores(image["id"]) == {"central"}
    assert glance.tasks(image["id"]) == []
    assert image["id"] not in rbd_ids(lab, "dcn0")


def test_image_missing_from_central_is_refused(lab, glance):
    image = glance.upload(f"it-dist-edge-only-{uuid.uuid4().hex[:8]}", store=glance.edges[0])
    assert glance.image_stores(image["id"]) == {glance.edges[0]}
    run, result = distribute(lab, glance, [image["id"]], stores=glance.edges)
    assert run.rc != 0
    assert "is not in the central store 'central'" in result["msg"]
    assert result["images"][0]["stores"][glance.edges[0]]["status"] == "present"
    assert glance.image_stores(image["id"]) == {glance.edges[0]}


def test_deleting_the_images_removes_them_from_every_cluster(lab, glance, raw_image):
    glance.call("DELETE", f"/v2/images/{raw_image['id']}", (204,))
    for site in ["central", *glance.edges]:
        assert raw_image["id"] not in rbd_ids(lab, site), site
