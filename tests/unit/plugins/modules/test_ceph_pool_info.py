# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_pool_info against the stand-in cluster of conftest.py."""

from __future__ import annotations

from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_pool_info


def test_pool_info(cluster, run_module):
    result, dummy = run_module(ceph_pool_info, {'cluster': 'central', 'names': ['it-fx-plain', 'nope']})
    assert [p['name'] for p in result['pools']] == ['it-fx-plain']
    assert result['pools'][0]['crush_rule'] == 'it-fx-rule'
    assert result['missing'] == ['nope']
    assert result['round_trips'] == 2 and result['changed'] is False
