# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client files' lookup (plugins/filter/client_files.py): its shell command really run on a
directory written with the module's own functions, and the module's plan decided from its output."""

from __future__ import annotations

import os
import pathlib
import subprocess
import tempfile

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.filter.client_files import (
    FilterModule, ceph_client_files_lookup, ceph_client_files_state)
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _client_files as files

FSID = "6a0d1c3e-0f43-4bd5-9b0e-2d63c2a7b8f1"
FSID2 = "0b7e6b52-6f3f-4a57-9a7e-3c2d1e0f9a8b"
KEY = "AQBmKkBnAAAAABAAp2N2p2R3t8G4Gq3j4G0Hqg=="
KEY2 = "AQCsKkBnAAAAABAAq8n3f2R3t8G4Gq3j4G0Hqg=="

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the files are root's, as on a Glance host: run as root")


def options(directory, **extra):
    base = {"dir": str(directory), "keyring_owner": "0", "keyring_group": "0", "keyring_mode": "0640",
            "clusters": [{"name": "central", "fsid": FSID, "mon_host": "[v2:192.0.2.10:3300,v1:192.0.2.10:6789]",
                          "clients": [{"name": "client.glance", "key": KEY}]},
                         {"name": "dcn0", "fsid": FSID2, "mon_host": "[v2:192.0.2.20:3300,v1:192.0.2.20:6789]",
                          "clients": [{"name": "client.glance", "key": KEY2}]}]}
    base.update(extra)
    return base


def write_as_the_module_does(directory, opts):
    """The files ceph_client_files writes for ``opts``, with its own plan and writer."""
    desired = files.desired_state(dict({"local": [], "absent": [], "adopt": False, "client_options": {},
                                        "conf_mode": "0644"}, **opts))
    actions, problems = files.plan_directory(desired, {}, {})
    assert problems == []
    for action in actions:
        files.write_atomically(action["path"], action["content"], action["uid"], action["gid"], action["mode"])


def lookup(opts, preflight=None):
    argv = ceph_client_files_lookup(opts, preflight)
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return argv, proc.stdout


@needs_root
def test_a_directory_as_the_module_wrote_it_needs_no_module_run_and_every_difference_does():
    with tempfile.TemporaryDirectory(prefix="edgestack-files-") as top:
        directory = pathlib.Path(top)
        os.chmod(top, 0o755)
        opts = options(directory)
        argv, output = lookup(opts)
        # Nothing there yet: the module has everything to do.
        assert ceph_client_files_state(output, opts)["differs"] is True
        write_as_the_module_does(directory, opts)
        # An admin keyring of the site's own cluster, which the collection did not write, is left alone.
        (directory / "dcn0.client.admin.keyring").write_text("[client.admin]\n\tkey = %s\n" % KEY2)
        argv, output = lookup(opts)
        assert not any(KEY in word or KEY2 in word for word in argv)
        assert KEY not in output and KEY2 not in output
        assert ceph_client_files_state(output, opts) == {"differs": False, "preflight": []}
        # Clusters as published (with their user and pool) are taken as the module takes them.
        published = dict(opts, clusters=[dict(c, user="glance", pool="images") for c in opts["clusters"]])
        assert ceph_client_files_state(output, published)["differs"] is False

        changes = [
            # content, mode, owner, a stale file of a cluster no longer delivered, a link in the way
            lambda: (directory / "dcn0.conf").write_text((directory / "dcn0.conf").read_text() + "debug_ms = 1\n"),
            lambda: os.chmod(directory / "central.client.glance.keyring", 0o600),
            lambda: os.chown(directory / "central.conf", 65534, 0),
            lambda: files.write_atomically(str(directory / "dcn1.client.glance.keyring"),
                                           files.keyring_content("client.glance", KEY), 0, 0, 0o640),
            lambda: (os.unlink(directory / "dcn0.conf"), os.symlink("/etc/hostname", directory / "dcn0.conf")),
            lambda: os.chmod(top, 0o750),
        ]
        for number, change in enumerate(changes):
            state_before = sorted(os.listdir(top))
            change()
            stale = {"absent": ["dcn1"]} if number == 3 else {}
            _argv, output = lookup(dict(opts, **stale))
            assert ceph_client_files_state(output, dict(opts, **stale))["differs"] is True, (number, output)
            # Put it back as the module writes it.
            for entry in set(os.listdir(top)) - set(state_before):
                os.unlink(directory / entry)
            if os.path.islink(directory / "dcn0.conf"):
                os.unlink(directory / "dcn0.conf")
            os.chmod(top, 0o755)
            os.chown(directory / "central.conf", 0, 0)
            write_as_the_module_does(directory, opts)
            for entry in os.listdir(top):
                if entry.endswith(".keyring") and entry != "dcn0.client.admin.keyring":
                    os.chmod(directory / entry, 0o640)
            _argv, output = lookup(opts)
            assert ceph_client_files_state(output, opts)["differs"] is False, (number, output)
        # A wanted keyring the collection did not write is the module's to refuse.
        (directory / "central.client.glance.keyring").write_text("[client.glance]\n\tkey = %s\n" % KEY)
        _argv, output = lookup(opts)
        assert ceph_client_files_state(output, opts)["differs"] is True


def test_output_the_lookup_did_not_print_lets_the_module_decide():
    opts = options("/etc/ceph")
    assert ceph_client_files_state("", opts)["differs"] is True
    odd = "ids 0 0\ndir 0 0 755\nfile central.client.my key.keyring - 0 0 600\n"
    assert ceph_client_files_state(odd, opts)["differs"] is True
    # The preflight's answer comes from the output alone, cluster by cluster in the order its line names.
    assert ceph_client_files_state("ids 0 0\n") == {"differs": None, "preflight": []}
    output = "ids 0 0\npreflight central dcn0\nrc 1\ncluster central: ok: fine\nTraceback\nboom\n"
    assert ceph_client_files_state(output)["preflight"] == [
        {"cluster": "central", "ok": True, "message": "cluster central: ok: fine"},
        {"cluster": "dcn0", "ok": False, "message": "cluster dcn0: no answer: boom"}]
    assert ceph_client_files_state("preflight dcn0\ntimeout 50\n")["preflight"] == [
        {"cluster": "dcn0", "ok": False, "message": "cluster dcn0: no answer: the check took more than 50s"}]


def test_filters_are_registered_and_refuse_wrong_input():
    assert FilterModule().filters() == {"ceph_client_files_lookup": ceph_client_files_lookup,
                                        "ceph_client_files_state": ceph_client_files_state}
    with pytest.raises(AnsibleFilterError, match="options of ceph_client_files"):
        ceph_client_files_lookup(["not", "a", "mapping"])


@needs_root
def test_the_lookup_runs_the_preflight_as_the_service_user_and_names_its_clusters():
    with tempfile.TemporaryDirectory(prefix="edgestack-files-") as top:
        os.chmod(top, 0o755)
        opts = options(pathlib.Path(top))
        write_as_the_module_does(pathlib.Path(top), opts)
        preflight = {"run_as": "it-no-such-user", "python": "/usr/bin/python3", "timeout": 1,
                     "clusters": [{"name": "dcn0", "user": "glance", "pool": "images"},
                                  {"name": "central", "user": "glance", "pool": "images"}]}
        argv, output = lookup(opts, preflight)
        assert not any(KEY in word or KEY2 in word for word in argv)
        state = ceph_client_files_state(output, opts)
        assert state["differs"] is False
        assert [(r["cluster"], r["ok"]) for r in state["preflight"]] == [("dcn0", False), ("central", False)]
        assert state["preflight"][0]["message"] == (
            "cluster dcn0: no answer: no local user it-no-such-user: the service user must exist before its files "
            "are checked")
        with pytest.raises(AnsibleFilterError, match="invalid cluster names"):
            ceph_client_files_lookup(opts, dict(preflight, clusters=[{"name": "x; reboot", "user": "g", "pool": "p"}]))


def test_the_lookup_takes_the_modules_documented_defaults():
    import yaml
    from ansible_collections.edgestack.glance_ceph.plugins.filter.client_files import DEFAULTS
    from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_client_files
    documented = yaml.safe_load(ceph_client_files.DOCUMENTATION)["options"]
    assert {k: v for k, v in DEFAULTS.items() if k != "clusters"} == {
        k: documented[k].get("default") for k in DEFAULTS if k != "clusters"}


def test_a_host_without_ceph_conf_or_with_odd_names_is_the_modules_to_judge():
    opts = options("/etc/ceph")
    # The module needs ceph-conf to check the confs it writes: without it, it fails, and so must the run.
    assert ceph_client_files_state("ids 0 0\ndir 0 0 755\nno ceph-conf\n", opts)["differs"] is True
    # Names that are words of the shell command must be cluster names.
    for bad in ({"local": ["central; reboot"]}, {"absent": ["$(reboot)"]}):
        with pytest.raises(AnsibleFilterError, match="invalid cluster names"):
            ceph_client_files_lookup(dict(opts, **bad))
