# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image conversion to raw on import, on the lab's real Glance and Ceph.

A qcow2 image imported (glance-direct) through central's VIP becomes a raw
image in central's pool, with the bytes of the disk it holds, and
glance_image_stores then copies it to every edge store. Checked independently
of Glance's answers: the RBD image's size and an `rbd export` checksum on each
site's Ceph host. Check mode and the staging-room check are exercised on one
central host without changing it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
import uuid

import pytest

from _ceph_it import PLAYBOOKS, module_result
from conftest import REPO, run_playbook

SITE = REPO / "playbooks" / "site.yml"
GLANCE_PLAY = REPO / "playbooks" / "glance.yml"
DISTRIBUTE = PLAYBOOKS / "images_distribute.yml"
CONF = "/etc/glance/glance-api.conf"
MIB = 1024 * 1024
DISK_MIB = 8
ROLE = "edgestack.glance_ceph.glance_multistore : "


def conversion_on(lab, host):
    conf = lab.exec(host, ["cat", CONF], check=True).stdout
    return "'image_conversion'" in conf and "output_format = raw" in conf


@pytest.fixture(scope="module")
def converged(lab):
    hosts = lab.hosts_with("glance")
    if not all(conversion_on(lab, h) for h in hosts):
        run = run_playbook(SITE, lab.inventory_args)
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert all(conversion_on(lab, h) for h in hosts)
    return True


@pytest.fixture(scope="module")
def disk():
    """A qcow2 image of an 8 MiB disk with 3 MiB of random data, and the raw disk's md5."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "disk.raw")
        with open(raw, "wb") as fh:
            fh.write(os.urandom(3 * MIB))
            fh.truncate(DISK_MIB * MIB)
        qcow2 = os.path.join(tmp, "disk.qcow2")
        subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2], check=True)
        with open(raw, "rb") as fh:
            md5 = hashlib.md5(fh.read()).hexdigest()
        with open(qcow2, "rb") as fh:
            yield {"qcow2": fh.read(), "raw_md5": md5}


def rbd_export_md5(lab, site, image_id):
    proc = lab.exec(lab.ceph_host(site), ["sh", "-c", f"rbd --cluster {site} export images/{image_id} - | md5sum"],
                    check=True)
    return proc.stdout.split()[0]


def rbd_size(lab, site, image_id):
    proc = lab.exec(lab.ceph_host(site), ["rbd", "--cluster", site, "info", f"images/{image_id}",
                                          "--format", "json"], check=True)
    import json  # pylint: disable=import-outside-toplevel
    return json.loads(proc.stdout)["size"]


def import_image(lab, base, token, name, data, disk_format="qcow2", timeout=120):
    """Create, stage and import (glance-direct) an image through base; wait until active."""
    status, image = lab.glance(base, "POST", "/v2/images", token=token, body={
        "name": name, "disk_format": disk_format, "container_format": "bare"})
    assert status == 201, image
    status, body = lab.glance(base, "PUT", f"/v2/images/{image['id']}/stage", data=data, token=token,
                              headers={"Content-Type": "application/octet-stream"})
    assert status == 204, body
    status, body = lab.glance(base, "POST", f"/v2/images/{image['id']}/import", token=token,
                              body={"method": {"name": "glance-direct"}})
    assert status == 202, body
    deadline = time.monotonic() + timeout
    while True:
        status, image = lab.glance(base, "GET", f"/v2/images/{image['id']}", token=token)
        if status == 200 and image["status"] == "active":
            return image
        assert time.monotonic() < deadline, image
        assert image.get("os_glance_failed_import") in (None, ""), image
        time.sleep(0.5)


@pytest.fixture(scope="module")
def converted(lab, converged, disk):
    token = lab.token()
    base = lab.vip("central")
    image = import_image(lab, base, token, f"it-convert-{uuid.uuid4().hex[:8]}", disk["qcow2"])
    yield image
    for site_base in [base] + [f"http://{lab.address(h)}:9292" for h in lab.glance_hosts("central")]:
        status, _body = lab.glance(site_base, "DELETE", f"/v2/images/{image['id']}", token=token)
        if status in (204, 404):
            break


def test_qcow2_imported_at_central_is_a_raw_image_in_central_pool(lab, converted, disk):
    assert converted["disk_format"] == "raw"
    assert converted["size"] == DISK_MIB * MIB
    assert converted["stores"] == "central"
    assert rbd_size(lab, "central", converted["id"]) == DISK_MIB * MIB
    assert rbd_export_md5(lab, "central", converted["id"]) == disk["raw_md5"]


def test_converted_image_reaches_every_edge_store_with_the_same_bytes(lab, converted, disk):
    edges = sorted(s for s in lab.sites if s != "central")
    run = run_playbook(DISTRIBUTE, lab.inventory_args, extra_vars={
        "it_images": [converted["id"]], "it_cloud": "lab-central", "it_stores": edges,
        "it_image_endpoint": f"http://{lab.address(lab.glance_hosts('central')[0])}:9292"},
        env={"OS_CLIENT_CONFIG_FILE": lab.clouds_yaml})
    result = module_result(run, "Distribute images", "localhost")
    assert run.rc == 0 and not result.get("failed"), result
    for site in edges:
        assert rbd_size(lab, site, converted["id"]) == DISK_MIB * MIB
        assert rbd_export_md5(lab, site, converted["id"]) == disk["raw_md5"], site


def test_opting_out_in_check_mode_shows_the_plugin_going_and_changes_nothing(lab, converged):
    host = lab.glance_hosts("central")[0]
    before = lab.exec(host, ["md5sum", CONF], check=True).stdout
    run = run_playbook(GLANCE_PLAY, lab.inventory_args, limit=host, check=True, diff=True,
                       extra_vars={"edgestack_glance_image_conversion": False})
    assert run.rc == 0, run.stdout[-3000:]
    result = run.task_results(ROLE + "Set the storage settings in glance-api.conf")[host]
    assert result["changed"]
    assert {"action": "remove_option", "section": "image_import_opts",
            "option": "image_import_plugins"} in result["actions"]
    assert lab.exec(host, ["md5sum", CONF], check=True).stdout == before


def test_too_little_staging_room_is_refused_before_conversion_is_turned_on(lab, converged):
    host = lab.glance_hosts("central")[0]
    tiny_room = {"edgestack_glance_image_conversion_min_free_gib": 1000000}
    # Conversion on already: a staging area short of room (an import in progress) fails no run.
    kept = run_playbook(GLANCE_PLAY, lab.inventory_args, limit=host, extra_vars=tiny_room)
    assert kept.rc == 0 and kept.changed == 0, kept.stdout[-3000:]
    off = run_playbook(GLANCE_PLAY, lab.inventory_args, limit=host,
                       extra_vars={"edgestack_glance_image_conversion": False})
    assert off.rc == 0, off.stdout[-3000:]
    try:
        assert not conversion_on(lab, host)
        before = lab.exec(host, ["md5sum", CONF], check=True).stdout
        run = run_playbook(GLANCE_PLAY, lab.inventory_args, limit=host, extra_vars=tiny_room)
        assert run.rc != 0
        # The settings module checks the host before it changes anything, and names the variables.
        result = run.task_results(ROLE + "Set the storage settings in glance-api.conf")[host]
        assert result["failed"] and not result["changed"]
        assert "edgestack_glance_image_conversion_min_free_gib (site central)" in result["msg"]
        assert "/var/lib/glance/staging" in result["msg"]
        assert lab.exec(host, ["md5sum", CONF], check=True).stdout == before
    finally:
        back = run_playbook(GLANCE_PLAY, lab.inventory_args, limit=host)
        assert back.rc == 0, back.stdout[-3000:]
    assert conversion_on(lab, host)
