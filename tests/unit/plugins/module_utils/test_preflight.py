# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight check (module_utils/_preflight.py): its arguments, its parsing, and
the check really run as another user with Debian's python3-rados (no cluster needed:
the failures it must name are the ones a host meets before any cluster answers)."""

from __future__ import annotations

import os
import pathlib
import pwd
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _preflight
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

FSID = "6a0d1c3e-0f43-4bd5-9b0e-2d63c2a7b8f1"
KEY = "AQBmKkBnAAAAABAAp2N2p2R3t8G4Gq3j4G0Hqg=="
SYSTEM_PYTHON = "/usr/bin/python3"


def _has_rados():
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import rados"], capture_output=True, check=False).returncode == 0


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the check switches to another user: run as root")
needs_rados = pytest.mark.skipif(not _has_rados(), reason="python3-rados (Debian package) is not installed")


def test_script_args_follow_the_file_naming_rule():
    clusters = [{"name": "central", "user": "glance", "pool": "images", "fsid": FSID, "key": KEY},
                {"name": "dcn0", "user": "glance-edge", "pool": "glance-images"}]
    args = _preflight.script_args(clusters, "/srv/ceph")
    assert KEY not in args
    assert args == [
        _rules.ceph_conf_path("/srv/ceph", "central"), "glance", "images",
        _rules.ceph_keyring_path("/srv/ceph", "central", "client.glance"), FSID, "central",
        "/srv/ceph/dcn0.conf", "glance-edge", "glance-images", "/srv/ceph/dcn0.client.glance-edge.keyring", "", "dcn0"]


def test_the_script_reads_six_arguments_per_cluster(monkeypatch, capsys):
    clusters = [{"name": "central", "user": "glance", "pool": "images", "fsid": FSID},
                {"name": "dcn0", "user": "glance", "pool": "images"}]
    seen = []
    monkeypatch.setattr(_preflight, "check", lambda fields, timeout, rados, rbd: (seen.append(fields) or (True, "x")))
    assert _preflight.main(["-", "10", *_preflight.script_args(clusters, "/etc/ceph")]) == 0
    # The script checks its clusters on a thread pool: compare by cluster name, not by order.
    assert sorted(field[5] for field in seen) == ["central", "dcn0"]
    assert [field for field in seen if field[5] == "central"][0][4] == FSID
    assert _preflight.main(["-", "10", "only", "five", "args", "of", "six"]) == 2
    capsys.readouterr()


def test_parse_lines_keeps_the_order_given_and_names_a_silent_cluster():
    clusters = [{"name": "dcn0"}, {"name": "central"}, {"name": "dcn1"}]
    out = ("cluster central: ok: glance lists pool images (0 images) of cluster fsid x as client.glance\n"
           "cluster dcn0: network: no monitor at mon_host 10.0.0.1 answered within 3s\n")
    assert _preflight.parse_lines(clusters, out) == [
        {"cluster": "dcn0", "ok": False, "message": "cluster dcn0: network: no monitor at mon_host 10.0.0.1 answered within 3s"},
        {"cluster": "central", "ok": True,
         "message": "cluster central: ok: glance lists pool images (0 images) of cluster fsid x as client.glance"},
        {"cluster": "dcn1", "ok": False, "message": ""},
    ]


def test_a_check_that_cannot_run_is_reported_on_every_cluster():
    clusters = [{"name": "central", "user": "glance", "pool": "images"}, {"name": "dcn0", "user": "glance", "pool": "images"}]
    results = _preflight.check_or_report("it-no-such-user", SYSTEM_PYTHON, 3, clusters, "/etc/ceph")
    assert [r["cluster"] for r in results] == ["central", "dcn0"]
    assert all(not r["ok"] and "no local user it-no-such-user" in r["message"] for r in results)
    me = pwd.getpwuid(os.geteuid()).pw_name
    results = _preflight.check_or_report(me, "/nonexistent/python3", 3, clusters[:1], "/etc/ceph")
    assert results[0]["message"].startswith("cluster central: no answer: /nonexistent/python3 is not an executable")
    assert _preflight.check_as(me, SYSTEM_PYTHON, 3, [], "/etc/ceph") == []


def test_a_python_without_rados_is_named(tmp_path):
    """The script really runs (source on standard input, in a child): the venv's Python has no rados."""
    me = pwd.getpwuid(os.geteuid()).pw_name
    if subprocess.run([sys.executable, "-c", "import rados"], capture_output=True, check=False).returncode == 0:
        pytest.skip("this Python can import rados")
    results = _preflight.check_as(me, sys.executable, 3, [{"name": "central", "user": "glance", "pool": "images"}],
                                  str(tmp_path))
    assert results == [{"cluster": "central", "ok": False,
                        "message": "cluster central: libraries: python3-rados is not importable by %s" % sys.executable}]


@needs_root
@needs_rados
def test_runs_as_the_service_user_and_names_each_cause():
    """As user nobody: a keyring only root reads, a missing conf, and a monitor that does not answer."""
    # Not under pytest's tmp_path: its parents are root's alone, and nobody must reach the files.
    with tempfile.TemporaryDirectory(prefix="edgestack-preflight-") as top:
        os.chmod(top, 0o755)
        _check_as_nobody(pathlib.Path(top))


def _check_as_nobody(directory):
    conf = "[global]\nfsid = %s\nmon_host = [v2:127.0.0.1:1,v1:127.0.0.1:2]\n[client]\nkeyring = %s/$cluster.$name.keyring\n"
    for name, mode in (("central", 0o600), ("dcn1", 0o644)):
        (directory / ("%s.conf" % name)).write_text(conf % (FSID, directory))
        keyring = directory / ("%s.client.glance.keyring" % name)
        keyring.write_text("[client.glance]\n\tkey = %s\n" % KEY)
        os.chmod(directory / ("%s.conf" % name), 0o644)
        os.chmod(keyring, mode)
    clusters = [{"name": n, "user": "glance", "pool": "images", "fsid": FSID} for n in ("central", "dcn0", "dcn1")]
    results = _preflight.check_as("nobody", SYSTEM_PYTHON, 1, clusters, str(directory))
    by_name = dict((r["cluster"], r) for r in results)
    assert [r["cluster"] for r in results] == ["central", "dcn0", "dcn1"]
    assert not any(r["ok"] for r in results)
    assert by_name["central"]["message"].startswith(
        "cluster central: keyring permissions: %s/central.client.glance.keyring is not readable by user nobody" % directory)
    assert by_name["dcn0"]["message"] == "cluster dcn0: conf: %s/dcn0.conf does not exist" % directory
    assert by_name["dcn1"]["message"].startswith("cluster dcn1: network: ")
    assert not any(KEY in r["message"] for r in results)


@needs_root
@needs_rados
def test_the_shell_check_finds_what_the_modules_check_finds():
    """The role's lookup runs the check from a shell (ansible.builtin.raw): same user, same
    environment, same results as check_as, cluster by cluster."""
    with tempfile.TemporaryDirectory(prefix="edgestack-preflight-") as top:
        os.chmod(top, 0o755)
        directory = pathlib.Path(top)
        conf = "[global]\nfsid = %s\nmon_host = [v2:127.0.0.1:1,v1:127.0.0.1:2]\n[client]\nkeyring = %s/$cluster.$name.keyring\n"
        for name, mode in (("central", 0o600), ("dcn1", 0o644)):
            (directory / ("%s.conf" % name)).write_text(conf % (FSID, directory))
            os.chmod(directory / ("%s.conf" % name), 0o644)
            keyring = directory / ("%s.client.glance.keyring" % name)
            keyring.write_text("[client.glance]\n\tkey = %s\n" % KEY)
            os.chmod(keyring, mode)
        clusters = [{"name": n, "user": "glance", "pool": "images", "fsid": FSID} for n in ("central", "dcn0", "dcn1")]
        expected = _preflight.check_as("nobody", SYSTEM_PYTHON, 1, clusters, top)
        script, args = _preflight.shell_check("nobody", SYSTEM_PYTHON, 1, clusters, top)
        assert KEY not in script and not any(KEY in a for a in args)
        proc = subprocess.run(["sh", "-c", script, "sh"] + args, capture_output=True, text=True, check=False)
        found = _preflight.shell_results([c["name"] for c in clusters], proc.stdout)
        # The network failure names the monitors' answer, which may differ in its detail.
        assert [(r["cluster"], r["ok"], r["message"].split(": ")[:2]) for r in found] == \
            [(r["cluster"], r["ok"], r["message"].split(": ")[:2]) for r in expected]
        assert found[0] == expected[0] and found[1] == expected[1]
        # A check that cannot run names its cause on every cluster, as check_or_report does.
        # A user is looked up by name only, as the module does: "0" is no user, not root.
        for user, python in (("it-no-such-user", SYSTEM_PYTHON), ("nobody", "/nonexistent/python3"),
                             ("0", SYSTEM_PYTHON)):
            script, args = _preflight.shell_check(user, python, 1, clusters, top)
            proc = subprocess.run(["sh", "-c", script, "sh"] + args, capture_output=True, text=True, check=False)
            assert _preflight.shell_results([c["name"] for c in clusters], proc.stdout) == _preflight.check_or_report(
                user, python, 1, clusters, top)
