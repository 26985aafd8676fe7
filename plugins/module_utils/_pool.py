# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for ceph_pool: desired pools + cluster state -> commands.

Nothing here talks to a cluster. ``current_pools`` turns the JSON of
``osd pool ls detail`` (plus ``osd crush rule dump`` and, only if needed,
``osd dump``) into one normalised dictionary per pool; ``plan`` compares the
requested pools with it and returns the monitor commands that converge them,
in the order they must run, with warnings and a before/after per pool.

Unset means unmanaged: a setting the caller leaves out is never compared and
never changed, and no default is ever applied to an existing pool.
"""

from __future__ import annotations

import copy

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

POOL_TYPES = {1: 'replicated', 3: 'erasure'}
AUTOSCALE_MODES = ('on', 'off', 'warn')

# The settings a caller can manage, in the order they are applied to an
# existing pool. pg_autoscale_mode comes before pg_num so that one run that
# turns the autoscaler off and sets pg_num converges; size comes before
# min_size because the monitor clamps min_size to a smaller size.
MANAGED = ('pg_autoscale_mode', 'pg_num', 'pgp_num', 'crush_rule', 'size', 'min_size',
           'target_size_ratio', 'max_bytes', 'max_objects', 'application', 'rbd_init')

# What `rbd pool init` writes into a pool's rbd_info object once the pool has
# been validated for RBD.
RBD_INFO_VALIDATED = b'overwrite validated'

RBD_INIT = 'rbd pool init'


class PoolSpecError(_lifecycle.EdgestackModuleError, ValueError):
    """The requested pools are invalid or cannot be reached from the current state."""


def pool_argument_spec():
    """Suboptions of one entry of ceph_pool's ``pools`` option."""
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        pool_type=dict(type='str', choices=['replicated', 'erasure']),
        erasure_profile=dict(type='str'),
        pg_num=dict(type='int'),
        pgp_num=dict(type='int'),
        pg_autoscale_mode=dict(type='str', choices=list(AUTOSCALE_MODES)),
        size=dict(type='int'),
        min_size=dict(type='int'),
        crush_rule=dict(type='str'),
        application=dict(type='str'),
        rbd_init=dict(type='bool', default=False),
        target_size_ratio=dict(type='float'),
        max_bytes=dict(type='int'),
        max_objects=dict(type='int'),
    )


def _check_positive(name, pool, key, minimum=1):
    value = pool.get(key)
    if value is not None and value < minimum:
        raise PoolSpecError('pool %r: %s must be at least %d, got %d' % (name, key, minimum, value))


def desired_pools(pools):
    """Validate the ``pools`` option; return a list of dicts with every key present."""
    spec = pool_argument_spec()
    result = []
    seen = set()
    for entry in pools or []:
        pool = dict((key, entry.get(key, opts.get('default'))) for key, opts in spec.items())
        name = pool['name']
        if not name or not isinstance(name, str) or name != name.strip():
            raise PoolSpecError('every pool needs a name without surrounding spaces, got %r' % (name,))
        if name in seen:
            raise PoolSpecError('pool %r is listed more than once' % name)
        seen.add(name)
        if pool['state'] == 'present':
            for key in ('pg_num', 'pgp_num', 'size', 'min_size'):
                _check_positive(name, pool, key)
            for key in ('max_bytes', 'max_objects'):
                _check_positive(name, pool, key, minimum=0)
            if pool['size'] is not None and pool['size'] > 10:
                raise PoolSpecError('pool %r: size must be between 1 and 10, got %d' % (name, pool['size']))
            if pool['pg_num'] and pool['pgp_num'] and pool['pgp_num'] > pool['pg_num']:
                raise PoolSpecError('pool %r: pgp_num (%d) cannot exceed pg_num (%d)'
                                    % (name, pool['pgp_num'], pool['pg_num']))
            if pool['size'] and pool['min_size'] and pool['min_size'] > pool['size']:
                raise PoolSpecError('pool %r: min_size (%d) cannot exceed size (%d)'
                                    % (name, pool['min_size'], pool['size']))
            if pool['target_size_ratio'] is not None and pool['target_size_ratio'] < 0:
                raise PoolSpecError('pool %r: target_size_ratio cannot be negative' % name)
            if pool['erasure_profile'] and pool['pool_type'] != 'erasure':
                raise PoolSpecError('pool %r: erasure_profile needs pool_type: erasure' % name)
            if pool['pool_type'] == 'erasure' and pool['size'] is not None:
                raise PoolSpecError('pool %r: the size of an erasure-coded pool comes from its erasure '
                                    'profile (k+m); leave size unset' % name)
            if pool['rbd_init'] and pool['application'] not in (None, 'rbd'):
                raise PoolSpecError('pool %r: rbd_init enables the rbd application, but application is %r'
                                    % (name, pool['application']))
        result.append(pool)
    return result


def crush_rule_names(rule_dump):
    """``{rule_id: rule_name}`` from ``osd crush rule dump``."""
    return dict((rule['rule_id'], rule['rule_name']) for rule in rule_dump or [])


def needs_osd_dump(ls_detail):
    """True when ``osd pool ls detail`` lacks the quotas, so ``osd dump`` must be read."""
    return any('quota_max_bytes' not in raw or 'quota_max_objects' not in raw for raw in ls_detail or [])


def pool_state(raw, rule_names=None, quotas=None):
    """One pool of ``osd pool ls detail`` (or ``osd dump``) as a flat, comparable dict."""
    quotas = quotas or {}
    options = raw.get('options') or {}
    pool_type = POOL_TYPES.get(raw.get('type'), str(raw.get('type')))
    pg_num = raw.get('pg_num_target', raw.get('pg_num'))
    pgp_num = raw.get('pg_placement_num_target', raw.get('pg_placement_num'))
    rule_id = raw.get('crush_rule')
    erasure_profile = None
    if pool_type == 'erasure':
        erasure_profile = raw.get('erasure_code_profile') or None
    state = {
        'name': raw['pool_name'],
        'id': raw.get('pool_id', raw.get('pool')),
        'pool_type': pool_type,
        'erasure_profile': erasure_profile,
        'size': raw.get('size'),
        'min_size': raw.get('min_size'),
        'crush_rule_id': rule_id,
        'pg_num': pg_num,
        'pgp_num': pgp_num,
        'pg_autoscale_mode': raw.get('pg_autoscale_mode'),
        'target_size_ratio': float(options.get('target_size_ratio', 0.0)),
        'max_bytes': int(raw.get('quota_max_bytes', quotas.get('max_bytes', 0)) or 0),
        'max_objects': int(raw.get('quota_max_objects', quotas.get('max_objects', 0)) or 0),
        'application': sorted((raw.get('application_metadata') or {}).keys()),
    }
    if rule_names is not None:
        # names are known only when the rules were read
        state['crush_rule'] = rule_names.get(rule_id)
    return state


def current_pools(ls_detail, rule_dump=None, osd_dump=None):
    """``{name: state}`` for every pool of the cluster.

    ``rule_dump`` (``osd crush rule dump``) turns rule ids into names;
    ``osd_dump`` supplies quotas when ``ls_detail`` does not carry them.
    """
    rule_names = crush_rule_names(rule_dump) if rule_dump is not None else None  # None: names unknown
    quotas_by_id = {}
    for raw in (osd_dump or {}).get('pools', []):
        quotas_by_id[raw.get('pool')] = {'max_bytes': raw.get('quota_max_bytes', 0),
                                         'max_objects': raw.get('quota_max_objects', 0)}
    result = {}
    for raw in ls_detail or []:
        pool_id = raw.get('pool_id', raw.get('pool'))
        result[raw['pool_name']] = pool_state(raw, rule_names, quotas_by_id.get(pool_id))
    return result


def needs_rule_dump(desired):
    return any(p['state'] == 'present' and p['crush_rule'] is not None for p in desired)


def rbd_info_reads(desired, current):
    """Pools whose rbd_info object must be read to know whether rbd_init is done.

    Only existing pools that already have the rbd application: a pool without
    it, or a pool yet to be created, needs ``rbd pool init`` anyway.
    """
    names = []
    for pool in desired:
        have = current.get(pool['name'])
        if pool['state'] == 'present' and pool['rbd_init'] and have and 'rbd' in have['application']:
            names.append(pool['name'])
    return names


# The monitor commands ``read`` sends (and a lookup sends for it, ``lookup_reads``).
LS_DETAIL = {'prefix': 'osd pool ls', 'detail': 'detail'}
RULE_DUMP = {'prefix': 'osd crush rule dump'}
OSD_DUMP = {'prefix': 'osd dump'}


def read(client, desired):
    """The cluster's pools as ``current_pools`` gives them, and the CRUSH rules if ``desired`` needs them.

    ``client`` is a ``_ceph.CephClient``: the module's connection, or, on the controller,
    the answers of a lookup (``lookup_reads``).
    """
    ls_detail = client.mon(LS_DETAIL) or []
    rule_dump = client.mon(RULE_DUMP) if needs_rule_dump(desired) else None
    osd_dump = client.mon(OSD_DUMP) if needs_osd_dump(ls_detail) else None
    current = current_pools(ls_detail, rule_dump, osd_dump)
    contents = {}
    for name in rbd_info_reads(desired, current):
        contents[name] = client.read_object(name, 'rbd_info')
    record_rbd_info(current, contents)
    return current, rule_dump


def lookup_reads(desired):
    """What ``read`` asks of a cluster that carries the quotas in ``osd pool ls detail`` (Pacific and later),
    as (monitor commands, objects) for a lookup: every rbd_info ``read`` could want, before the pools are known."""
    cmds = [LS_DETAIL]
    if needs_rule_dump(desired):
        cmds.append(RULE_DUMP)
    objects = [(pool['name'], 'rbd_info') for pool in desired if pool['state'] == 'present' and pool['rbd_init']]
    return cmds, objects


def module_argument_spec():
    """ceph_pool's options but the connection and monitor ones (``_ceph``)."""
    return dict(
        pools=dict(type='list', elements='dict', required=True, options=pool_argument_spec()),
        allow_delete=dict(type='bool', default=False),
        override_mon_allow_pool_delete=dict(type='bool', default=False),
    )


def record_rbd_info(current, contents):
    """Set ``rbd_init`` in ``current`` from ``{pool: rbd_info content or None}``."""
    for name, content in contents.items():
        if name in current:
            current[name]['rbd_init'] = ('rbd' in current[name]['application']
                                         and (content or b'').strip(b'\0') == RBD_INFO_VALIDATED)


class Plan(_lifecycle.Plan):
    """What converging the pools takes: commands, warnings, each pool before and after, a diff per pool."""

    @property
    def deletions(self):
        return [a['pool'] for a in self.actions if a['prefix'] == 'osd pool rm']


def _set(pool, var, val):
    return {'prefix': 'osd pool set', 'pool': pool, 'var': var, 'val': _text(val)}


def _text(val):
    if isinstance(val, float):
        return repr(val)
    return str(val)


def _float_equal(a, b):
    return abs(float(a) - float(b)) < 1e-9


def _public(state):
    """The part of a pool state shown in diffs and results."""
    return dict((k, v) for k, v in state.items() if k not in ('name', 'id'))


def _plan_create(pool, plan, rule_ids):
    name = pool['name']
    create = {'prefix': 'osd pool create', 'pool': name}
    after = {'state': 'present'}
    for key, arg in (('pg_num', 'pg_num'), ('pgp_num', 'pgp_num'), ('pool_type', 'pool_type'),
                     ('erasure_profile', 'erasure_code_profile'), ('crush_rule', 'rule'),
                     ('size', 'size'), ('pg_autoscale_mode', 'autoscale_mode')):
        if pool[key] is not None:
            create[arg] = pool[key]
            after[key] = pool[key]
    if pool['crush_rule'] is not None and rule_ids is not None and pool['crush_rule'] not in rule_ids:
        raise PoolSpecError('pool %r: crush rule %r does not exist (rules: %s)'
                            % (name, pool['crush_rule'], ', '.join(sorted(rule_ids)) or 'none'))
    actions = [create]
    if pool['min_size'] is not None:
        actions.append(_set(name, 'min_size', pool['min_size']))
        after['min_size'] = pool['min_size']
    if pool['target_size_ratio']:
        # set after creation: Pacific's `osd pool create` ignores its
        # target_size_ratio argument
        actions.append(_set(name, 'target_size_ratio', float(pool['target_size_ratio'])))
    if pool['target_size_ratio'] is not None:
        after['target_size_ratio'] = float(pool['target_size_ratio'])
    for key in ('max_bytes', 'max_objects'):
        if pool[key]:
            actions.append({'prefix': 'osd pool set-quota', 'pool': name, 'field': key, 'val': _text(pool[key])})
        if pool[key] is not None:
            after[key] = pool[key]
    applications = []
    if pool['application'] and not (pool['rbd_init'] and pool['application'] == 'rbd'):
        actions.append({'prefix': 'osd pool application enable', 'pool': name, 'app': pool['application']})
        applications.append(pool['application'])
    if pool['rbd_init']:
        actions.append({'prefix': RBD_INIT, 'pool': name})
        applications.append('rbd')
        after['rbd_init'] = True
    if applications:
        after['application'] = sorted(set(applications))
    plan.actions.extend(actions)
    plan.diff.append({'before_header': 'pool %s' % name, 'after_header': 'pool %s' % name,
                      'before': {'state': 'absent'}, 'after': after})
    plan.after[name] = after


def _plan_update(pool, have, plan, rule_ids):
    name = pool['name']
    if pool['pool_type'] is not None and pool['pool_type'] != have['pool_type']:
        raise PoolSpecError('pool %r is %s, not %s: the type of an existing pool cannot change'
                            % (name, have['pool_type'], pool['pool_type']))
    if pool['erasure_profile'] is not None and pool['erasure_profile'] != have['erasure_profile']:
        raise PoolSpecError('pool %r uses erasure profile %r, not %r: the profile of an existing pool cannot change'
                            % (name, have['erasure_profile'], pool['erasure_profile']))
    if pool['size'] is not None and have['pool_type'] == 'erasure':
        raise PoolSpecError('pool %r is erasure-coded: its size comes from its profile; leave size unset' % name)
    before = _public(have)
    after = copy.deepcopy(before)
    actions = []

    mode = pool['pg_autoscale_mode']
    if mode is not None and mode != have['pg_autoscale_mode']:
        actions.append(_set(name, 'pg_autoscale_mode', mode))
        after['pg_autoscale_mode'] = mode
    autoscaler_on = after['pg_autoscale_mode'] == 'on'

    for key in ('pg_num', 'pgp_num'):
        want = pool[key]
        if want is None or want == after[key]:
            continue
        if autoscaler_on:
            plan.warnings.append(
                'pool %r: %s %d not applied: pg_autoscale_mode is on, so the autoscaler manages %s '
                '(now %d); set pg_autoscale_mode: off or warn to manage it'
                % (name, key, want, key, after[key]))
            continue
        actions.append(_set(name, key, want))
        if key == 'pg_num' and pool['pgp_num'] is None and after['pgp_num'] == after['pg_num']:
            # the monitor moves pgp_num along with pg_num when they matched
            after['pgp_num'] = want
        after[key] = want

    rule = pool['crush_rule']
    if rule is not None:
        if rule_ids is not None and rule not in rule_ids:
            raise PoolSpecError('pool %r: crush rule %r does not exist (rules: %s)'
                                % (name, rule, ', '.join(sorted(rule_ids)) or 'none'))
        if rule != have.get('crush_rule'):
            actions.append(_set(name, 'crush_rule', rule))
            after['crush_rule'] = rule
            if rule_ids is not None:
                after['crush_rule_id'] = rule_ids[rule]

    if pool['size'] is not None and pool['size'] != have['size']:
        cmd = _set(name, 'size', pool['size'])
        if pool['size'] == 1:
            # size 1 is what the caller asked for; the cluster still has to
            # allow it with mon_allow_pool_size_one.
            cmd['yes_i_really_mean_it'] = True
        actions.append(cmd)
        after['size'] = pool['size']
        if after['min_size'] is not None and after['min_size'] > pool['size']:
            after['min_size'] = pool['size']  # the monitor clamps it
    if pool['min_size'] is not None and pool['min_size'] != after['min_size']:
        actions.append(_set(name, 'min_size', pool['min_size']))
        after['min_size'] = pool['min_size']

    ratio = pool['target_size_ratio']
    if ratio is not None and not _float_equal(ratio, have['target_size_ratio']):
        actions.append(_set(name, 'target_size_ratio', float(ratio)))
        after['target_size_ratio'] = float(ratio)

    for key in ('max_bytes', 'max_objects'):
        if pool[key] is not None and pool[key] != have[key]:
            actions.append({'prefix': 'osd pool set-quota', 'pool': name, 'field': key, 'val': _text(pool[key])})
            after[key] = pool[key]

    app = pool['application']
    rbd_init_needed = pool['rbd_init'] and have.get('rbd_init') is not True
    if app is not None and app not in have['application'] and not (rbd_init_needed and app == 'rbd'):
        cmd = {'prefix': 'osd pool application enable', 'pool': name, 'app': app}
        if have['application']:
            # a second application is what the caller asked for; the monitor
            # wants that confirmed
            cmd['yes_i_really_mean_it'] = True
        actions.append(cmd)
        after['application'] = sorted(set(after['application']) | set([app]))
    if rbd_init_needed:
        actions.append({'prefix': RBD_INIT, 'pool': name})
        after['application'] = sorted(set(after['application']) | set(['rbd']))
        after['rbd_init'] = True

    plan.after[name] = after
    if actions:
        plan.actions.extend(actions)
        plan.diff.append({'before_header': 'pool %s' % name, 'after_header': 'pool %s' % name,
                          'before': before, 'after': after})


def plan(desired, current, allow_delete=False, rule_dump=None):
    """Commands that bring ``current`` (``current_pools``) to ``desired`` (``desired_pools``).

    ``rule_dump`` (``osd crush rule dump``) lets unknown crush rule names fail
    before anything changes. Raises PoolSpecError when the request cannot be
    met (type change, deletion without ``allow_delete``...); nothing is
    applied in that case.
    """
    result = Plan()
    rule_ids = None
    if rule_dump is not None:
        rule_ids = dict((rule['rule_name'], rule['rule_id']) for rule in rule_dump)
    for pool in desired:
        name = pool['name']
        have = current.get(name)
        if have is not None:
            result.before[name] = _public(have)
        if pool['state'] == 'absent':
            if have is None:
                continue
            if not allow_delete:
                raise PoolSpecError('pool %r exists and has state: absent; deleting a pool destroys its data, '
                                    'so set allow_delete: true to delete it' % name)
            result.actions.append({'prefix': 'osd pool rm', 'pool': name, 'pool2': name,
                                   'yes_i_really_really_mean_it': True})
            result.diff.append({'before_header': 'pool %s' % name, 'after_header': 'pool %s (deleted)' % name,
                                'before': _public(have), 'after': {'state': 'absent'}})
            continue
        if have is None:
            _plan_create(pool, result, rule_ids)
        else:
            _plan_update(pool, have, result, rule_ids)
    return result


def config_db_value(config_dump, section, name):
    """The value ``config dump`` holds for ``name`` in ``section`` exactly, or None."""
    for entry in config_dump or []:
        if entry.get('section') == section and entry.get('name') == name:
            return entry.get('value')
    return None


def pool_delete_disabled(error_text):
    """True when a monitor refused a pool deletion because of mon_allow_pool_delete."""
    return 'mon_allow_pool_delete' in (error_text or '')


def info(current, names=None):
    """Pools for ceph_pool_info: all, or the named ones that exist, sorted by name."""
    wanted = set(names) if names else None
    result = []
    for name in sorted(current):
        if wanted is not None and name not in wanted:
            continue
        pool = copy.deepcopy(current[name])
        result.append(pool)
    return result
