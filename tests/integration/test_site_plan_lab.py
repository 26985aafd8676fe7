# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml and the site plan on the lab: documented variables end to end, bad overlays change nothing.

An overlay is one more inventory source after the lab's, setting group vars of
a site group: what an operator adds to a site's group_vars. Every assertion
reads the lab itself (the clusters through the ceph CLI on the site's Ceph
host, files and processes inside the lab hosts), never the playbook's result.
Keys are compared through fingerprints, so that a failing assertion never
prints one.
"""

from __future__ import annotations

import json
import time
import urllib.error
import uuid

import pytest
import yaml

from _ceph_it import fingerprint
from conftest import REPO, run_playbook

from ansible_collections.edgestack.glance_ceph.plugins.module_utils._auth import generate_key

SITE = REPO / "playbooks" / "site.yml"
MIB = 1024 * 1024
WATCHED_FILES = "/etc/ceph/* /etc/glance/glance-api.conf /etc/haproxy/haproxy.cfg"


def overlay(tmp_path, site, variables, name="overlay.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"all": {"children": {site: {"vars": variables}}}}))
    return ["-i", str(path)]


def edge(lab):
    return sorted(s for s in lab.sites if s != "central")[-1]


def snapshot(lab):
    """Everything site.yml may change: pools, CephX clients, the files it writes, the services' PIDs.

    Pools and clients named it-* belong to the Ceph module tests, which may run beside this file.
    """
    state = {}
    for site in lab.sites:
        pools = lab.ceph(site, "osd", "pool", "ls", "detail")
        state[f"{site} pools"] = {
            p["pool_name"]: {
                k: p.get(k)
                for k in (
                    "pool",
                    "size",
                    "min_size",
                    "pg_num",
                    "pg_placement_num",
                    "crush_rule",
                    "application_metadata",
                    "pg_autoscale_mode",
                    "target_size_ratio",
                    "quota_max_bytes",
                    "quota_max_objects",
                )
            }
            for p in pools
            if not p["pool_name"].startswith("it-")
        }
        auth = lab.ceph(site, "auth", "ls")["auth_dump"]
        state[f"{site} auth"] = {
            a["entity"]: {"caps": a.get("caps"), "key": fingerprint(a.get("key"))}
            for a in auth
            if not a["entity"].startswith("client.it-")
        }
    for host in lab.hosts:
        proc = lab.exec(
            host,
            [
                "sh",
                "-c",
                f"sha256sum {WATCHED_FILES} 2>/dev/null; "
                "for p in $(pgrep -x 'glance-api|haproxy'); do "
                "[ \"$(readlink /proc/$p/ns/net)\" = \"$(readlink /proc/self/ns/net)\" ] && echo pid $p; "
                "done; true",
            ],
            check=True,
        )
        state[f"{host} files+pids"] = sorted(proc.stdout.split("\n"))
    return state


def diff(before, after):
    return {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}


# --------------------------------------------------------------------------
# Bad overlays: every mistake is reported at once, before anything changes
# --------------------------------------------------------------------------
MISTAKES = [
    pytest.param(
        {"edgestack_site_type": "edgy"}, "edgestack_site_type (site {edge}, host {host}): is 'edgy'", id="site-type"
    ),
    pytest.param(
        {"edgestack_ceph_mon_addresses": ["10.0.0.1:6789"]},
        "edgestack_ceph_mon_addresses[0] (site {edge}, host {host})",
        id="mon-with-port",
    ),
    pytest.param(
        {"edgestack_glance_pool": "glance-images"},
        "edgestack_glance_pool (site {edge}, host {host}): pool glance-images is not among",
        id="glance-pool-undeclared",
    ),
    pytest.param(
        {"edgestack_glance_ceph_user": "client.glance"},
        "edgestack_glance_ceph_user (site {edge}, host {host})",
        id="glance-user-prefix",
    ),
    pytest.param(
        {"edgestack_glance_ceph_key": "bm90LWEta2V5LWF0LWFsbC1ub3QtYS1rZXktYXQtYWxs"},
        "edgestack_glance_ceph_key (site {edge}, host {host}): is not a CephX key",
        id="key-shape",
    ),
    pytest.param(
        {"edgestack_ceph_pools": [{"name": "images", "application": "rbd", "rbd_init": True, "pg_num": "many"}]},
        "edgestack_ceph_pools[0] (images).pg_num (site {edge}, host {host})",
        id="pool-type",
    ),
    pytest.param(
        {
            "edgestack_ceph_pools": [
                {"name": "images", "application": "rbd", "rbd_init": True},
                {"name": "scratch", "state": "absent"},
            ]
        },
        "edgestack_ceph_pools[1] (scratch) (site {edge}, host {host}): has state absent",
        id="pool-delete",
    ),
    pytest.param(
        {"edgestack_ceph_clients": [{"name": "client.backup", "caps": {"osd": "profile rbd pool=backups"}}]},
        "edgestack_ceph_clients[0] (client.backup).caps.osd (site {edge}, host {host}): names pool backups",
        id="client-caps-pool",
    ),
    pytest.param({"edgestack_glance_port": 70000}, "edgestack_glance_port (site {edge}, host {host})", id="port-range"),
    pytest.param(
        {"edgestack_glance_vip": "{central_vip}"},
        "edgestack_glance_vip (site {edge}, host {host}): VIP {central_vip} is also the VIP of site central",
        id="vip-shared",
    ),
    pytest.param(
        {"edgestack_glance_stores": [{"id": "{edge}", "default": "yes"}]},
        "edgestack_glance_stores (site {edge}, host {host})",
        id="store-default",
    ),
    pytest.param(
        {"edgestack_glance_haproxy_mode": "both"},
        "edgestack_glance_haproxy_mode (site {edge}, host {host}): is 'both'",
        id="haproxy-mode",
    ),
    pytest.param(
        {"edgestack_glance_vrrp_password": "vrrp-secret-too-long"},
        "edgestack_glance_vrrp_password (site {edge}, host {host}): is 20 characters long",
        id="vrrp-password",
    ),
]


@pytest.fixture(scope="module")
def converged(lab):
    """The lab converged by site.yml, and the state it left."""
    run = run_playbook(SITE, lab.inventory_args)
    assert run.rc == 0, run.stdout[-3000:]
    return snapshot(lab)


@pytest.mark.parametrize("variables, expected", MISTAKES)
def test_a_bad_overlay_is_reported_and_changes_nothing(lab, converged, tmp_path, variables, expected):
    site = edge(lab)
    host = lab.ceph_host(site)
    fill = {"edge": site, "host": host, "central_vip": lab.status["sites_vip"]["central"]}
    variables = json.loads(json.dumps(variables).replace("{edge}", site).replace("{central_vip}", fill["central_vip"]))
    # A second mistake on central: both are reported in the same run.
    args = (
        lab.inventory_args
        + overlay(tmp_path, site, variables)
        + overlay(tmp_path, "central", {"edgestack_glance_port": "glance"}, name="central.yml")
    )
    run = run_playbook(SITE, args, env={"ANSIBLE_STDOUT_CALLBACK": "default"})
    assert run.rc != 0
    out = run.stdout + run.stderr
    assert expected.format(**fill) in out, out[-3000:]
    assert "edgestack_glance_port (site central, host " in out, out[-3000:]
    for role_var in ("ceph_pool_setup_", "ceph_client_auth_", "haproxy_glance_", "glance_multistore_"):
        assert role_var not in out, out[-3000:]
    assert "\nchanged: [" not in out
    assert "vrrp-secret-too-long" not in out
    after = snapshot(lab)
    assert diff(converged, after) == {}


# --------------------------------------------------------------------------
# Documented variables: another Glance user, pool and a supplied key on an edge site
# --------------------------------------------------------------------------
def glance_call(lab, base, token, method, path, expect=(200,), **kwargs):
    for attempt in range(10):
        try:
            status, body = lab.glance(base, method, path, token=token, **kwargs)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(1)
            continue
        if status in (502, 503) and method == "GET" and attempt < 9:
            time.sleep(1)
            continue
        assert status in expect, f"{method} {path}: {status} {body}"
        return body
    raise AssertionError(f"{method} {path}: no answer from {base}")


def conf_section(text, section):
    out, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def test_glance_user_pool_and_key_of_an_edge_site_are_honoured_end_to_end(lab, tmp_path):
    site = edge(lab)
    user, pool, key = "glance-edge", "glance-images", generate_key()
    variables = {
        "edgestack_glance_ceph_user": user,
        "edgestack_glance_pool": pool,
        "edgestack_glance_ceph_key": key,
        "edgestack_ceph_pools": [
            {"name": "images", "application": "rbd", "rbd_init": True},
            {"name": pool, "application": "rbd", "rbd_init": True},
        ],
    }
    args = lab.inventory_args + overlay(tmp_path, site, variables)
    central_base = f"http://{lab.address(lab.glance_hosts('central')[0])}:9292"
    token = lab.token()
    image_id = None
    try:
        run = run_playbook(SITE, args, env={"ANSIBLE_STDOUT_CALLBACK": "default"})
        assert run.rc == 0, run.stdout[-4000:]
        assert key not in run.stdout + run.stderr

        # the client, its key and its caps on the site's cluster
        auth = {a["entity"]: a for a in lab.ceph(site, "auth", "ls")["auth_dump"]}
        client = auth[f"client.{user}"]
        assert fingerprint(client["key"]) == fingerprint(key)
        assert client["caps"] == {
            "mon": "profile rbd",
            "osd": f"profile rbd pool={pool}",
            "mgr": f"profile rbd pool={pool}",
        }
        pools = {p["pool_name"]: p for p in lab.ceph(site, "osd", "pool", "ls", "detail")}
        assert "rbd" in pools[pool]["application_metadata"]

        # the keyring named for that user on every host that reads the cluster, and the store sections
        readers = lab.glance_hosts("central") + lab.glance_hosts(site)
        for host in readers:
            keyring = f"/etc/ceph/{site}.client.{user}.keyring"
            proc = lab.exec(
                host, ["sh", "-c", f"stat -c '%U:%G %a' {keyring} && sed -n 's/^\\s*key = //p' {keyring}"], check=True
            )
            owner, found = proc.stdout.split("\n", 1)
            assert owner == "root:glance 640", (host, owner)
            assert fingerprint(found.strip()) == fingerprint(key), host
            conf = lab.exec(host, ["cat", "/etc/glance/glance-api.conf"], check=True).stdout
            section = conf_section(conf, site)
            assert section["rbd_store_user"] == user, (host, section)
            assert section["rbd_store_pool"] == pool, (host, section)
            assert section["rbd_store_ceph_conf"] == f"/etc/ceph/{site}.conf"
            # the other sites keep Glance's default user and pool
            assert conf_section(conf, "central")["rbd_store_user"] == "glance"

        # an image copied to the site lands in that pool
        image = glance_call(
            lab,
            central_base,
            token,
            "POST",
            "/v2/images",
            (201,),
            body={"name": f"it-plan-{uuid.uuid4().hex[:8]}", "disk_format": "raw", "container_format": "bare"},
        )
        image_id = image["id"]
        glance_call(
            lab,
            central_base,
            token,
            "PUT",
            f"/v2/images/{image_id}/file",
            (204,),
            data=b"\0" * MIB,
            headers={"Content-Type": "application/octet-stream", "X-Image-Meta-Store": "central"},
        )
        glance_call(
            lab,
            central_base,
            token,
            "POST",
            f"/v2/images/{image_id}/import",
            (202,),
            body={"method": {"name": "copy-image"}, "stores": [site]},
        )
        deadline = time.monotonic() + 180
        while site not in (glance_call(lab, central_base, token, "GET", f"/v2/images/{image_id}").get("stores") or ""):
            assert time.monotonic() < deadline, glance_call(lab, central_base, token, "GET", f"/v2/images/{image_id}")
            time.sleep(1)
        in_pool = lab.exec(lab.ceph_host(site), ["rbd", "--cluster", site, "ls", pool], check=True).stdout.split()
        assert image_id in in_pool
        in_default = lab.exec(
            lab.ceph_host(site), ["rbd", "--cluster", site, "ls", "images"], check=True
        ).stdout.split()
        assert image_id not in in_default
    finally:
        if image_id:
            for host in lab.glance_hosts("central"):
                status, _body = lab.glance(
                    f"http://{lab.address(host)}:9292", "DELETE", f"/v2/images/{image_id}", token=token
                )
                if status != 404:
                    break
        # back to the lab's own settings: the default user's store sections and keyrings
        restore = run_playbook(SITE, lab.inventory_args)
        assert restore.rc == 0, restore.stdout[-3000:]
    for host in lab.glance_hosts("central") + lab.glance_hosts(site):
        assert lab.exec(host, ["test", "-e", f"/etc/ceph/{site}.client.{user}.keyring"]).returncode != 0, host
        conf = lab.exec(host, ["cat", "/etc/glance/glance-api.conf"], check=True).stdout
        assert conf_section(conf, site)["rbd_store_user"] == "glance"
