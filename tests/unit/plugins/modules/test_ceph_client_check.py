# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_client_check end to end: read-only in every mode, one answer per cluster in order;
the check itself is tested in module_utils/test_preflight.py."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_client_check


def run(args, capsys, check=False):
    with patch_module_args(dict(args, _ansible_check_mode=check)):
        with pytest.raises(SystemExit):
            ceph_client_check.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('check', [False, True])
def test_a_user_that_does_not_exist_is_named_on_every_cluster(tmp_path, capsys, check):
    clusters = [{'name': 'dcn1', 'user': 'glance', 'pool': 'images'}, {'name': 'central', 'user': 'glance', 'pool': 'images'}]
    result = run({'dir': str(tmp_path), 'run_as': 'it-no-such-user', 'clusters': clusters}, capsys, check=check)
    assert result['changed'] is False and not result.get('failed')
    assert [r['cluster'] for r in result['preflight']] == ['dcn1', 'central']
    assert all(not r['ok'] and 'no local user it-no-such-user' in r['message'] for r in result['preflight'])
    assert list(tmp_path.iterdir()) == []
