# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ceph client files of a host, looked up without a module run.

ceph_client_files_lookup builds the one shell command (for ansible.builtin.raw) that reads
what ceph_client_files would read on a host, and runs the preflight as the service user;
ceph_client_files_state tells from its output whether the module has anything to do there,
with the module's own plan (module_utils/_client_files.plan_directory), and what the
preflight found. Neither puts a key in the command or in its result.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _client_files
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _preflight
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

_SPEC = _client_files.argument_spec()
# The module's options the lookup reads (all but the preflight, a filter argument of its own),
# with the module's defaults.
DEFAULTS = dict((key, option.get('default', [])) for key, option in _SPEC.items() if key != 'preflight')
# What the module takes of each cluster (a published cluster also has its user and pool).
CLUSTER_KEYS = tuple(_SPEC['clusters']['options'])


def _params(options):
    """The module's options, plain, with only what the module takes of each cluster: every
    value read once (each may be a template of the play)."""
    if not isinstance(options, Mapping):
        raise AnsibleFilterError('ceph_client_files_lookup/_state take the options of ceph_client_files as a mapping')
    params = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in options and key != 'clusters':
            params[key] = _rules.plain_copy(options[key])
    params['clusters'] = []
    for cluster in options.get('clusters') or []:
        entry = dict((key, _rules.plain_copy(cluster[key])) for key in CLUSTER_KEYS if key in cluster)
        entry['clients'] = entry.get('clients') or []
        params['clusters'].append(entry)
    return params


def ceph_client_files_lookup(options, preflight=None):
    """The argv of the lookup (``sh -c SCRIPT sh ARGS...``); with ``preflight`` (the module's
    preflight option), the check of its clusters as the service user in the same command."""
    params = _params(options)
    names = _client_files.lookup_names(params)
    checked = []
    if preflight and preflight.get('clusters'):
        checked = _preflight.with_fsids(
            [dict(name=c['name'], user=c['user'], pool=c['pool'], fsid=c.get('fsid')) for c in preflight['clusters']],
            params['clusters'])
    # The names are words of the shell command: only valid cluster names get there.
    bad = [n for n in names + list(params['local']) + [c['name'] for c in checked] if _rules.cluster_name_problem(n)]
    if bad:
        raise AnsibleFilterError('ceph_client_files_lookup: invalid cluster names %s' % bad)
    script = _client_files.LOOKUP_SCRIPT
    args = [params['dir'].rstrip('/') or '/', str(params['keyring_owner']), str(params['keyring_group']),
            _client_files.MANAGED_PREFIX, str(len(names))] + names + [str(len(params['local']))] + list(params['local'])
    if checked:
        check, check_args = _preflight.shell_check(
            preflight.get('run_as', 'glance'), preflight.get('python', '/usr/bin/python3'),
            preflight.get('timeout', 10), checked, args[0])
        # The line before the check's output names its clusters, in order (ceph_client_files_state).
        script += '; if [ "$1" = preflight ]; then shift; echo "preflight %s"; %s; fi' % (
            ' '.join(c['name'] for c in checked), check)
        args += ['preflight'] + check_args
    return ['sh', '-c', script + '; exit 0', 'sh'] + args


def ceph_client_files_state(output, options=None):
    """``{differs, preflight}`` from the lookup's output: with ``options``, whether
    ceph_client_files has anything to do (or to refuse) on the host (else None); and the
    preflight's result per cluster, from the output alone (as the module's ``preflight``
    return value; empty when the lookup ran no preflight)."""
    found, rest = _client_files.parse_lookup(str(output or ''))
    checked = []
    if rest:
        checked = _preflight.shell_results(rest[0].split()[1:], '\n'.join(rest[1:]))
    differs = None if options is None else _client_files.lookup_differs(_params(options), found)
    return {'differs': differs, 'preflight': checked}


class FilterModule:
    """The client files' lookup."""

    def filters(self):
        return {'ceph_client_files_lookup': ceph_client_files_lookup,
                'ceph_client_files_state': ceph_client_files_state}
