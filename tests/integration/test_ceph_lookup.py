# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ceph modules' read-only lookup (plugins/plugin_utils/_ceph_lookup.py) on a real cluster.

With nothing to change, ceph_pool and ceph_auth answer from one command on the
host and the module does not run (``lookup_only``); the result is the one the
module gives when it runs (the CLI transport, which the lookup leaves to the
module, on the same cluster). Any drift makes the module run, in check mode
too, and the next run is the lookup's again. Outcomes are read independently
on the site's Ceph host; keys are compared through fingerprints only. Only
pools and clients named it-* are touched, and they are deleted again.
"""

from __future__ import annotations

import uuid

import pytest

from _ceph_it import PLAYBOOKS, auth_entry, ceph, fingerprint, module_result, pools, rbd_info, task_seconds

SITE = "central"
POOL_KEYS = ("changed", "actions", "pools", "before", "after", "fsid", "mon_addresses", "mon_allow_pool_delete_overridden")
CLIENT_KEYS = ("changed", "actions", "clients", "before", "after")


@pytest.fixture
def pool_run(lab, ansible_playbook):
    host = lab.ceph_host(SITE)
    name = "it-lookup-%s" % uuid.uuid4().hex[:6]
    monitors = sorted({entry["addr"].rsplit(":", 1)[0].strip("[]")
                       for mon in lab.ceph(SITE, "mon", "dump")["mons"] for entry in mon["public_addrs"]["addrvec"]})

    def run(spec, transport="librados", check=False, **extra):
        extra_vars = {"it_host": host, "it_cluster": SITE, "it_transport": transport, "it_pools": [spec],
                      "it_mon_addresses": monitors}
        extra_vars.update(extra)
        done = ansible_playbook(PLAYBOOKS / "ceph_pool.yml", extra_vars=extra_vars, check=check, diff=check)
        assert done.rc == 0, done.stdout + done.stderr
        return module_result(done, "Converge pools", host)

    yield name, run
    run({"name": name, "state": "absent"}, it_allow_delete=True, it_override=True)
    assert name not in pools(lab, SITE)


def test_pools_as_declared_are_read_without_the_module(lab, pool_run):
    name, run = pool_run
    spec = {"name": name, "application": "rbd", "rbd_init": True, "pg_autoscale_mode": "off", "pg_num": 8,
            "min_size": 1, "crush_rule": "replicated_rule", "max_bytes": 64 * 1024 * 1024}
    created = run(spec)
    assert created["changed"] is True and created["lookup_only"] is False

    settled = run(spec)
    assert settled["changed"] is False and settled["lookup_only"] is True and settled["actions"] == []
    # one command read the monitor map, the pools, the CRUSH rules and the pool's rbd_info
    assert settled["round_trips"] == 4 and settled["transport"] == "librados"
    # the module itself, over the CLI, on the same cluster: the same result
    module = run(spec, transport="cli")
    assert module["lookup_only"] is False and module["transport"] == "cli"
    for key in POOL_KEYS:
        assert settled[key] == module[key], key
    assert settled["pools"][name]["crush_rule"] == "replicated_rule" and settled["pools"][name]["rbd_init"] is True
    # with the host's Python left to discovery, the action discovers it as Ansible would for the module
    discovered = run(spec, ansible_python_interpreter="auto_silent")
    assert discovered["lookup_only"] is True and discovered["changed"] is False
    assert discovered["ansible_facts"]["discovered_interpreter_python"].startswith("/usr/bin/python3")

    # drift: check mode runs the module, which reports it and changes nothing
    ceph(lab, SITE, "osd", "pool", "set", name, "pg_autoscale_mode", "warn")
    lab.exec(lab.ceph_host(SITE), ["rados", "--cluster", SITE, "--pool", name, "rm", "rbd_info"], check=True)
    checked = run(spec, check=True)
    assert checked["changed"] is True and checked["lookup_only"] is False
    assert [(a["prefix"], a.get("val")) for a in checked["actions"]] == [("osd pool set", "off"), ("rbd pool init", None)]
    assert pools(lab, SITE)[name]["pg_autoscale_mode"] == "warn" and rbd_info(lab, SITE, name) is None

    fixed = run(spec)
    assert fixed["changed"] is True and fixed["lookup_only"] is False
    assert pools(lab, SITE)[name]["pg_autoscale_mode"] == "off" and rbd_info(lab, SITE, name) == b"overwrite validated"
    assert run(spec)["lookup_only"] is True


@pytest.fixture
def client_run(lab, ansible_playbook):
    host = lab.ceph_host(SITE)
    entity = "client.it-lookup-%s" % uuid.uuid4().hex[:6]

    def run(clients, transport="librados", check=False):
        done = ansible_playbook(PLAYBOOKS / "ceph_auth.yml", check=check, diff=check, extra_vars={
            "it_host": host, "it_cluster": SITE, "it_transport": transport, "it_clients": clients})
        assert done.rc == 0, done.stdout + done.stderr
        return module_result(done, "Converge clients", host)

    yield entity, run
    run([{"name": entity, "state": "absent"}])
    assert auth_entry(lab, SITE, entity) is None


def test_clients_as_declared_are_read_without_the_module(lab, client_run):
    entity, run = client_run
    caps = {"mon": "profile rbd", "osd": "profile rbd pool=images"}
    created = run([{"name": entity, "caps": caps}])
    assert created["changed"] is True and created["lookup_only"] is False

    settled = run([{"name": entity, "caps": caps}])
    assert settled["changed"] is False and settled["lookup_only"] is True
    assert settled["clients"][entity] == {"caps": caps, "key_fingerprint": fingerprint(auth_entry(lab, SITE, entity)["key"])}
    module = run([{"name": entity, "caps": caps}], transport="cli")
    assert module["lookup_only"] is False
    for key in CLIENT_KEYS:
        assert settled[key] == module[key], key

    # drift in the caps: the module runs, in check mode too
    ceph(lab, SITE, "auth", "caps", entity, "mon", "profile rbd")
    checked = run([{"name": entity, "caps": caps}], check=True)
    assert checked["changed"] is True and checked["lookup_only"] is False
    assert auth_entry(lab, SITE, entity)["caps"] == {"mon": "profile rbd"}
    fixed = run([{"name": entity, "caps": caps}])
    assert fixed["changed"] is True and auth_entry(lab, SITE, entity)["caps"] == caps

    # a rotation is always the module's, and the lookup's again afterwards
    before = fingerprint(auth_entry(lab, SITE, entity)["key"])
    rotated = run([{"name": entity, "caps": caps, "rotate": True}])
    assert rotated["changed"] is True and rotated["lookup_only"] is False
    assert fingerprint(auth_entry(lab, SITE, entity)["key"]) != before
    assert run([{"name": entity, "caps": caps}])["lookup_only"] is True


def test_an_unreachable_cluster_fails_once_within_the_timeout(lab, ansible_playbook):
    """The lookup's failed connection is the task's failure, in the module's words: the module,
    with the same library and limits, is not run to wait as long again."""
    host = lab.ceph_host(SITE)
    unused = "10.251.0.250"
    assert unused not in [h["address"] for h in lab.hosts.values()]
    conf = "/tmp/it-lookup-unreachable.conf"
    lab.exec(host, ["sh", "-c", "cat > %s" % conf], check=True, input=(
        "[global]\nfsid = %s\nmon_host = [v2:%s:3300,v1:%s:6789]\n" % (uuid.uuid4(), unused, unused)))
    timeout = 3
    try:
        run = ansible_playbook(PLAYBOOKS / "ceph_pool.yml", extra_vars={
            "it_host": host, "it_cluster": SITE, "it_conf": conf, "it_timeout": timeout, "it_transport": "librados",
            "it_keyring": "/etc/ceph/%s.client.admin.keyring" % SITE, "it_pools": [{"name": "it-never"}]})
    finally:
        lab.exec(host, ["rm", "-f", conf])
    assert run.rc != 0
    result = module_result(run, "Converge pools", host)
    assert result["lookup_only"] is True and result["changed"] is False and result["actions"] == []
    msg = result["msg"]
    assert msg.startswith("cannot connect to Ceph cluster '%s' (mon_host [v2:%s:3300,v1:%s:6789]; conf %s) as "
                          "client.admin within %ds: " % (SITE, unused, unused, conf, timeout)), msg
    seconds = task_seconds(run, "Converge pools")
    assert seconds is not None and seconds < timeout + 4, seconds
    assert "it-never" not in pools(lab, SITE)
