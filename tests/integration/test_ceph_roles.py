# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_pool_setup, ceph_client_auth and playbooks/ceph.yml on the lab's three sites.

Every assertion reads the real state independently of the roles: pools and
clients with the ceph CLI on each site's Ceph host, files with find/stat/cat
on each Glance host. Keys are compared through fingerprints so that no
assertion can print one. Extra pools and clients are named it-* and deleted
again; every test that breaks something restores it by running the playbook.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess

import pytest

from _ceph_it import PLAYBOOKS, auth_entry, fingerprint, pools, rbd_info
from conftest import REPO

PLAYBOOK = REPO / "playbooks" / "ceph.yml"
PREFLIGHT = PLAYBOOKS / "ceph_roles_preflight.yml"
CLEANUP = PLAYBOOKS / "ceph_roles_cleanup.yml"
HEADER = "# Managed by edgestack.glance_ceph"
CAPS = {"mon": "profile rbd", "osd": "profile rbd pool=images", "mgr": "profile rbd pool=images"}
CENTRAL = "central"
ROLE = "edgestack.glance_ceph.ceph_client_auth : "
ROLE_POOLS = "edgestack.glance_ceph.ceph_pool_setup : "


# --------------------------------------------------------------------------- helpers
def glance_hosts(lab) -> list[str]:
    return sorted(h for h, info in lab.hosts.items() if "glance" in info["services"])


def site_of(lab, host: str) -> str:
    return lab.hosts[host]["site"]


def runs_ceph(lab, host: str) -> bool:
    return "ceph" in lab.hosts[host]["services"]


def clusters_for(lab, host: str) -> list[str]:
    """The DCN rule: a central Glance host gets every site, an edge one its own and central."""
    site = site_of(lab, host)
    return sorted(lab.sites) if site == CENTRAL else sorted({site, CENTRAL})


def fsid(lab, site: str) -> str:
    return lab.status["sites"][site]["fsid"]


# Runs inside a host: describes every file of /etc/ceph, keyrings by key fingerprint
# (the same tag as the modules show), so that no key ever leaves the host.
FILES_SCRIPT = r"""
import grp, hashlib, json, os, pwd, re, stat
out = {}
for name in sorted(os.listdir("/etc/ceph")):
    path = os.path.join("/etc/ceph", name)
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        continue
    with open(path, "rb") as handle:
        data = handle.read()
    text = data.decode("utf-8", "replace")
    entry = {"owner": pwd.getpwuid(info.st_uid).pw_name, "group": grp.getgrgid(info.st_gid).gr_name,
             "mode": "%04o" % stat.S_IMODE(info.st_mode), "sha256": hashlib.sha256(data).hexdigest(),
             "first_line": text.split("\n", 1)[0]}
    if name.endswith(".keyring"):
        keys, section = {}, None
        for line in text.splitlines():
            match = re.match(r"^\s*\[([^\]]+)\]\s*$", line)
            if match:
                section = match.group(1)
                continue
            match = re.match(r"^\s*key\s*=\s*(\S+)\s*$", line)
            if match and section:
                keys[section] = "sha256:" + hashlib.sha256(match.group(1).encode()).hexdigest()[:12]
        entry["keys"] = keys
    else:
        entry["text"] = text
    out[name] = entry
print(json.dumps(out))
"""


def host_files(lab, host: str) -> dict:
    """name -> {owner, group, mode, sha256, first_line, text (confs) or keys (keyrings: entity -> fingerprint)}."""
    return json.loads(lab.exec(host, ["python3", "-c", FILES_SCRIPT], check=True).stdout)


def listing(lab, host: str, files: dict | None = None) -> dict:
    """name -> (owner, group, mode) of the files in /etc/ceph."""
    files = host_files(lab, host) if files is None else files
    return {name: (f["owner"], f["group"], f["mode"]) for name, f in files.items()}


def auth_state(lab, site: str) -> dict:
    """entity -> (caps, key fingerprint) of every client of a cluster."""
    dump = lab.ceph(site, "auth", "ls")
    return {e["entity"]: (json.dumps(e.get("caps", {}), sort_keys=True), fingerprint(e.get("key")))
            for e in dump["auth_dump"] if e["entity"].startswith("client.")}


def ours(name: str) -> bool:
    """What the playbook manages on the lab. Other tests and benchmarks share the clusters and
    add their own pools and clients meanwhile: those are left out of snapshots."""
    return name in ("images", "client.glance") or name.startswith(("it-roles", "client.it-roles"))


def snapshot(lab) -> dict:
    """Everything the playbook could change: pools, clients, and /etc/ceph on every host."""
    state = {}
    for site in sorted(lab.sites):
        state[f"pools:{site}"] = sorted(p for p in pools(lab, site) if ours(p))
        state[f"auth:{site}"] = {k: v for k, v in auth_state(lab, site).items() if ours(k)}
    for host in sorted(lab.hosts):
        if {"ceph", "glance"} & set(lab.hosts[host]["services"]):
            state[f"files:{host}"] = {name: (f["owner"], f["group"], f["mode"], f["sha256"])
                                      for name, f in host_files(lab, host).items()}
    return state


def expected_conf(lab, site: str) -> str:
    address = lab.address(lab.ceph_host(site))
    return (f"{HEADER} (ceph_client_auth): client configuration of Ceph cluster {site}; local changes are "
            f"overwritten.\n[global]\nfsid = {fsid(lab, site)}\nmon_host = [v2:{address}:3300,v1:{address}:6789]\n"
            f"\n[client]\nkeyring = /etc/ceph/{site}.$name.keyring\n"
            # ceph_client_auth's bounds on a wait for a cluster that does not answer
            "client_mount_timeout = 5\nrados_mon_op_timeout = 10\nrados_osd_op_timeout = 60\n")


def expected_files(lab, host: str) -> dict:
    """name -> (owner, group, mode) that a Glance host must have in /etc/ceph, and nothing else."""
    files = {}
    for site in clusters_for(lab, host):
        files[f"{site}.conf"] = ("root", "root", "0644")
        files[f"{site}.client.glance.keyring"] = ("root", "glance", "0640")
    if runs_ceph(lab, host):
        own = site_of(lab, host)
        files[f"{own}.client.admin.keyring"] = ("root", "root", "0600")
    return files


def failure_messages(result) -> str:
    """The msg of every failed task result (the playbook's own words)."""
    out = []
    for task in result.tasks or []:
        for host, res in task["hosts"].items():
            if res.get("failed"):
                out.append(f"{host}: {res.get('msg', '')}")
            for item in res.get("results") or []:
                if isinstance(item, dict) and item.get("failed"):
                    out.append(f"{host}: {item.get('msg', '')}")
    return "\n".join(out)


def write(lab, host: str, path: str, text: str, owner: str = "root:root", mode: str = "0644"):
    lab.exec(host, ["sh", "-c", f'cat > "$1" && chown {owner} "$1" && chmod {mode} "$1"', "-", path],
             input=text, check=True)


def new_key() -> str:
    return subprocess.run(["ceph-authtool", "--gen-print-key"], capture_output=True, text=True,
                          check=True).stdout.strip()


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def run_ceph(lab):
    from conftest import run_playbook

    def _run(extra_vars=None, check=False, diff=False, verbosity=0, inventory_args=None, playbook=PLAYBOOK):
        return run_playbook(playbook, inventory_args or lab.inventory_args, extra_vars=extra_vars, check=check,
                            diff=diff, verbosity=verbosity)
    return _run


@pytest.fixture(scope="module")
def converged(lab, run_ceph):
    """Two runs of playbooks/ceph.yml on the whole lab; the HCI hosts' own conf digests before them."""
    hci_before = {h: host_files(lab, h)[f"{site_of(lab, h)}.conf"]["sha256"]
                  for h in glance_hosts(lab) if runs_ceph(lab, h)}
    first = run_ceph()
    assert first.rc == 0, failure_messages(first) or first.stdout[-3000:] + first.stderr
    second = run_ceph()
    assert second.rc == 0, failure_messages(second) or second.stdout[-3000:] + second.stderr
    return first, second, hci_before


def assert_delivered(lab):
    """Every Glance host has exactly the files of the DCN rule, right owner, mode, content and key."""
    keys = {site: fingerprint(auth_entry(lab, site, "client.glance")["key"]) for site in lab.sites}
    for host in glance_hosts(lab):
        files = host_files(lab, host)
        assert listing(lab, host, files) == expected_files(lab, host), host
        for site in clusters_for(lab, host):
            conf = files[f"{site}.conf"]["text"]
            if runs_ceph(lab, host) and site == site_of(lab, host):
                assert not conf.startswith(HEADER), f"{host}: the daemons' conf of {site} was overwritten"
            else:
                assert conf == expected_conf(lab, site), (host, site)
                assert "\t" not in conf and all(line == line.rstrip() for line in conf.splitlines())
            keyring = files[f"{site}.client.glance.keyring"]
            assert keyring["keys"] == {"client.glance": keys[site]}, (host, site)
            assert keyring["first_line"].startswith(HEADER), (host, site)


# --------------------------------------------------------------------------- tests
def test_pools_clients_and_files_converge_and_stay(lab, converged):
    first, second, hci_before = converged
    for site in lab.sites:
        images = pools(lab, site)["images"]
        assert "rbd" in images["application_metadata"], site
        assert rbd_info(lab, site, "images") is not None, site
        assert auth_entry(lab, site, "client.glance")["caps"] == CAPS, site
    assert_delivered(lab)
    # The HCI hosts' own conf is the daemons': never written.
    for host, digest in hci_before.items():
        assert host_files(lab, host)[f"{site_of(lab, host)}.conf"]["sha256"] == digest, host
    # The second run changes nothing, and every preflight passed.
    assert second.changed == 0, [t["task"]["name"] for t in second.tasks
                                 if any(r.get("changed") for r in t["hosts"].values())]
    # Pools as declared: each admin host's lookup answered, and the pools module did not run. (The
    # clients' result holds keyrings, so it is censored; the delivery below, skipped on every host,
    # shows that the keys the clients' lookup published are the delivered ones.)
    pooled = {host: result for task in second.tasks if task["task"]["name"].startswith(
        ROLE_POOLS + "Converge the pools of Ceph cluster") for host, result in task["hosts"].items()}
    assert sorted(pooled) == sorted(lab.ceph_host(site) for site in lab.sites)
    assert all(r["lookup_only"] is True and r["changed"] is False for r in pooled.values()), pooled
    # One task reports what the files module found in the way and what its check found.
    reports = second.task_results(ROLE + "Stop on the files in the way, or on the clusters the service user cannot use, as glance")
    assert sorted(reports) == glance_hosts(lab)
    assert not any(r.get("failed") for r in reports.values())
    # Files as wanted: the lookup found nothing for the files module to do, on any host...
    delivered = second.task_results(
        ROLE + "Write the conf and keyring files of the delivered clusters, remove stale ones, check them as user glance")
    assert sorted(delivered) == glance_hosts(lab)
    assert all(r.get("skipped") for r in delivered.values()), delivered
    looked_up = second.task_results(
        ROLE + "Look up the conf and keyring files of the delivered clusters and check them as user glance")
    for host in glance_hosts(lab):
        # ... and checked all of the host's clusters, in the same command, as user glance.
        lines = [line.strip() for line in looked_up[host]["stdout"].splitlines() if line.startswith("cluster ")]
        assert sorted(line.split()[1].rstrip(":") for line in lines) == clusters_for(lab, host), lines
        assert all(": ok: glance lists pool " in line for line in lines), lines


def test_check_mode_changes_nothing_and_shows_no_key(lab, converged, run_ceph):
    before = snapshot(lab)
    result = run_ceph(check=True, diff=True)
    assert result.rc == 0, failure_messages(result)
    assert result.changed == 0
    keys = [auth_entry(lab, site, "client.glance")["key"] for site in lab.sites]
    assert not any(k in result.stdout or k in result.stderr for k in keys), "a key appeared in the output"
    assert snapshot(lab) == before


def test_no_key_in_verbose_output(lab, converged, run_ceph):
    result = run_ceph(diff=True, verbosity=3)
    assert result.rc == 0, result.stdout[-3000:]
    assert "PLAY RECAP" in result.stdout
    keys = [auth_entry(lab, site, "client.glance")["key"] for site in lab.sites]
    assert not any(k in result.stdout or k in result.stderr for k in keys), "a key appeared in the -vvv output"


def test_drift_is_repaired_and_stale_files_removed(lab, converged, run_ceph):
    edge = sorted(s for s in lab.sites if s != CENTRAL)
    glance = glance_hosts(lab)
    central_host = next(h for h in glance if site_of(lab, h) == CENTRAL)
    edge_host = next(h for h in glance if site_of(lab, h) == edge[-1])
    other_edge = edge[0]
    # A central host loses a cluster's files, another keyring loses its mode.
    lab.exec(central_host, ["rm", "-f", f"/etc/ceph/{edge[-1]}.conf", f"/etc/ceph/{edge[-1]}.client.glance.keyring"],
             check=True)
    lab.exec(central_host, ["chmod", "0600", f"/etc/ceph/{CENTRAL}.client.glance.keyring"], check=True)
    # An edge host holds another edge site's files: one the collection wrote, one it did not.
    write(lab, edge_host, f"/etc/ceph/{other_edge}.conf", expected_conf(lab, other_edge))
    write(lab, edge_host, f"/etc/ceph/{other_edge}.client.glance.keyring",
          f"{HEADER} (ceph_client_files): stale\n[client.glance]\n\tkey = {new_key()}\n", "root:glance", "0640")
    foreign = f"/etc/ceph/{other_edge}.client.it-foreign.keyring"
    write(lab, edge_host, foreign, f"[client.it-foreign]\n\tkey = {new_key()}\n", "root:root", "0600")
    try:
        result = run_ceph()
        assert result.rc == 0, failure_messages(result)
        assert result.changed > 0
        files = listing(lab, edge_host)
        assert f"{other_edge}.conf" not in files and f"{other_edge}.client.glance.keyring" not in files
        # a file the collection did not write is left alone
        assert f"{other_edge}.client.it-foreign.keyring" in files
    finally:
        lab.exec(edge_host, ["rm", "-f", foreign])
    assert_delivered(lab)


def test_a_conf_the_collection_did_not_write_is_not_replaced(lab, converged, run_ceph):
    host = next(h for h in glance_hosts(lab) if site_of(lab, h) == CENTRAL)
    site = sorted(s for s in lab.sites if s != CENTRAL)[0]
    path = f"/etc/ceph/{site}.conf"
    hand_written = "# written by hand\n" + expected_conf(lab, site).split("\n", 1)[1]
    write(lab, host, path, hand_written)
    before = snapshot(lab)
    try:
        result = run_ceph()
        assert result.rc != 0
        messages = failure_messages(result)
        assert f"{host}: " in messages and path in messages
        assert "ceph_client_auth_deliver_local_clusters" in messages and "ceph_client_auth_deliver_adopt" in messages
        # Nothing changed on that host; the others converged (nothing to do).
        assert snapshot(lab)[f"files:{host}"] == before[f"files:{host}"]
        assert host_files(lab, host)[f"{site}.conf"]["text"] == hand_written
    finally:
        lab.exec(host, ["rm", "-f", path], check=True)
    result = run_ceph()
    assert result.rc == 0, failure_messages(result)
    assert_delivered(lab)


def test_partial_inventories_leave_other_clusters_alone(lab, converged, run_ceph):
    inventory = {os.path.basename(path.rstrip("/")): path for path in lab.status["inventory"]}
    edge = sorted(s for s in lab.sites if s != CENTRAL)
    before = snapshot(lab)
    # Central and one edge site: the other edge site's files on central hosts stay.
    result = run_ceph(inventory_args=["-i", inventory[CENTRAL], "-i", inventory[edge[0]]])
    assert result.rc == 0, failure_messages(result)
    assert result.changed == 0
    # One edge site alone (no central in the inventory): central's files on it stay.
    result = run_ceph(inventory_args=["-i", inventory[edge[-1]]])
    assert result.rc == 0, failure_messages(result)
    assert result.changed == 0
    assert snapshot(lab) == before


def test_site_overlay_adds_a_pool_and_a_delivered_client(lab, converged, run_ceph, tmp_path):
    pool, client = "it-roles-extra", "client.it-roles-extra"
    extra_caps = {"mon": "profile rbd", "osd": f"profile rbd-read-only pool=images, profile rbd pool={pool}"}
    overlay = tmp_path / "overlay.yml"

    def with_central(vars_):
        overlay.write_text(json.dumps({"all": {"children": {CENTRAL: {"vars": vars_}}}}))
        return run_ceph(inventory_args=lab.inventory_args + ["-i", str(overlay)])

    pools_declared = [{"name": "images", "application": "rbd", "rbd_init": True},
                      {"name": pool, "application": "rbd", "rbd_init": True, "pg_num": 8}]
    try:
        result = with_central({"edgestack_ceph_pools": pools_declared,
                               "edgestack_ceph_clients": [{"name": client, "caps": extra_caps, "deliver": True}]})
        assert result.rc == 0, failure_messages(result)
        assert "rbd" in pools(lab, CENTRAL)[pool]["application_metadata"]
        assert auth_entry(lab, CENTRAL, client)["caps"] == extra_caps
        key = fingerprint(auth_entry(lab, CENTRAL, client)["key"])
        for host in glance_hosts(lab):  # every Glance host gets central
            assert listing(lab, host)[f"{CENTRAL}.{client}.keyring"] == ("root", "glance", "0640"), host
            assert host_files(lab, host)[f"{CENTRAL}.{client}.keyring"]["keys"] == {client: key}, host
        again = with_central({"edgestack_ceph_pools": pools_declared,
                              "edgestack_ceph_clients": [{"name": client, "caps": extra_caps, "deliver": True}]})
        assert again.rc == 0 and again.changed == 0, failure_messages(again)

        # The client goes: deleted from the cluster, its keyrings removed from every host.
        result = with_central({"edgestack_ceph_pools": pools_declared,
                               "edgestack_ceph_clients": [{"name": client, "state": "absent"}]})
        assert result.rc == 0, failure_messages(result)
        assert auth_entry(lab, CENTRAL, client) is None
        for host in glance_hosts(lab):
            assert f"{CENTRAL}.{client}.keyring" not in listing(lab, host), host
    finally:
        cleanup = run_ceph(playbook=CLEANUP, extra_vars={
            "it_host": lab.ceph_host(CENTRAL), "it_cluster": CENTRAL, "it_clients": [client], "it_pools": [pool]})
        assert cleanup.rc == 0, failure_messages(cleanup)
    assert pool not in pools(lab, CENTRAL)
    result = run_ceph()
    assert result.rc == 0 and result.changed == 0, failure_messages(result)
    assert_delivered(lab)


def preflight_inputs(lab) -> dict:
    return {host: [{"name": s, "user": "glance", "pool": "images", "fsid": fsid(lab, s)}
                   for s in clusters_for(lab, host)] for host in glance_hosts(lab)}


def test_preflight_names_host_cluster_and_cause(lab, converged, run_ceph):
    glance = glance_hosts(lab)
    edge = sorted(s for s in lab.sites if s != CENTRAL)
    perms_host = [h for h in glance if site_of(lab, h) == CENTRAL][-1]
    key_host = next(h for h in glance if site_of(lab, h) == edge[-1])
    net_host = [h for h in glance if site_of(lab, h) == CENTRAL][0]
    args = {"it_preflight": preflight_inputs(lab), "it_timeout": 3}

    ok = run_ceph(playbook=PREFLIGHT, extra_vars=args)
    assert ok.rc == 0, failure_messages(ok)

    # Keyring permissions: glance cannot read a root 0600 keyring.
    perms_path = f"/etc/ceph/{CENTRAL}.client.glance.keyring"
    lab.exec(perms_host, ["chown", "root:root", perms_path], check=True)
    lab.exec(perms_host, ["chmod", "0600", perms_path], check=True)
    # Key mismatch: a well-formed keyring with another key.
    key_path = f"/etc/ceph/{edge[-1]}.client.glance.keyring"
    write(lab, key_host, key_path, f"{HEADER} (ceph_client_files): wrong\n[client.glance]\n\tkey = {new_key()}\n",
          "root:glance", "0640")
    # Network: the conf points at a monitor address where nothing listens.
    net_site = edge[0]
    net_path = f"/etc/ceph/{net_site}.conf"
    broken = re.sub(r"^mon_host = .*$", "mon_host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]",
                    expected_conf(lab, net_site), flags=re.M)
    write(lab, net_host, net_path, broken)
    try:
        result = run_ceph(playbook=PREFLIGHT, extra_vars=args)
        assert result.rc != 0
        reports = result.task_results(ROLE + "Report the clusters this host cannot use")
        failed = {h: r["msg"] for h, r in reports.items() if r.get("failed")}
        assert sorted(failed) == sorted({perms_host, key_host, net_host})
        assert f"failed on {perms_host}" in failed[perms_host]
        assert f"cluster {CENTRAL}: keyring permissions: {perms_path}" in failed[perms_host]
        assert f"failed on {key_host}" in failed[key_host]
        assert f"cluster {edge[-1]}: key mismatch" in failed[key_host]
        assert f"failed on {net_host}" in failed[net_host]
        assert f"cluster {net_site}: network" in failed[net_host]
        # only the broken cluster is reported on each host
        assert f"cluster {CENTRAL}:" not in failed[key_host]
    finally:
        restored = run_ceph()
    assert restored.rc == 0, failure_messages(restored)
    assert restored.changed > 0
    assert_delivered(lab)
    assert run_ceph(playbook=PREFLIGHT, extra_vars=args).rc == 0


BAD_INVENTORIES = {
    "unknown pool in caps": (
        {"dcn1": {"edgestack_ceph_clients": [
            {"name": "client.it-roles-bad", "caps": {"mon": "profile rbd", "osd": "profile rbd pool=it-missing"}}]}},
        ["edgestack_ceph_clients", "it-missing", "does not declare"]),
    "bad mon address": (
        {"dcn1": {"edgestack_ceph_mon_addresses": ["10.251.0.300"]}},
        ["edgestack_ceph_mon_addresses", "10.251.0.300", "not an IPv4 or IPv6 address"]),
    "duplicate site name": (
        {"dcn1": {"edgestack_site": "dcn0"}},
        ["edgestack_site", "two site overlays use the same site name"]),
}


def test_bad_inventories_fail_before_anything_changes(lab, converged, run_ceph, tmp_path):
    """Each bad inventory stops the run in the checks, naming the variable; nothing changes.

    The cases share one drifted lab and one restoring run at the end: each failed run
    must leave the drift (a keyring mode a converging run would repair) in place."""
    central_host = next(h for h in glance_hosts(lab) if site_of(lab, h) == CENTRAL)
    lab.exec(central_host, ["chmod", "0600", f"/etc/ceph/{CENTRAL}.client.glance.keyring"], check=True)
    before = snapshot(lab)
    problems = []
    try:
        for number, case in enumerate(sorted(BAD_INVENTORIES)):
            group_vars, needles = BAD_INVENTORIES[case]
            children = {group: {"vars": dict(vars_)} for group, vars_ in group_vars.items()}
            # A change that a run would make if the checks let it through.
            children.setdefault(CENTRAL, {"vars": {}})["vars"]["edgestack_ceph_pools"] = [
                {"name": "images", "application": "rbd", "rbd_init": True}, {"name": "it-roles-pending", "pg_num": 8}]
            overlay = tmp_path / f"overlay-{number}.yml"
            overlay.write_text(json.dumps({"all": {"children": children}}))
            result = run_ceph(inventory_args=lab.inventory_args + ["-i", str(overlay)])
            messages = failure_messages(result)
            if result.rc == 0:
                problems.append(f"{case}: the run succeeded")
                continue
            problems += [f"{case}: {needle!r} not in the failure messages:\n{messages}"
                         for needle in needles if needle not in messages]
            # No task of the converging plays ran.
            ran = {t["task"]["name"] for t in result.tasks
                   if any(not r.get("skipped") for r in t["hosts"].values())}
            problems += [f"{case}: task {name!r} ran" for name in ran if name.startswith((
                ROLE_POOLS + "Converge the pools of Ceph cluster",
                "Gather the clusters whose admin host published them"))]
            if snapshot(lab) != before:
                problems.append(f"{case}: the lab changed")
            if "it-roles-pending" in pools(lab, CENTRAL):
                problems.append(f"{case}: the pool it-roles-pending was created")
        assert not problems, "\n".join(problems)
    finally:
        restored = run_ceph()
    assert restored.rc == 0, failure_messages(restored)
    assert_delivered(lab)


def test_monitors_that_are_not_the_clusters_stop_that_site_before_it_changes(lab, converged, run_ceph, tmp_path):
    """Well-formed monitor addresses that are not the cluster's: the site's first module on its
    cluster (the pools) reads the monitor map before anything else and stops before the first
    change, naming the overlay variable and its site; no pool and no client changes there."""
    edge = sorted(s for s in lab.sites if s != CENTRAL)[-1]
    before = snapshot(lab)
    overlay = tmp_path / "overlay.yml"
    overlay.write_text(json.dumps({"all": {"children": {edge: {"vars": {
        "edgestack_ceph_mon_addresses": ["192.0.2.77"],
        # Changes that the run would make if the check let it through: a pool, then a client.
        "edgestack_ceph_pools": [{"name": "images", "application": "rbd", "rbd_init": True},
                                 {"name": "it-roles-mon", "pg_num": 8}],
        "edgestack_ceph_clients": [{"name": "client.it-roles-mon", "caps": {"mon": "profile rbd"}}],
    }}}}}))
    result = run_ceph(inventory_args=lab.inventory_args + ["-i", str(overlay)])
    try:
        assert result.rc != 0
        failed = {(t["task"]["name"], h): r.get("msg", "") for t in result.tasks
                  for h, r in t["hosts"].items() if r.get("failed")}
        # (a task name is templated once, with the play's first host: only its start is compared)
        assert [(name.startswith(ROLE_POOLS + "Converge the pools of Ceph cluster"), host)
                for name, host in failed] == [(True, lab.ceph_host(edge))], failed
        message = next(iter(failed.values()))
        assert f"edgestack_ceph_mon_addresses (site {edge}) (192.0.2.77) does not match the cluster's monitors" \
            in message
        assert lab.address(lab.ceph_host(edge)) in message and "ceph_pool_setup_" not in message
        assert "it-roles-mon" not in pools(lab, edge)
        assert auth_entry(lab, edge, "client.it-roles-mon") is None
        assert snapshot(lab) == before
    finally:
        restored = run_ceph()
    assert restored.rc == 0, failure_messages(restored)


def test_fingerprints_hide_keys():
    """The helper the assertions use never returns a key."""
    key = new_key()
    assert fingerprint(key) != key and key not in fingerprint(key)
    assert hashlib.sha256(key.encode()).hexdigest().startswith(fingerprint(key).split(":")[1])
