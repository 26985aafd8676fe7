# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab itself: what every other integration test stands on."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
import uuid

import pytest

from conftest import LAB, REPO, labtool

ISOLATED_DIRS = ["/etc/ceph", "/etc/glance", "/etc/haproxy", "/var/lib/glance", "/run", "/tmp", "/root"]


def test_every_host_answers_ansible_ping_over_ssh(lab):
    proc = subprocess.run(["ansible", "all", *lab.inventory_args, "-m", "ansible.builtin.ping"],
                          capture_output=True, text=True, cwd=REPO, timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in lab.hosts:
        assert f"{host} | SUCCESS" in proc.stdout


def test_hosts_are_separate_machines_with_own_hostname(lab):
    for host in lab.hosts:
        assert lab.exec(host, ["hostname"], check=True).stdout.strip() == host
        addrs = lab.exec(host, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"], check=True).stdout
        assert f" {lab.address(host)}/" in addrs


@pytest.mark.parametrize("directory", ISOLATED_DIRS)
def test_a_file_written_on_one_host_is_absent_on_every_other(lab, directory):
    hosts = list(lab.hosts)
    marker = f"{directory}/lab-isolation-{uuid.uuid4().hex}"
    writer = hosts[-1]
    lab.exec(writer, ["touch", marker], check=True)
    try:
        assert lab.exec(writer, ["test", "-e", marker]).returncode == 0
        for other in hosts[:-1]:
            assert lab.exec(other, ["test", "-e", marker]).returncode != 0, f"{marker} visible on {other}"
        assert not os.path.exists(marker), "visible on the controller"
    finally:
        lab.exec(writer, ["rm", "-f", marker])


def test_admin_keyring_and_daemon_conf_only_on_the_sites_ceph_host(lab):
    """The lab's admin keyring and daemon conf live on the site's Ceph host only. Other hosts
    may hold a client conf for the site, but only the one the collection delivers."""
    for site in lab.sites:
        conf, admin = f"/etc/ceph/{site}.conf", f"/etc/ceph/{site}.client.admin.keyring"
        for host in lab.hosts:
            if host == lab.ceph_host(site):
                assert lab.exec(host, ["test", "-e", conf]).returncode == 0, host
                assert lab.exec(host, ["test", "-e", admin]).returncode == 0, host
                continue
            assert lab.exec(host, ["test", "-e", admin]).returncode != 0, f"{site} admin keyring on {host}"
            text = lab.exec(host, ["cat", conf]).stdout
            assert "osd_objectstore" not in text, f"{site}'s daemon conf on {host}"
            assert not text or text.startswith("# Managed by edgestack.glance_ceph"), (host, conf)


def test_each_cluster_is_health_ok_with_an_active_mgr(lab):
    for site in lab.sites:
        st = lab.ceph(site, "status")
        assert st["health"]["status"] == "HEALTH_OK", (site, st["health"])
        assert st["mgrmap"]["available"] is True
        assert st["osdmap"]["num_up_osds"] >= 1
        mons = lab.ceph(site, "mon", "dump")
        assert [m["public_addrs"]["addrvec"][0]["addr"].split(":")[0] for m in mons["mons"]] == [
            lab.address(lab.ceph_host(site))]


def test_each_glance_api_answers_healthcheck_and_lists_images_with_a_keystone_token(lab):
    token, body = labtool.cloud_token(lab.clouds_yaml)
    roles = {r["name"] for r in body["token"]["roles"]}
    assert "admin" in roles
    for site in lab.sites:
        for host in lab.glance_hosts(site):
            base = f"http://{lab.address(host)}:9292"
            with urllib.request.urlopen(base + "/healthcheck", timeout=10) as resp:
                assert resp.status == 200
            req = urllib.request.Request(base + "/v2/images", headers={"X-Auth-Token": token})
            with urllib.request.urlopen(req, timeout=20) as resp:
                assert "images" in json.loads(resp.read())
            # without a token, Keystone authentication is really in the pipeline
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + "/v2/images", timeout=10)
            assert err.value.code == 401


def test_glance_runs_as_the_host_runs_it(lab):
    host = lab.glance_hosts("central")[0]
    proc = lab.exec(host, ["service", "glance-api", "status"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pid = lab.exec(host, ["cat", "/run/glance/glance-api.pid"], check=True).stdout.strip()
    owner = lab.exec(host, ["ps", "-o", "user=", "-p", pid], check=True).stdout.strip()
    assert owner == "glance"


def test_bring_up_again_is_safe_and_quick(lab):
    before = {s: lab.ceph(s, "fsid")["fsid"] for s in lab.sites}
    t0 = time.monotonic()
    proc = subprocess.run(["python3", str(LAB), "up"], capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 30, f"a second bring-up took {elapsed:.1f}s"
    assert {s: lab.ceph(s, "fsid")["fsid"] for s in lab.sites} == before
