# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in Ceph cluster for the tests of the Ceph modules.

It serves the JSON captured from a lab cluster and records every command; the
tests check the module glue: check mode sends no write, actions run in plan
order, the pool delete guard is lifted and restored, and keys never leave in
a result unless asked for.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')
READS = ('mon dump', 'osd pool ls', 'osd crush rule dump', 'osd dump', 'auth ls', 'config dump')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


class FakeClient(object):
    """A cluster that answers from fixtures and records what it is sent."""

    transport = 'librados'

    def __init__(self, delete_guard=False):
        self.settings = _ceph.ConnectionSettings(cluster='central', conf='/nonexistent/central.conf')
        self.round_trips = 0
        self.sent = []
        self.delete_guard = delete_guard
        self.closed = False

    def mon(self, cmd, inbuf=None):
        self.round_trips += 1
        self.sent.append((cmd, inbuf))
        prefix = cmd['prefix']
        if prefix == 'mon dump':
            return fixture('central_mon_dump.json')
        if prefix == 'osd pool ls':
            return fixture('central_osd_pool_ls_detail.json')
        if prefix == 'osd crush rule dump':
            return fixture('central_osd_crush_rule_dump.json')
        if prefix == 'auth ls':
            return fixture('central_auth_ls.json')
        if prefix == 'config dump':
            return []
        if prefix == 'config set' and cmd['name'] == 'mon_allow_pool_delete':
            self.delete_guard = cmd['value'] != 'true'
        if prefix == 'osd pool rm' and self.delete_guard:
            raise _ceph.CephCommandError('osd pool rm failed', cmd=_ceph.command_text(cmd), rc=1,
                                         stderr='pool deletion is disabled; you must first set the '
                                                'mon_allow_pool_delete config option to true')
        if prefix == 'auth get-or-create':
            return [{'entity': cmd['entity'], 'key': 'AQAoFAJrAAAAABAAcmVhdGVkYnljbHVzdGVyISE=', 'caps': {}}]
        return None

    def read_object(self, pool, oid):
        self.round_trips += 1
        self.sent.append(({'prefix': 'read', 'pool': pool, 'oid': oid}, None))
        return b'overwrite validated' if pool == 'it-fx-rbd' else None

    def rbd_pool_init(self, pool, force=False):
        self.round_trips += 1
        self.sent.append(({'prefix': 'rbd pool init', 'pool': pool}, None))

    def close(self):
        self.closed = True

    def writes(self):
        return [cmd for cmd, dummy in self.sent if cmd['prefix'] not in READS and cmd['prefix'] != 'read']


@pytest.fixture
def cluster(monkeypatch):
    holder = {}

    def connect(settings, which, rados_module=None, interpreter=None):
        holder['client'] = holder.get('client') or FakeClient()
        return holder['client']

    monkeypatch.setattr(_ceph, 'connect', connect)
    holder['client'] = FakeClient()
    holder['new'] = FakeClient
    return holder


@pytest.fixture
def run_module(capsys):
    """Runs a module's main() with these arguments; returns its result and its raw output."""
    def run(module, args, check=False, diff=False):
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module.main()
        out = capsys.readouterr().out
        return json.loads(out), out
    return run


@pytest.fixture
def settle_by_lookup():
    """An action plugin's lookup outcome over the stand-in cluster's answers, printed as the lookup
    script prints them: the task's result when the module would not run, else None."""
    import base64  # pylint: disable=import-outside-toplevel
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel

    def run(action_module, args, diff=False):
        plugin = action_module.ActionModule.__new__(action_module.ActionModule)
        plugin._task = type('Task', (), {'action': action_module.__name__.rsplit('.', 1)[-1]})()
        plugin._play_context = None
        params = ArgumentSpecValidator(plugin.argument_spec()).validate(args).validated_parameters
        settings, request = plugin.lookup_request(params)
        asked = json.loads(request)
        fake = FakeClient()
        objects = []
        for pool, oid in asked['objects']:
            data = fake.read_object(pool, oid)
            objects.append({'data': None if data is None else base64.b64encode(data).decode('ascii')})
        answers = {'mon': [[0, json.dumps(fake.mon(cmd)), ''] for cmd in asked['mon']], 'objects': objects}
        stdout = 'librados start-up chatter\n' + json.dumps(answers) + '\n'
        return plugin.outcome(settings, request, stdout, params, diff=diff), asked
    return run
