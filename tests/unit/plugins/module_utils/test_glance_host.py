# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Glance host needs beside its settings (module_utils/_glance_host.py): the pure plan
of its directories and its problems; the module runs them in tests/unit/plugins/modules."""

from __future__ import annotations

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _glance_host

HOST = {"user": "glance", "group": "glance", "staging_dir": "/var/lib/glance/staging", "min_free_gib": 20}
NAMES = {"stores": "edgestack_glance_stores (site dcn1)", "min_free_gib": "edgestack_glance_image_conversion_min_free_gib",
         "image_conversion": "edgestack_glance_image_conversion"}
GIB = 1024 ** 3


def state(**changes):
    return dict({"user_exists": True, "group_gid": 161, "unreadable": [], "free_bytes": 100 * GIB}, **changes)


def test_directories_missing_or_with_other_attributes_and_no_others():
    current = {"/a": None, "/b": (161, 161, 0o750), "/c": (0, 0, 0o750), "/d": (161, 161, 0o755), "/e": (-1, -1, -1)}
    assert _glance_host.directory_actions(["/a", "/b", "/c", "/d", "/e"], current, 161, 161, 0o750) == [
        {"action": "create_dir", "path": "/a"}, {"action": "dir_attributes", "path": "/c"},
        {"action": "dir_attributes", "path": "/d"}, {"action": "dir_attributes", "path": "/e"}]


def test_a_converged_host_has_no_problem():
    assert _glance_host.host_problems(HOST, state(), True, NAMES) == []


def test_unreadable_store_files_name_the_fix_and_the_operator_variable():
    problems = _glance_host.host_problems(HOST, state(unreadable=["/etc/ceph/dcn1.client.glance.keyring"]), False, NAMES)
    assert problems == ["the glance user cannot read /etc/ceph/dcn1.client.glance.keyring, which its stores need. "
                        "Deliver the site's Ceph client files first (role edgestack.glance_ceph.ceph_client_auth: "
                        "conf 0644, keyring root:glance 0640), or fix the store's ceph_conf/keyring paths "
                        "(edgestack_glance_stores (site dcn1))."]


def test_a_missing_user_is_named():
    assert _glance_host.host_problems(HOST, state(user_exists=False), False, {"user": "glance_multistore_user"}) == [
        "the glance user does not exist: install glance-api first (its package creates it), or set glance_multistore_user"]


def test_a_missing_group_is_named():
    assert _glance_host.host_problems(HOST, state(group_gid=None), False, {"group": "glance_multistore_group"}) == [
        "the glance group does not exist: install glance-api first (its package creates it), or set glance_multistore_group"]


def test_staging_room_is_checked_only_when_conversion_turns_on():
    short = state(free_bytes=int(1.5 * GIB))
    assert _glance_host.host_problems(HOST, short, False, NAMES) == []
    (problem,) = _glance_host.host_problems(HOST, short, True, NAMES)
    assert problem.startswith("image conversion needs at least 20 GiB free in /var/lib/glance/staging ")
    assert "which has 1.5 GiB" in problem
    assert "lower edgestack_glance_image_conversion_min_free_gib, or turn conversion off with " \
           "edgestack_glance_image_conversion: false." in problem
    assert _glance_host.host_problems(dict(HOST, min_free_gib=0), short, True, NAMES) == []
    # Every problem at once.
    assert len(_glance_host.host_problems(HOST, dict(short, unreadable=["/x"]), True, NAMES)) == 2
