# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""glance_store_config's plan of the Swift reference files, on a temporary directory:
which files it writes, which of the collection's own files it removes once
their store is gone, and that it never touches a file it did not write.
The module as a whole runs on the lab (tests/integration/test_object_stores.py)."""

from __future__ import annotations

import grp
import os

from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_options import swift_reference
from ansible_collections.edgestack.glance_ceph.plugins.modules import glance_store_config as module

GROUP = grp.getgrgid(os.getgid()).gr_name
AUTH = {"auth_address": "http://192.0.2.5:8080/auth/v1.0", "user": "glance:swift", "key": "k3y-of-swift"}


def reference(store_id):
    return swift_reference({"id": store_id, "auth": AUTH})


def test_a_new_reference_file_is_written_and_names_its_store(tmp_path):
    path = str(tmp_path / "glance-swift-objects.conf")
    text = reference("objects")
    assert text.splitlines()[0].startswith(module.SWIFT_REFERENCE_HEADER)
    assert "[objects]" in text.splitlines()
    assert module.plan_files({path: text}, GROUP, str(tmp_path)) == [{"action": "write_file", "path": path}]


def test_the_reference_file_of_a_store_that_is_gone_is_removed_and_no_other(tmp_path):
    kept = tmp_path / "glance-swift-objects.conf"
    gone = tmp_path / "glance-swift-old.conf"
    foreign = tmp_path / "glance-swift-mine.conf"
    unrelated = tmp_path / "glance-api.conf"
    for path, text in ((kept, reference("objects")), (gone, reference("old")),
                       (foreign, "[mine]\nkey = operator's own\n"), (unrelated, reference("x"))):
        path.write_text(text)
    actions = module.plan_files({str(kept): kept.read_text()}, GROUP, str(tmp_path))
    # The kept file may differ in owner or mode here (not root): only the removals matter.
    assert [a for a in actions if a["action"] == "remove_file"] == [{"action": "remove_file", "path": str(gone)}]
    # No key in any action.
    assert "k3y-of-swift" not in repr(actions)


def test_without_a_directory_nothing_is_removed(tmp_path):
    (tmp_path / "glance-swift-old.conf").write_text(reference("old"))
    assert module.plan_files({}, GROUP, None) == []
    assert module.plan_files({}, GROUP, str(tmp_path / "missing")) == []


def test_a_reference_file_in_a_missing_directory_is_a_clear_problem(tmp_path):
    path = str(tmp_path / "nowhere" / "glance-swift-objects.conf")
    problems = module.files_problems({path: reference("objects")})
    assert len(problems) == 1 and "does not exist" in problems[0] and path in problems[0]
    assert module.files_problems({str(tmp_path / "glance-swift-objects.conf"): ""}) == []


# ------------------------------------------------------------------ the module, end to end
import json  # noqa: E402  (the module's own tests, after its plan's)

import pytest  # noqa: E402

from ansible.module_utils.testing import patch_module_args  # noqa: E402

CONF = "[DEFAULT]\ndebug = False\n\n[database]\nconnection = sqlite://\n"
SETTINGS = {"DEFAULT": {"enabled_backends": "central:file"}, "glance_store": {"default_backend": "central"},
            "central": {"filesystem_store_datadir": "/var/lib/glance/images"}}
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the host checks switch to another user: run as root")


def run(args, capsys, check=False, diff=False):
    with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def host_args(tmp_path):
    conf = tmp_path / "glance-api.conf"
    conf.write_text(CONF)
    readable = tmp_path / "central.conf"
    readable.write_text("[global]\n")
    os.chmod(readable, 0o644)
    return {"path": str(conf), "settings": SETTINGS, "probe": False, "host": {
        "user": "root", "group": GROUP, "readable": [str(readable)],
        "directories": [str(tmp_path / "staging"), str(tmp_path / "tasks")], "staging_dir": str(tmp_path / "staging"),
        "restart_marker": str(tmp_path / "restart-pending")}}


@needs_root
def test_module_check_mode_then_apply_then_nothing_with_the_host(host_args, tmp_path, capsys):
    before = (tmp_path / "glance-api.conf").read_text()
    result = run(host_args, capsys, check=True, diff=True)
    assert result["changed"] and result["restart_pending"] and result["needs"] == []
    assert [a["action"] for a in result["actions"] if "section" not in a] == ["create_dir", "create_dir", "restart_marker"]
    assert (tmp_path / "glance-api.conf").read_text() == before and not (tmp_path / "staging").exists()
    assert "central" in result["diff"]["after"]

    result = run(host_args, capsys)
    assert result["changed"] and result["restart_pending"]
    for name in ("staging", "tasks"):
        info = os.stat(tmp_path / name)
        assert (info.st_uid, info.st_mode & 0o7777) == (0, 0o750)
    assert "enabled_backends = central:file" in (tmp_path / "glance-api.conf").read_text()
    assert (tmp_path / "restart-pending").exists()

    # Converged: nothing changes, and the restart stays pending until the caller removes the marker.
    result = run(host_args, capsys, check=True)
    assert not result["changed"] and result["actions"] == [] and result["restart_pending"]
    os.unlink(tmp_path / "restart-pending")
    result = run(host_args, capsys)
    assert not result["changed"] and not result["restart_pending"]


@needs_root
def test_a_missing_command_changes_nothing_and_is_returned(host_args, tmp_path, capsys):
    host_args["host"]["commands"] = ["it-no-such-command"]
    before = (tmp_path / "glance-api.conf").read_text()
    # Check mode shows what the run will change once the command is installed.
    result = run(host_args, capsys, check=True)
    assert result["changed"] and result["needs"] == ["it-no-such-command"]
    assert {"action": "create_dir", "path": str(tmp_path / "staging")} in result["actions"]
    result = run(host_args, capsys)
    assert not result["changed"] and result["needs"] == ["it-no-such-command"] and result["actions"] == []
    assert (tmp_path / "glance-api.conf").read_text() == before and not (tmp_path / "staging").exists()


@needs_root
def test_host_problems_fail_before_any_change_and_name_the_variables(host_args, tmp_path, capsys):
    secret = tmp_path / "central.client.glance.keyring"
    secret.write_text("[client.glance]\n")
    os.chmod(secret, 0o600)
    os.chmod(tmp_path, 0o755)
    host_args["host"].update(user="nobody", readable=[str(secret)], names={"stores": "edgestack_glance_stores (site central)"})
    before = (tmp_path / "glance-api.conf").read_text()
    result = run(host_args, capsys)
    assert result["failed"] and not result["changed"]
    assert result["problems"] == [
        f"the nobody user cannot read {secret}, which its stores need. Deliver the site's Ceph client files first "
        f"(role edgestack.glance_ceph.ceph_client_auth: conf 0644, keyring root:{GROUP} 0640), or fix the store's "
        "ceph_conf/keyring paths (edgestack_glance_stores (site central))."]
    assert (tmp_path / "glance-api.conf").read_text() == before and not (tmp_path / "staging").exists()

    host_args["host"].update(user="it-no-such-user")
    result = run(host_args, capsys)
    assert result["failed"] and "the it-no-such-user user does not exist" in result["msg"]
