# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_auth_info against the stand-in cluster of conftest.py."""

from __future__ import annotations

import json
import os

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_auth_info

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')
with open(os.path.join(FIXTURES, 'central_auth_ls.json')) as _handle:
    AUTH_LS = json.load(_handle)
KEYS = [entry['key'] for entry in AUTH_LS['auth_dump']]
GLANCE = 'client.it-fx-glance'
GLANCE_KEY = _auth.current_clients(AUTH_LS)[GLANCE]['key']


def assert_no_key(text, extra=()):
    for key in list(KEYS) + list(extra):
        assert key not in text


def test_auth_info_keys_only_when_asked(cluster, run_module):
    result, out = run_module(ceph_auth_info, {'cluster': 'central'})
    assert_no_key(out)
    assert 'keyrings' not in result
    assert {c['name'] for c in result['clients']} == {e['entity'] for e in AUTH_LS['auth_dump']}
    result, out = run_module(ceph_auth_info, {'cluster': 'central', 'names': [GLANCE], 'return_keyring': True})
    assert list(result['keyrings']) == [GLANCE] and GLANCE_KEY in result['keyrings'][GLANCE]
    assert_no_key(out.replace(GLANCE_KEY, ''))
