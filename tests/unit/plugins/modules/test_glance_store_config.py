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
