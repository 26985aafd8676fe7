# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup's choices on the controller (plugins/plugin_utils/_ceph_lookup.py).

Its outcome over the answers of a cluster is tested beside each module's result
(tests/unit/plugins/modules/test_ceph_pool.py, test_ceph_auth.py), and for real
on the lab (tests/integration/test_ceph_lookup.py).
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.action import ceph_pool
from ansible_collections.edgestack.glance_ceph.plugins.plugin_utils import _ceph_lookup


@pytest.mark.parametrize('interpreter, discovered, words', [
    ('/usr/bin/python3', None, ['/usr/bin/python3']),
    ('/usr/bin/env python3', None, ['/usr/bin/env', 'python3']),
    ('/opt/py/bin/python3.11', '/usr/bin/python3', ['/opt/py/bin/python3.11']),
    ('auto_silent', '/usr/libexec/platform-python', ['/usr/libexec/platform-python']),
    # still to be discovered: the action discovers it, as Ansible does for a module
    (None, None, None),
    ('auto', None, None),
])
def test_lookup_interpreter(interpreter, discovered, words):
    assert _ceph_lookup.lookup_interpreter(interpreter, discovered) == words


def _plugin():
    return ceph_pool.ActionModule.__new__(ceph_pool.ActionModule)


@pytest.mark.parametrize('params', [
    {'transport': 'cli', 'cli_prefix': None},
    {'transport': 'auto', 'cli_prefix': ['cephadm', 'shell', '--']},
])
def test_no_lookup_where_the_module_talks_through_the_cli(params):
    settings, request = _plugin().lookup_request(dict({'cluster': 'dcn0', 'pools': [{'name': 'images'}]}, **params))
    assert settings.cluster == 'dcn0' and request is None


def test_the_monitor_map_is_read_first_when_monitors_are_checked():
    pools = [{'name': 'images', 'state': 'present', 'rbd_init': True, 'crush_rule': None}]
    for mon_addresses, first in ((None, 'osd pool ls'), (['192.0.2.10'], 'mon dump')):
        dummy, request = _plugin().lookup_request({'cluster': 'dcn0', 'pools': pools, 'mon_addresses': mon_addresses})
        asked = json.loads(request)
        assert asked['mon'][0]['prefix'] == first
        assert asked['objects'] == [['images', 'rbd_info']]
