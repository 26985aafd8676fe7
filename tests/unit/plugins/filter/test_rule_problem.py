# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rule_problem: the shared rules as the role checks call them."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.filter.rule_problem import rule_problem


@pytest.mark.parametrize("value, rule, ok", [
    ("dcn0", "cluster_name", True), ("DCN", "cluster_name", False), ("glance", "ceph_user", True),
    ("client.x", "client_name", True), ("images", "pool_name", True), ("x", "fsid", False), ("", "cephx_key", False),
    (9292, "port", True), ("glance.example", "host_address", True), ("dcn0", "site_name", True),
])
def test_rule_problem(value, rule, ok):
    assert (rule_problem(value, rule) == "") is ok


def test_rule_problem_unknown_rule():
    with pytest.raises(AnsibleFilterError, match="unknown rule"):
        rule_problem("x", "nope")
