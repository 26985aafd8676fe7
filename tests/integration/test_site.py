# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml on the three-site lab: converge, idempotence, stores, images, validation."""

from __future__ import annotations

import hashlib
import time

import pytest

from conftest import REPO

SITE = REPO / "playbooks" / "site.yml"
GLANCE_PLAY = REPO / "playbooks" / "glance.yml"
CONF = "/etc/glance/glance-api.conf"


def expected_stores(lab, site):
    edges = sorted(s for s in lab.sites if s != "central")
    if site == "central":
        return {"central", *edges}, "central"
    return {site, "central"}, site


def pids(lab, host, pidfile):
    return lab.exec(host, ["cat", pidfile]).stdout.strip()


def conf_sums(lab):
    out = {}
    for site in lab.sites:
        for host in lab.glance_hosts(site):
            out[host] = hashlib.sha256(lab.exec(host, ["cat", CONF], check=True).stdout.encode()).hexdigest()
    return out


def wait_image(lab, base, image_id, token, until, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        status, image = lab.glance(base, "GET", f"/v2/images/{image_id}", token=token)
        assert status == 200, image
        if until(image):
            return image
        assert time.monotonic() < deadline, f"image {image_id} never reached the expected state: {image}"
        time.sleep(0.5)


def upload_raw(lab, base, token, name, size=1024 * 1024):
    status, image = lab.glance(base, "POST", "/v2/images", token=token, body={
        "name": name, "disk_format": "raw", "container_format": "bare"})
    assert status == 201, image
    status, body = lab.glance(base, "PUT", f"/v2/images/{image['id']}/file", token=token, data=b"\0" * size,
                              headers={"Content-Type": "application/octet-stream"})
    assert status == 204, body
    return wait_image(lab, base, image["id"], token, lambda i: i["status"] == "active")


def rbd_images(lab, site):
    proc = lab.exec(lab.ceph_host(site), ["rbd", "--cluster", site, "ls", "images"], check=True)
    return proc.stdout.split()


@pytest.fixture(scope="module")
def converged(lab, request):
    """site.yml run twice: the first converges, the second must change nothing."""
    from conftest import run_playbook  # pylint: disable=import-outside-toplevel
    first = run_playbook(SITE, lab.inventory_args)
    assert first.rc == 0, first.stdout[-4000:] + first.stderr[-2000:]
    before = {h: pids(lab, h, "/run/glance/glance-api.pid") for s in lab.sites for h in lab.glance_hosts(s)}
    second = run_playbook(SITE, lab.inventory_args)
    after = {h: pids(lab, h, "/run/glance/glance-api.pid") for s in lab.sites for h in lab.glance_hosts(s)}
    return {"first": first, "second": second, "pids_before": before, "pids_after": after}


def test_site_converges_and_a_second_run_changes_and_restarts_nothing(converged):
    second = converged["second"]
    assert second.rc == 0, second.stdout[-3000:]
    changed = {host: s["changed"] for host, s in second.stats.items() if s["changed"]}
    assert changed == {}, f"second run changed: {changed}"
    assert converged["pids_before"] == converged["pids_after"], "glance-api restarted on a no-change run"
    assert all(converged["pids_after"].values())


def test_each_site_lists_exactly_its_computed_stores(lab, converged):
    token = lab.token()
    for site in lab.sites:
        ids, default = expected_stores(lab, site)
        status, info = lab.glance(lab.vip(site), "GET", "/v2/info/stores", token=token)
        assert status == 200, info
        assert {s["id"] for s in info["stores"]} == ids, site
        assert [s["id"] for s in info["stores"] if s.get("default") in (True, "true")] == [default], site
        for host in lab.glance_hosts(site):
            status, direct = lab.glance(f"http://{lab.address(host)}:9292", "GET", "/v2/info/stores", token=token)
            assert {s["id"] for s in direct["stores"]} == ids, host


def test_a_raw_image_uploaded_at_each_site_lands_in_its_cluster_and_goes_with_it(lab, converged):
    token = lab.token()
    for site in lab.sites:
        image = upload_raw(lab, lab.vip(site), token, f"it-site-{site}")
        try:
            assert image["stores"] == site
            assert image["id"] in rbd_images(lab, site)
            for other in lab.sites:
                if other != site:
                    assert image["id"] not in rbd_images(lab, other)
        finally:
            status = lab.glance(lab.vip(site), "DELETE", f"/v2/images/{image['id']}", token=token)[0]
        assert status == 204
        assert image["id"] not in rbd_images(lab, site)


def test_copy_image_puts_a_central_image_into_every_edge_cluster(lab, converged):
    token = lab.token()
    central = lab.vip("central")
    edges = sorted(s for s in lab.sites if s != "central")
    image = upload_raw(lab, central, token, "it-copy-to-edges", size=8 * 1024 * 1024)
    try:
        t0 = time.monotonic()
        status, body = lab.glance(central, "POST", f"/v2/images/{image['id']}/import", token=token,
                                  body={"method": {"name": "copy-image"}, "stores": edges})
        assert status == 202, body
        done = wait_image(lab, central, image["id"], token,
                          lambda i: set(i.get("stores", "").split(",")) == {"central", *edges}, timeout=120)
        print(f"copy-image of 8 MiB to {len(edges)} edge stores: {time.monotonic() - t0:.1f}s")
        assert not done.get("os_glance_failed_import")
        for site in ["central", *edges]:
            assert image["id"] in rbd_images(lab, site), site
    finally:
        lab.glance(central, "DELETE", f"/v2/images/{image['id']}", token=token)
    for site in ["central", *edges]:
        assert image["id"] not in rbd_images(lab, site)


BAD_INPUTS = [
    pytest.param({"edgestack_glance_stores": [{"id": "os_glance_cache", "type": "file",
                                               "options": {"filesystem_store_datadir": "/var/lib/glance/c"}}]},
                 "os_glance_", id="store-id-reserved-prefix"),
    pytest.param({"edgestack_glance_stores": [{"id": "web1", "type": "http"}, {"id": "web2", "type": "http"}]},
                 "at most one http store", id="two-http-stores"),
    pytest.param({"edgestack_glance_stores": [{"id": "Bad Id", "type": "http"}]},
                 "Bad Id", id="store-id-invalid"),
    pytest.param({"glance_multistore_stores": [{"id": "central", "type": "rbd", "cluster": "central", "pool": "images",
                                                "user": "glance", "ceph_conf": "/etc/ceph/central.conf",
                                                "keyring": "/etc/ceph/central.client.glance.keyring",
                                                "default": False}]},
                 "default", id="no-default-store"),
    pytest.param({"glance_multistore_stores": [
        {"id": "central", "type": "rbd", "cluster": "central", "pool": "images", "user": "glance",
         "ceph_conf": "/etc/ceph/central.conf", "keyring": "/etc/ceph/central.client.glance.keyring", "default": True},
        {"id": "central", "type": "http", "default": False}]},
        "appears twice", id="store-ids-not-unique"),
    pytest.param({"glance_multistore_tasks_dir": "/var/lib/glance/staging"}, "distinct", id="staging-equals-tasks"),
    pytest.param({"glance_multistore_healthcheck_timeout": "soon"}, "glance_multistore_healthcheck_timeout",
                 id="option-of-the-wrong-type"),
]


@pytest.mark.parametrize("extra_vars,message", BAD_INPUTS)
def test_bad_glance_input_fails_before_glance_api_conf_changes(lab, converged, ansible_playbook, extra_vars, message):
    before = conf_sums(lab)
    result = ansible_playbook(GLANCE_PLAY, extra_vars=extra_vars)
    assert result.rc != 0
    assert message in result.stdout + result.stderr
    assert conf_sums(lab) == before


def test_an_unreadable_keyring_fails_naming_the_host_and_file_before_any_change(lab, converged, ansible_playbook):
    host = lab.glance_hosts("central")[-1]
    keyring = "/etc/ceph/dcn0.client.glance.keyring"
    before = conf_sums(lab)
    lab.exec(host, ["chmod", "0600", keyring], check=True)
    try:
        result = ansible_playbook(GLANCE_PLAY)
    finally:
        lab.exec(host, ["chmod", "0640", keyring], check=True)
    assert result.rc != 0
    out = result.stdout + result.stderr
    assert host in out and keyring in out
    assert conf_sums(lab) == before


def test_glance_rbd_backend_gives_one_store_and_glance_multistore_restores_the_map(lab, converged, ansible_playbook):
    edge = sorted(s for s in lab.sites if s != "central")[-1]
    host = lab.glance_hosts(edge)[0]
    base = f"http://{lab.address(host)}:9292"
    playbook = REPO / "tests" / "integration" / "playbooks" / "glance_rbd_backend.yml"
    try:
        first = ansible_playbook(playbook, extra_vars={"target": host})
        assert first.rc == 0, first.stdout[-3000:]
        status, info = lab.glance(base, "GET", "/v2/info/stores")
        # Glance 25 reports the default store as "default": "true" (a string)
        assert [(s["id"], s.get("default") in (True, "true")) for s in info["stores"]] == [(edge, True)]
        conf = lab.exec(host, ["cat", CONF], check=True).stdout
        assert "rbd_store_chunk_size = 4" in conf and "[central]" not in conf
        pid = pids(lab, host, "/run/glance/glance-api.pid")
        second = ansible_playbook(playbook, extra_vars={"target": host})
        assert second.rc == 0 and second.changed == 0
        assert pids(lab, host, "/run/glance/glance-api.pid") == pid
    finally:
        restore = ansible_playbook(GLANCE_PLAY, limit=host)
    assert restore.rc == 0, restore.stdout[-3000:]
    ids, default = expected_stores(lab, edge)
    status, info = lab.glance(base, "GET", "/v2/info/stores")
    assert {s["id"] for s in info["stores"]} == ids
    assert [s["id"] for s in info["stores"] if s.get("default") in (True, "true")] == [default]
