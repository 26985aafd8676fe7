# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_pool and ceph_pool_info against the lab's real clusters, over both transports.

Every assertion on the outcome reads the cluster independently (the ceph and
rados commands on the site's Ceph host), not only the module's `changed`.
Only pools named it-* are touched, and they are deleted again.
"""

from __future__ import annotations

import time
import uuid

import pytest

from _ceph_it import PLAYBOOKS, TRANSPORT_SITES, ceph, config_db, module_result, pools, rbd_info, task_seconds

PLAYBOOK = PLAYBOOKS / "ceph_pool.yml"
CONVERGE = "Converge pools"
READ = "Read pools"
MiB = 1024 * 1024


def wanted(name):
    return {
        "name": name,
        "application": "rbd",
        "rbd_init": True,
        "pg_autoscale_mode": "off",
        "pg_num": 8,
        "min_size": 1,
        "max_bytes": 64 * MiB,
        "max_objects": 1000,
        "target_size_ratio": 0.05,
    }


def assert_converged(entry, spec):
    assert entry["pg_autoscale_mode"] == spec["pg_autoscale_mode"]
    assert entry["pg_num_target"] == spec["pg_num"]
    assert entry["min_size"] == spec["min_size"]
    assert entry["quota_max_bytes"] == spec["max_bytes"]
    assert entry["quota_max_objects"] == spec["max_objects"]
    assert entry["options"].get("target_size_ratio") == pytest.approx(spec["target_size_ratio"])
    assert "rbd" in entry["application_metadata"]


@pytest.fixture(params=TRANSPORT_SITES, ids=[t for t, s in TRANSPORT_SITES])
def site(request, lab, ansible_playbook):
    """(transport, site, host, run) with a fresh it- pool name, deleted afterwards through the module."""
    transport, site_name = request.param
    host = lab.ceph_host(site_name)
    names = []

    def run(pool_list, check=False, diff=False, **extra):
        extra_vars = {"it_host": host, "it_cluster": site_name, "it_transport": transport, "it_pools": pool_list}
        extra_vars.update(extra)
        return ansible_playbook(PLAYBOOK, extra_vars=extra_vars, check=check, diff=diff)

    def new_name(kind):
        name = "it-%s-%s-%s" % (kind, transport, uuid.uuid4().hex[:6])
        names.append(name)
        return name

    yield transport, site_name, host, run, new_name
    if names:
        cleanup = run([{"name": n, "state": "absent"} for n in names], it_allow_delete=True, it_override=True)
        assert cleanup.rc == 0, cleanup.stdout + cleanup.stderr
        assert not set(names) & set(pools(lab, site_name))


def test_create_rerun_drift_and_check_mode(lab, site):
    transport, site_name, host, run, new_name = site
    name = new_name("pool")
    spec = wanted(name)

    # check mode: reports the creation, changes nothing
    checked = run([spec], check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    result = module_result(checked, CONVERGE, host)
    assert result["changed"] is True
    assert [a["prefix"] for a in result["actions"]] == [
        "osd pool create", "osd pool set", "osd pool set", "osd pool set-quota", "osd pool set-quota",
        "rbd pool init"]
    assert result["transport"] == transport
    assert result["diff"][0]["before"] == {"state": "absent"}
    assert name not in pools(lab, site_name)

    # create: the real run sends what check mode announced
    created = run([spec], it_read_back=True)
    assert created.rc == 0, created.stdout
    result = module_result(created, CONVERGE, host)
    assert result["changed"] is True and result["actions"] == module_result(checked, CONVERGE, host)["actions"]
    entry = pools(lab, site_name)[name]
    assert_converged(entry, spec)
    assert rbd_info(lab, site_name, name) == b"overwrite validated"
    info = module_result(created, READ, host)["pools"]
    assert [p["name"] for p in info] == [name]
    assert info[0]["max_bytes"] == 64 * MiB and info[0]["application"] == ["rbd"]
    assert info[0]["crush_rule"] == "replicated_rule"

    # re-run: nothing to do, one listing plus the rbd_info read
    again = run([spec])
    result = module_result(again, CONVERGE, host)
    assert result["changed"] is False and result["actions"] == []
    assert result["round_trips"] == 2

    # drift behind its back (autoscale "warn", not "on": the autoscaler must
    # not move pg_num while the test compares it)
    ceph(lab, site_name, "osd", "pool", "set", name, "pg_num", "16")
    ceph(lab, site_name, "osd", "pool", "set", name, "pg_autoscale_mode", "warn")
    ceph(lab, site_name, "osd", "pool", "set-quota", name, "max_bytes", "0")
    ceph(lab, site_name, "osd", "pool", "set", name, "target_size_ratio", "0.5")
    drifted = pools(lab, site_name)[name]

    checked = run([spec], check=True, diff=True)
    result = module_result(checked, CONVERGE, host)
    assert result["changed"] is True
    sets = [(a.get("var") or a.get("field"), a["val"]) for a in result["actions"]]
    assert sets == [("pg_autoscale_mode", "off"), ("pg_num", "8"), ("target_size_ratio", "0.05"),
                    ("max_bytes", str(64 * MiB))]
    after_check = pools(lab, site_name)[name]
    for key in ("pg_autoscale_mode", "pg_num_target", "quota_max_bytes", "options"):
        assert after_check[key] == drifted[key], key

    fixed = run([spec])
    assert module_result(fixed, CONVERGE, host)["changed"] is True
    assert_converged(pools(lab, site_name)[name], spec)
    # converged in one run: the next one has nothing to do
    assert module_result(run([spec]), CONVERGE, host)["changed"] is False


def test_pg_num_under_the_autoscaler(lab, site):
    transport, site_name, host, run, new_name = site
    name = new_name("auto")
    assert run([{"name": name, "pg_autoscale_mode": "on", "pg_num": 4}]).rc == 0
    assert pools(lab, site_name)[name]["pg_autoscale_mode"] == "on"

    # pg_num is the autoscaler's while it is on: not applied, and said so
    left = run([{"name": name, "pg_num": 64}])
    result = module_result(left, CONVERGE, host)
    assert result["changed"] is False and result["actions"] == []
    assert any("pg_num 64 not applied: pg_autoscale_mode is on" in w for w in result.get("warnings", []))

    # turning it off and setting pg_num converges in one run
    spec = [{"name": name, "pg_autoscale_mode": "off", "pg_num": 64}]
    result = module_result(run(spec), CONVERGE, host)
    assert [a["var"] for a in result["actions"]] == ["pg_autoscale_mode", "pg_num"]
    entry = pools(lab, site_name)[name]
    assert (entry["pg_autoscale_mode"], entry["pg_num_target"]) == ("off", 64)
    assert module_result(run(spec), CONVERGE, host)["changed"] is False


def test_delete_guards(lab, site):
    transport, site_name, host, run, new_name = site
    name = new_name("del")
    assert run([{"name": name}]).rc == 0
    before = config_db(lab, site_name, "mon", "mon_allow_pool_delete")
    absent = [{"name": name, "state": "absent"}]

    refused = run(absent)
    assert refused.rc != 0
    assert "set allow_delete: true" in module_result(refused, CONVERGE, host)["msg"]
    assert name in pools(lab, site_name)

    if before in (None, "false"):
        guarded = run(absent, it_allow_delete=True)
        assert guarded.rc != 0
        msg = module_result(guarded, CONVERGE, host)["msg"]
        assert "mon_allow_pool_delete is false" in msg and "config set mon mon_allow_pool_delete true" in msg
        assert name in pools(lab, site_name)

    checked = run(absent, check=True, it_allow_delete=True, it_override=True)
    assert module_result(checked, CONVERGE, host)["actions"][0]["prefix"] == "osd pool rm"
    assert name in pools(lab, site_name)

    deleted = run(absent, it_allow_delete=True, it_override=True)
    assert deleted.rc == 0, deleted.stdout
    assert name not in pools(lab, site_name)
    assert config_db(lab, site_name, "mon", "mon_allow_pool_delete") == before
    assert module_result(run(absent, it_allow_delete=True), CONVERGE, host)["changed"] is False


def test_unreachable_cluster_fails_within_the_timeout(lab, ansible_playbook):
    # a monitor address inside the lab network where nothing listens
    unused = "10.251.0.250"
    assert unused not in [h["address"] for h in lab.hosts.values()]
    for transport, site_name in TRANSPORT_SITES:
        host = lab.ceph_host(site_name)
        conf = "/tmp/it-unreachable-%s.conf" % transport
        lab.exec(host, ["sh", "-c", "cat > %s" % conf], check=True, input=(
            "[global]\nfsid = %s\nmon_host = [v2:%s:3300,v1:%s:6789]\n" % (uuid.uuid4(), unused, unused)))
        timeout = 3
        start = time.monotonic()
        run = ansible_playbook(PLAYBOOKS / "ceph_unreachable.yml", extra_vars={
            "it_host": host, "it_cluster": site_name, "it_conf": conf, "it_transport": transport,
            "it_timeout": timeout, "it_keyring": "/etc/ceph/%s.client.admin.keyring" % site_name})
        wall = time.monotonic() - start
        lab.exec(host, ["rm", "-f", conf])
        assert run.rc != 0
        result = module_result(run, "Read pools of an unreachable cluster", host)
        msg = result["msg"]
        assert "cannot connect to Ceph cluster '%s'" % site_name in msg, msg
        assert "mon_host [v2:%s:3300,v1:%s:6789]" % (unused, unused) in msg
        assert "within %ds" % timeout in msg
        seconds = task_seconds(run, "Read pools of an unreachable cluster")
        # the timeout, plus module start-up (and the CLI's interpreter start-up)
        assert (seconds if seconds is not None else wall) < timeout + 4, (seconds, wall)


def test_module_defaults_of_the_ceph_group(lab, ansible_playbook):
    for transport, site_name in TRANSPORT_SITES:
        host = lab.ceph_host(site_name)
        run = ansible_playbook(PLAYBOOKS / "ceph_defaults.yml",
                               extra_vars={"it_host": host, "it_cluster": site_name, "it_transport": transport})
        assert run.rc == 0, run.stdout
        assert module_result(run, "Read pools", host)["transport"] == transport
        clients = module_result(run, "Read clients", host)["clients"]
        assert [c["name"] for c in clients] == ["client.admin"]
        assert module_result(run, "Converge pools (none listed, nothing to do)", host)["changed"] is False


def test_application_added_next_to_another(lab, site):
    transport, site_name, host, run, new_name = site
    name = new_name("app")
    assert run([{"name": name, "application": "rgw"}]).rc == 0
    added = run([{"name": name, "application": "cephfs"}])
    assert added.rc == 0, added.stdout
    assert sorted(pools(lab, site_name)[name]["application_metadata"]) == ["cephfs", "rgw"]
    assert module_result(run([{"name": name, "application": "rgw"}]), CONVERGE, host)["changed"] is False


def monitor_addresses(dump: dict) -> list[str]:
    """The plain addresses of a `ceph mon dump`, read independently of the module's rule."""
    found = set()
    for mon in dump["mons"]:
        for entry in mon["public_addrs"]["addrvec"]:
            found.add(entry["addr"].rsplit(":", 1)[0].strip("[]"))
    return sorted(found)


def test_monitors_that_are_not_the_clusters_stop_before_any_change(lab, site):
    """With mon_addresses, the module reads the monitor map first: addresses that are not the
    cluster's fail before any pool is created, naming the caller's variable and the real monitors;
    the cluster's own addresses pass, and the result carries the fsid and the monitors."""
    transport, site_name, host, run, new_name = site
    dump = lab.ceph(site_name, "mon", "dump")
    real = monitor_addresses(dump)
    name = new_name("mon")
    wrong = run([wanted(name)], it_mon_addresses=["192.0.2.77"], it_mon_variable="edgestack_ceph_mon_addresses (site x)")
    assert wrong.rc != 0
    failed = module_result(wrong, CONVERGE, host)
    assert failed.get("failed") and failed["changed"] is False and failed["actions"] == []
    assert "edgestack_ceph_mon_addresses (site x) (192.0.2.77) does not match the cluster's monitors" in failed["msg"]
    assert all(address in failed["msg"] for address in real), failed["msg"]
    assert failed["mon_addresses"] == real and failed["fsid"] == dump["fsid"]
    assert name not in pools(lab, site_name)

    right = run([wanted(name)], it_mon_addresses=list(reversed(real)))
    assert right.rc == 0, right.stdout
    result = module_result(right, CONVERGE, host)
    assert result["changed"] is True and result["mon_addresses"] == real and result["fsid"] == dump["fsid"]
    assert_converged(pools(lab, site_name)[name], wanted(name))
