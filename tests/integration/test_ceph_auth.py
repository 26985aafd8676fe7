# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_auth and ceph_auth_info against the lab's real clusters, over both transports.

Outcomes are read independently (`ceph auth get` on the site's Ceph host).
Keys are compared through fingerprints so that no assertion can print one.
Only clients named client.it-* are touched, and they are deleted again.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from _ceph_it import PLAYBOOKS, TRANSPORT_SITES, auth_entry, ceph, fingerprint, module_result

PLAYBOOK = PLAYBOOKS / "ceph_auth.yml"
CONVERGE = "Converge clients"
READ = "Read clients"
CAPS = {"mon": "profile rbd", "osd": "profile rbd pool=images", "mgr": "profile rbd pool=images"}


def new_key() -> str:
    return subprocess.run(["ceph-authtool", "--gen-print-key"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(params=TRANSPORT_SITES, ids=[t for t, s in TRANSPORT_SITES])
def client(request, lab, ansible_playbook, tmp_path):
    """(site, host, entity, run): run(clients, secret=None, ...) converges through the module."""
    transport, site_name = request.param
    host = lab.ceph_host(site_name)
    entity = "client.it-auth-%s-%s" % (transport, uuid.uuid4().hex[:6])

    def run(clients, secret=None, check=False, diff=False, **extra):
        extra_vars = {"it_host": host, "it_cluster": site_name, "it_transport": transport, "it_clients": clients}
        if secret is not None:
            path = tmp_path / "secret"
            path.touch(mode=0o600)
            path.write_text(secret)
            extra_vars["it_secret_file"] = str(path)
        extra_vars.update(extra)
        result = ansible_playbook(PLAYBOOK, extra_vars=extra_vars, check=check, diff=diff)
        assert result.rc == 0, result.stdout + result.stderr
        assert result.tasks is not None
        return module_result(result, CONVERGE, host), module_result(result, READ, host)

    yield site_name, host, entity, run, transport
    run([{"name": entity, "state": "absent"}])
    assert auth_entry(lab, site_name, entity) is None


def test_client_lifecycle(lab, client):
    site_name, host, entity, run, transport = client

    # check mode: reports the creation, creates nothing
    result, dummy = run([{"name": entity, "caps": CAPS}], check=True, diff=True)
    assert result["changed"] is True
    assert result["actions"] == [{"entity": entity, "action": "create", "caps": CAPS}]
    assert result["transport"] == transport
    assert auth_entry(lab, site_name, entity) is None

    # create
    result, info = run([{"name": entity, "caps": CAPS}])
    assert result["changed"] is True
    created = auth_entry(lab, site_name, entity)
    assert created["caps"] == CAPS
    assert info["clients"] == [{"name": entity, "caps": CAPS, "key_fingerprint": fingerprint(created["key"])}]
    assert result["clients"][entity]["key_fingerprint"] == fingerprint(created["key"])

    # re-run: unchanged, one request (auth ls)
    result, dummy = run([{"name": entity, "caps": {k: "  %s " % v.replace(" ", "  ") for k, v in CAPS.items()}}])
    assert result["changed"] is False and result["round_trips"] == 1

    # caps drift behind its back
    ceph(lab, site_name, "auth", "caps", entity, "mon", "allow r", "osd", "allow rwx pool=images")
    drifted = auth_entry(lab, site_name, entity)
    result, dummy = run([{"name": entity, "caps": CAPS}], check=True, diff=True)
    assert [a["action"] for a in result["actions"]] == ["caps"]
    assert result["diff"][0]["before"]["caps"] == {"mon": "allow r", "osd": "allow rwx pool=images"}
    assert result["diff"][0]["after"]["caps"] == CAPS
    assert auth_entry(lab, site_name, entity)["caps"] == drifted["caps"]

    result, dummy = run([{"name": entity, "caps": CAPS}])
    assert result["changed"] is True
    fixed = auth_entry(lab, site_name, entity)
    assert fixed["caps"] == CAPS
    assert fingerprint(fixed["key"]) == fingerprint(created["key"]), "caps change must keep the key"

    # caps removal needs allow_caps_removal
    fewer = {"mon": "profile rbd", "osd": "profile rbd pool=images"}
    result, dummy = run([{"name": entity, "caps": fewer}], it_allow_caps_removal=True)
    assert result["actions"] == [{"entity": entity, "action": "caps", "caps": fewer, "removed_caps": ["mgr"]}]
    assert auth_entry(lab, site_name, entity)["caps"] == fewer

    # absent: check mode keeps it, then it goes
    result, dummy = run([{"name": entity, "state": "absent"}], check=True)
    assert result["actions"] == [{"entity": entity, "action": "delete"}]
    assert auth_entry(lab, site_name, entity) is not None
    result, dummy = run([{"name": entity, "state": "absent"}])
    assert result["changed"] is True and auth_entry(lab, site_name, entity) is None
    result, dummy = run([{"name": entity, "state": "absent"}])
    assert result["changed"] is False


def test_supplied_secret_and_rotation(lab, client):
    site_name, host, entity, run, transport = client
    secret = new_key()

    # created with the supplied key; check mode first
    result, dummy = run([{"name": entity, "caps": CAPS}], secret=secret, check=True)
    assert result["actions"] == [{"entity": entity, "action": "import", "caps": CAPS}]
    assert auth_entry(lab, site_name, entity) is None
    result, dummy = run([{"name": entity, "caps": CAPS}], secret=secret)
    entry = auth_entry(lab, site_name, entity)
    assert fingerprint(entry["key"]) == fingerprint(secret) and entry["caps"] == CAPS
    result, dummy = run([{"name": entity, "caps": CAPS}], secret=secret)
    assert result["changed"] is False

    # another supplied key replaces it, keeping caps managed as given
    other = new_key()
    result, dummy = run([{"name": entity}], secret=other, diff=True)
    assert result["changed"] is True
    assert result["diff"][0]["before"]["key"] == fingerprint(secret)
    assert result["diff"][0]["after"]["key"] == fingerprint(other)
    entry = auth_entry(lab, site_name, entity)
    assert fingerprint(entry["key"]) == fingerprint(other) and entry["caps"] == CAPS

    # rotate: check mode keeps the key; a real run makes a new one, caps kept
    result, dummy = run([{"name": entity, "rotate": True}], check=True)
    assert [a["action"] for a in result["actions"]] == ["rotate"]
    assert fingerprint(auth_entry(lab, site_name, entity)["key"]) == fingerprint(other)
    result, info = run([{"name": entity, "rotate": True}])
    assert result["changed"] is True
    rotated = auth_entry(lab, site_name, entity)
    assert fingerprint(rotated["key"]) not in (fingerprint(other), fingerprint(secret))
    assert rotated["caps"] == CAPS
    assert result["clients"][entity]["key_fingerprint"] == fingerprint(rotated["key"])
    assert info["clients"][0]["key_fingerprint"] == fingerprint(rotated["key"])
