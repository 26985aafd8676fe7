# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site plan: the whole inventory, read once, checked whole, as one model.

``build(hostvars, groups)`` is a pure function of the inventory (every host's
variables and the groups of every site overlay). It returns ``{plan,
problems}``: ``problems`` lists every mistake of the inventory at once, each
naming the ``edgestack_*`` variable an operator sets, the site and host it was
read from, what is wrong and the fix; ``plan`` is the model the playbooks hand
to the roles:

  central            the central site's name (None without one)
  sites              site names, central first, then the edges sorted
  site[<name>]       type; hosts per role group; ceph_admin (the host acting
                     for the site: its first host in ceph_admin); mon_addresses;
                     vip, port; pools (ceph_pool entries) and pool_names (the
                     present ones); glance {user, pool, caps, key_supplied};
                     clients (edgestack_ceph_clients without their secrets) and
                     delivered_clients; clusters (the DCN rule: the clusters
                     whose conf and keyring the site's Glance hosts get);
                     absent_clusters (the other sites); stores (the store map
                     of the site's Glance API); backends [{name, address}]
  host[<name>]       site, bind_address, acts_for (the site it is the Ceph
                     admin host of, or None), local_clusters (the clusters whose
                     daemons run there: their conf is never written)

Role variables (``ceph_pool_setup_*``, ``glance_multistore_*``...) that an
operator sets in an overlay or as extra vars are checked here too, against
the roles' argument specs (``role_options``), once for the whole run: the site
plays hand the roles their inputs through the roles' planned entry points,
which do not validate them again per host and task.

The plan never holds a key: a supplied key shows as ``key_supplied`` (and
``secret_supplied`` for an extra client); the play reading a key hands it to
the role from the host's own variables.

Cost: one read of each host's variables and one pass over each site, so the
time grows with the inventory (the central site's store map and cluster list
have one entry per site), never with its square.

This file is private to the collection: its interface may change.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _glance_stores
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _pool
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _store_options

ROLE_GROUPS = ('ceph_admin', 'glance_api', 'glance_haproxy')
# The HAProxy hosts a site's VIP moves between, by name: VRRP priorities 200, 190, ... 10 (the
# first host wins the first election).
VRRP_FIRST_PRIORITY = 200
VRRP_PRIORITY_STEP = 10
MAX_VRRP_HOSTS = VRRP_FIRST_PRIORITY // VRRP_PRIORITY_STEP
DEFAULT_POOLS = [{'name': 'images', 'application': 'rbd', 'rbd_init': True}]
DEFAULT_PORT = 9292
CONF_DIR = '/etc/ceph'

#: Site variables (set once per site, in the overlay's group vars) and their defaults.
#: None: required.
SITE_VARS = (
    ('edgestack_site_type', None),
    ('edgestack_ceph_mon_addresses', None),
    ('edgestack_glance_vip', None),
    ('edgestack_glance_port', DEFAULT_PORT),
    ('edgestack_ceph_pools', DEFAULT_POOLS),
    ('edgestack_ceph_clients', []),
    ('edgestack_glance_ceph_user', 'glance'),
    ('edgestack_glance_pool', 'images'),
    ('edgestack_glance_ceph_key', ''),
    ('edgestack_glance_stores', []),
    ('edgestack_glance_image_conversion', True),
    ('edgestack_glance_image_conversion_min_free_gib', 20),
    ('edgestack_glance_show_image_direct_url', True),
    ('edgestack_glance_haproxy_mode', 'exclusive'),
    ('edgestack_glance_haproxy_stats_enabled', False),
    ('edgestack_glance_haproxy_stats_port', 8404),
    ('edgestack_glance_haproxy_stats_user', 'admin'),
    ('edgestack_glance_haproxy_stats_password', ''),
    ('edgestack_glance_vrrp_router_id', 51),
    ('edgestack_glance_vrrp_preempt', False),
    ('edgestack_glance_vrrp_version', 2),
    ('edgestack_glance_vrrp_advert_int', 1),
    ('edgestack_glance_vrrp_password', ''),
)
#: Site variables whose value is secret: compared, never shown (stores may hold S3 or Swift keys).
SECRET_SITE_VARS = ('edgestack_glance_ceph_key', 'edgestack_ceph_clients', 'edgestack_glance_stores',
                    'edgestack_glance_haproxy_stats_password', 'edgestack_glance_vrrp_password')
CLIENT_KEYS = ('name', 'state', 'caps', 'secret', 'deliver')
_UNSET = object()


class Problems(object):
    """The problems of an inventory, in the order they were found."""

    def __init__(self):
        self.items = []

    def add(self, variable, what, fix, site=None, host=None):
        where = []
        if site:
            where.append('site %s' % site)
        if host:
            where.append('host %s' % host)
        message = '%s%s: %s: %s' % (variable, ' (%s)' % ', '.join(where) if where else '', what, fix)
        self.items.append({'variable': variable, 'site': site, 'host': host, 'problem': what, 'fix': fix,
                           'message': message})


class Unreadable(object):
    """A variable whose value could not be templated (it names something undefined)."""

    def __init__(self, reason):
        self.reason = reason

    def __eq__(self, other):
        return isinstance(other, Unreadable)

    def __ne__(self, other):
        return not self == other

    __hash__ = None


def _get(host_vars, key, default=_UNSET):
    """One variable of a host (``hostvars[host]``), its default when unset."""
    try:
        return host_vars[key]
    except KeyError:
        return default
    except Exception as exc:  # pylint: disable=broad-except
        # A template inside the value names something undefined; never quote the value.
        return Unreadable(str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)


# --------------------------------------------------------------------------
# Reading the inventory
# --------------------------------------------------------------------------
def _read_hosts(hostvars, groups, problems, role_names=()):
    """{site: {hosts: [...], vars: {var: value}}}, {host: site}, {host: values} and {host: {role
    variable: value}} (the ``role_names`` the host sets), from one read of each host."""
    role_members = set()
    for group in ROLE_GROUPS:
        role_members.update(groups.get(group) or [])
    sites = {}
    host_site = {}
    host_values = {}
    role_values = {}
    for host in groups.get('all') or []:
        try:
            host_vars = hostvars[host]
        except KeyError:
            continue
        name = _get(host_vars, 'edgestack_site')
        if name is _UNSET or name is None:
            if host in role_members:
                groups_of = ', '.join(g for g in ROLE_GROUPS if host in (groups.get(g) or []))
                problems.add('edgestack_site', 'the host is in %s but has no site' % groups_of,
                             'add it to its site overlay (the site group, whose group vars set edgestack_site)',
                             host=host)
            continue
        reason = _rules.site_name_problem(name)
        if reason:
            problems.add('edgestack_site', reason, 'name the site group and edgestack_site alike, with a valid name',
                         host=host)
            continue
        name = str(name)
        if host not in set(groups.get(name) or []):
            problems.add('edgestack_site',
                         'the host has edgestack_site %s but is not in the group %s' % (name, name),
                         'two site overlays use the same site name, or the host is missing from its site group: '
                         'give each overlay its own edgestack_site, equal to its site group name',
                         site=name, host=host)
            continue
        site = sites.setdefault(name, {'hosts': [], 'values': {}})
        site['hosts'].append(host)
        host_site[host] = name
        values = {}
        for var, default in SITE_VARS:
            values[var] = _get(host_vars, var, default)
        values['edgestack_glance_bind_address'] = _get(host_vars, 'edgestack_glance_bind_address', None)
        values['edgestack_glance_haproxy_stats_address'] = _get(host_vars, 'edgestack_glance_haproxy_stats_address',
                                                                None)
        values['ansible_host'] = _get(host_vars, 'ansible_host', None)
        for var, value in values.items():
            if isinstance(value, Unreadable):
                problems.add(var, 'cannot be read: %s' % value.reason,
                             'define what its value refers to (a vault variable, another variable)',
                             site=name, host=host)
                values[var] = None if var in ('edgestack_glance_bind_address', 'ansible_host') else _UNSET
        host_values[host] = values
        # Membership first: a host sets few of the roles' variables, if any.
        present = dict((var, _get(host_vars, var)) for var in role_names if var in host_vars)
        if present:
            role_values[host] = present
    return sites, host_site, host_values, role_values


def _spec_for_given_values(option):
    """An option's spec for checking a value an operator gave: not required (a role's required
    input comes from the plan), no default (only what was given is checked)."""
    return dict((k, v) for k, v in option.items() if k not in ('required', 'default'))


_VALIDATORS = {}


def _check_role_values(role_values, host_site, role_options, problems, role_settings=None):
    """Every role variable a host sets, against its role's argument spec, one variable at a time;
    then the role settings it sets (``role_settings``, ``{role: (variables, check)}``), with the
    role's defaults for the others."""
    owner = {}
    for role in sorted(role_options):
        for var in role_options[role]:
            owner.setdefault(var, role)
    for host in sorted(role_values):
        rejected = set()
        for var in sorted(role_values[host]):
            value = role_values[host][var]
            role = owner[var]
            fix = ("give it a value that the role's argument spec accepts (ansible-doc -t role "
                   "edgestack.glance_ceph.%s), or remove it for the role's default" % role)
            if isinstance(value, Unreadable):
                # A template that only the play can resolve (one naming a role default, say): its
                # role's tools check what it becomes when the role runs (the modules' own
                # validation, haproxy -c, keepalived -t), before they change anything.
                rejected.add(var)
                continue
            spec = {var: _spec_for_given_values(role_options[role][var])}
            key = repr(spec)
            validator = _VALIDATORS.get(key)
            if validator is None:
                validator = _VALIDATORS[key] = ArgumentSpecValidator(spec)
            result = validator.validate({var: value})
            if result.error_messages:
                # One problem per variable: a value can fail a list's and its elements' checks both.
                problems.add(var, '; '.join(result.error_messages), fix, site=host_site.get(host), host=host)
                rejected.add(var)
        _check_role_settings(host, role_values[host], rejected, host_site, role_options, role_settings or {},
                             problems)


def _check_role_settings(host, given, rejected, host_site, role_options, role_settings, problems):
    """The checks of each role's settings that ``given`` (a host's role variables) sets, when its
    argument spec accepted every one of them: a problem per message, on its first variable."""
    for role in sorted(role_settings):
        names, check = role_settings[role]
        set_here = [var for var in names if var in given]
        if not set_here or rejected.intersection(set_here):
            continue
        options = role_options.get(role) or {}
        values = dict((var, given[var] if var in given else (options.get(var) or {}).get('default'))
                      for var in names)
        for message in check(_rules.plain_copy(values)):
            var, _sep, what = message.partition(': ')
            problems.add(var, what, 'see ansible-doc -t role edgestack.glance_ceph.%s, or remove the variable for '
                         "the role's default" % role, site=host_site.get(host), host=host)


def _site_values(name, site, host_values, problems):
    """The site variables, from its first host; a problem for each host that disagrees."""
    first = site['hosts'][0]
    values = dict((var, host_values[first][var]) for var, _default in SITE_VARS)
    for host in site['hosts'][1:]:
        for var, _default in SITE_VARS:
            if host_values[host][var] != values[var]:
                shown = '' if var in SECRET_SITE_VARS else ' (%r and %r)' % (
                    _rules.plain_copy(values[var]), _rules.plain_copy(host_values[host][var]))
                problems.add(var, 'hosts %s and %s of the site disagree%s' % (first, host, shown),
                             "set it once, in the site's group vars, not per host", site=name, host=host)
    return values, first


# --------------------------------------------------------------------------
# Checks of one site's values
# --------------------------------------------------------------------------
def _check_mons(name, host, value, problems):
    var = 'edgestack_ceph_mon_addresses'
    fix = "list the site's Ceph monitors, one plain IPv4/IPv6 address each"
    if value is _UNSET or value is None:
        problems.add(var, 'is not set', fix, site=name, host=host)
        return []
    if not _rules.is_list(value) or not value:
        problems.add(var, 'must be a non-empty list of addresses, got %r' % (_rules.plain_copy(value),), fix,
                     site=name, host=host)
        return []
    out = []
    for index, entry in enumerate(value):
        address, reason = _rules.mon_address_problem(entry)
        if reason:
            problems.add('%s[%d]' % (var, index), reason, 'fix the address', site=name, host=host)
        elif address in out:
            problems.add('%s[%d]' % (var, index), '%s is listed twice' % entry, 'list each monitor once',
                         site=name, host=host)
        else:
            out.append(address)
    return out


def _check_type(value, kind):
    if kind == 'int':
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == 'float':
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == 'bool':
        return isinstance(value, bool)
    if kind == 'str':
        return isinstance(value, str)
    return True


_TYPE_WORDS = {'int': 'an integer', 'float': 'a number', 'bool': 'true or false', 'str': 'a string'}


def _check_pools(name, host, value, problems):
    """The site's pools as given (defaults applied), and the names of the present ones."""
    var = 'edgestack_ceph_pools'
    fix_list = 'give a list of pools, such as [{name: images, application: rbd, rbd_init: true}]'
    if not _rules.is_list(value) or not value:
        problems.add(var, 'must be a non-empty list of pools, got %r' % (_rules.plain_copy(value),), fix_list,
                     site=name, host=host)
        return [], []
    spec = _pool.pool_argument_spec()
    pools = []
    good = True
    seen = set()
    for index, entry in enumerate(value):
        where = '%s[%d]' % (var, index)
        if not isinstance(entry, Mapping):
            problems.add(where, 'must be a mapping with a name, got %r' % (_rules.plain_copy(entry),), fix_list,
                         site=name, host=host)
            good = False
            continue
        pool_name = entry.get('name')
        reason = _rules.pool_name_problem(pool_name)
        if reason:
            problems.add(where + '.name', reason, 'rename the pool', site=name, host=host)
            good = False
        else:
            where = '%s[%d] (%s)' % (var, index, pool_name)
            if pool_name in seen:
                problems.add(where, 'the pool is listed twice', 'merge the entries', site=name, host=host)
                good = False
            seen.add(pool_name)
        unknown = sorted(str(k) for k in entry if k not in spec)
        if unknown:
            problems.add(where, 'has unknown keys %s' % ', '.join(unknown),
                         'a pool takes %s' % ', '.join(sorted(spec)), site=name, host=host)
            good = False
        for key, opts in spec.items():
            if key not in entry or entry[key] is None or key == 'name':
                continue
            item = entry[key]
            if not _check_type(item, opts['type']):
                problems.add('%s.%s' % (where, key), 'must be %s, got %r' % (_TYPE_WORDS[opts['type']], _rules.plain_copy(item)),
                             'give %s' % _TYPE_WORDS[opts['type']], site=name, host=host)
                good = False
            elif opts.get('choices') and item not in opts['choices']:
                problems.add('%s.%s' % (where, key), 'is %r' % (item,),
                             'use one of %s' % ', '.join(opts['choices']), site=name, host=host)
                good = False
        if entry.get('state') == 'absent':
            problems.add(where, 'has state absent, which would delete the pool and all its data',
                         'site.yml never deletes a pool: remove the entry (delete a pool on purpose with the '
                         'ceph_pool module and allow_delete: true)', site=name, host=host)
            good = False
        pools.append(_rules.plain_copy(entry))
    if good:
        try:
            _pool.desired_pools(pools)
        except _pool.PoolSpecError as exc:
            problems.add(var, str(exc), 'fix the pool entry', site=name, host=host)
    names = [p.get('name') for p in pools if isinstance(p, Mapping) and p.get('state', 'present') == 'present']
    return pools, names


def _check_clients(name, host, value, pool_names, glance_user, problems):
    """The site's extra clients without their secrets."""
    var = 'edgestack_ceph_clients'
    if value is None:
        value = []
    if not _rules.is_list(value):
        problems.add(var, 'must be a list of clients, got %s' % type(value).__name__,
                     'give [{name: client.<id>, caps: {...}}] or []', site=name, host=host)
        return []
    out = []
    seen = set()
    for index, client in enumerate(value):
        where = '%s[%d]' % (var, index)
        if not isinstance(client, Mapping):
            problems.add(where, 'must be a mapping {name: client.<id>, caps: {...}}', 'fix the entry',
                         site=name, host=host)
            continue
        client_name = client.get('name')
        reason = _rules.client_name_problem(client_name)
        if reason:
            problems.add(where + '.name', reason, 'name the client client.<id>', site=name, host=host)
            continue
        where = '%s[%d] (%s)' % (var, index, client_name)
        unknown = sorted(str(k) for k in client if k not in CLIENT_KEYS)
        if unknown:
            problems.add(where, 'has unknown keys %s' % ', '.join(unknown),
                         'a client takes %s' % ', '.join(CLIENT_KEYS), site=name, host=host)
        if client_name == 'client.%s' % glance_user:
            problems.add(where, "is Glance's own client on this site",
                         'drop it: edgestack_glance_ceph_user and edgestack_glance_pool give its caps',
                         site=name, host=host)
            continue
        if client_name in seen:
            problems.add(where, 'is declared twice', 'declare each client once', site=name, host=host)
            continue
        seen.add(client_name)
        state = client.get('state', 'present')
        deliver = client.get('deliver', False)
        if state not in ('present', 'absent'):
            problems.add(where + '.state', 'is %r' % (state,), 'use present or absent', site=name, host=host)
        if not isinstance(deliver, bool):
            problems.add(where + '.deliver', 'must be true or false, got %r' % (_rules.plain_copy(deliver),),
                         'give true to deliver its keyring to the Glance hosts', site=name, host=host)
        elif deliver and state == 'absent':
            problems.add(where, 'is absent and delivered', 'drop deliver', site=name, host=host)
        secret = client.get('secret')
        if secret is not None and _rules.cephx_key_problem(secret):
            problems.add(where + '.secret', _rules.cephx_key_problem(secret), 'or leave it unset',
                         site=name, host=host)
        caps = client.get('caps')
        if caps is not None and state == 'present':
            for reason in _rules.caps_problems(caps):
                problems.add(where, reason, 'fix the caps', site=name, host=host)
            if isinstance(caps, Mapping):
                for cap_type, cap in caps.items():
                    if not isinstance(cap, str):
                        continue
                    for pool in _rules.cap_pools(cap):
                        if pool not in pool_names:
                            problems.add('%s.caps.%s' % (where, cap_type),
                                         'names pool %s, which the site does not declare' % pool,
                                         'add the pool to edgestack_ceph_pools or fix the caps', site=name,
                                         host=host)
        entry = dict((k, _rules.plain_copy(v)) for k, v in client.items() if k != 'secret')
        entry['secret_supplied'] = secret is not None
        out.append(entry)
    return out


def _bool_var(values, var, fix, name, host, problems):
    """A true/false site variable; its default (SITE_VARS) after naming a value of another type."""
    value = values[var]
    if isinstance(value, bool):
        return value
    problems.add(var, 'must be true or false, got %r' % (_rules.plain_copy(value),), fix, site=name, host=host)
    return dict(SITE_VARS)[var]


def _check_haproxy(name, host, values, problems):
    """The site's HAProxy and VRRP settings, checked (secrets: only whether they are set)."""
    mode = values['edgestack_glance_haproxy_mode']
    if mode not in _rules.HAPROXY_MODES:
        problems.add('edgestack_glance_haproxy_mode', 'is %r' % (_rules.plain_copy(mode),),
                     'set exclusive (the collection writes the whole haproxy.cfg) or shared (only its block)',
                     site=name, host=host)
        mode = 'exclusive'
    stats = _bool_var(values, 'edgestack_glance_haproxy_stats_enabled', 'set true to serve the statistics page',
                      name, host, problems)
    port = _rules.port_value(values['edgestack_glance_haproxy_stats_port'])
    if port is None:
        problems.add('edgestack_glance_haproxy_stats_port', _rules.port_problem(values['edgestack_glance_haproxy_stats_port']),
                     'give the statistics page a port (default 8404)', site=name, host=host)
    user = values['edgestack_glance_haproxy_stats_user']
    reason = _rules.stats_user_problem(user)
    if reason:
        problems.add('edgestack_glance_haproxy_stats_user', reason, 'give the statistics page a user name',
                     site=name, host=host)
    password = values['edgestack_glance_haproxy_stats_password']
    if stats and (not _rules.is_text(password) or not password):
        problems.add('edgestack_glance_haproxy_stats_password', 'is not set, and the statistics page is enabled',
                     'set it (in Ansible Vault or an AWX credential), or edgestack_glance_haproxy_stats_enabled: false',
                     site=name, host=host)
    router_id = values['edgestack_glance_vrrp_router_id']
    reason = _rules.vrrp_router_id_problem(router_id)
    if reason:
        problems.add('edgestack_glance_vrrp_router_id', reason,
                     'give the site a router id no other VRRP instance on its network uses', site=name, host=host)
    preempt = _bool_var(values, 'edgestack_glance_vrrp_preempt',
                        'set false to keep the VIP where it is when a node returns', name, host, problems)
    version = values['edgestack_glance_vrrp_version']
    if isinstance(version, bool) or version not in _rules.VRRP_VERSIONS:
        problems.add('edgestack_glance_vrrp_version', 'must be 2 or 3, got %r' % (_rules.plain_copy(version),),
                     'set 2 (with a password) or 3 (sub-second advertisements)', site=name, host=host)
        version = None
    advert = values['edgestack_glance_vrrp_advert_int']
    reason = _rules.vrrp_advert_problem(version, advert) if version else None
    if reason:
        problems.add('edgestack_glance_vrrp_advert_int', reason, 'give the advertisement interval in seconds',
                     site=name, host=host)
    password = values['edgestack_glance_vrrp_password']
    reason = _rules.vrrp_password_problem(version, password) if version else None
    if reason:
        problems.add('edgestack_glance_vrrp_password', reason, 'or leave it unset', site=name, host=host)
    return {
        'mode': mode,
        'stats': {'enabled': stats, 'port': port or 8404, 'user': user if _rules.is_text(user) else 'admin'},
        'vrrp': {'router_id': router_id, 'preempt': preempt, 'version': version or 2, 'advert_int': advert},
    }


def _check_site(name, values, first, problems):
    """Check one site's values; return the site's plan entry (without the cross-site parts)."""
    site_type = values['edgestack_site_type']
    if site_type not in _rules.SITE_TYPES:
        problems.add('edgestack_site_type', 'is %r' % (_rules.plain_copy(site_type) if site_type is not _UNSET else None,),
                     'set central on one site and edge on the others', site=name, host=first)
        site_type = None
    mons = _check_mons(name, first, values['edgestack_ceph_mon_addresses'], problems)
    vip = values['edgestack_glance_vip']
    if vip is _UNSET or vip is None:
        problems.add('edgestack_glance_vip', 'is not set', "give the site's Glance address (HAProxy's VIP)",
                     site=name, host=first)
        vip = None
    else:
        reason = _rules.vip_problem(vip)
        if reason:
            problems.add('edgestack_glance_vip', reason, "give the site's Glance VIP", site=name, host=first)
    port = _rules.port_value(values['edgestack_glance_port'])
    if port is None:
        problems.add('edgestack_glance_port', _rules.port_problem(values['edgestack_glance_port']),
                     'give the Glance API port (default 9292)', site=name, host=first)
    pools, pool_names = _check_pools(name, first, values['edgestack_ceph_pools'], problems)
    user = values['edgestack_glance_ceph_user']
    reason = _rules.ceph_user_problem(user)
    if reason:
        problems.add('edgestack_glance_ceph_user', reason, "give Glance's CephX id, such as glance",
                     site=name, host=first)
    glance_pool = values['edgestack_glance_pool']
    reason = _rules.pool_name_problem(glance_pool)
    if reason:
        problems.add('edgestack_glance_pool', reason, 'name the pool Glance stores images in', site=name, host=first)
    elif pool_names and glance_pool not in pool_names:
        problems.add('edgestack_glance_pool', 'pool %s is not among the pools of edgestack_ceph_pools (%s)'
                     % (glance_pool, ', '.join(str(p) for p in pool_names)),
                     'add {name: %s, application: rbd, rbd_init: true} to edgestack_ceph_pools, or point '
                     'edgestack_glance_pool at one of its pools' % glance_pool, site=name, host=first)
    key = values['edgestack_glance_ceph_key']
    if key not in (None, ''):
        reason = _rules.cephx_key_problem(key)
        if reason:
            problems.add('edgestack_glance_ceph_key', reason,
                         'or leave it unset so the cluster generates one', site=name, host=first)
    clients = _check_clients(name, first, values['edgestack_ceph_clients'], pool_names,
                             user if isinstance(user, str) else '', problems)
    conversion = _bool_var(values, 'edgestack_glance_image_conversion',
                           'set true (convert imported images to raw where the default store is RBD) or false',
                           name, first, problems)
    min_free = values['edgestack_glance_image_conversion_min_free_gib']
    if not _check_type(min_free, 'int') or min_free < 0:
        problems.add('edgestack_glance_image_conversion_min_free_gib',
                     'must be a whole number of GiB (0 or more), got %r' % (_rules.plain_copy(min_free),),
                     'give the free space the staging directory needs, such as 20', site=name, host=first)
        min_free = dict(SITE_VARS)['edgestack_glance_image_conversion_min_free_gib']
    direct_url = _bool_var(values, 'edgestack_glance_show_image_direct_url',
                           'set true (RBD copy-on-write clones need it) or false (required with an S3 store)',
                           name, first, problems)
    haproxy = _check_haproxy(name, first, values, problems)
    return {
        'haproxy': haproxy,
        'name': name,
        'type': site_type,
        'mon_addresses': mons,
        'vip': vip if isinstance(vip, str) else None,
        'port': port or DEFAULT_PORT,
        # What verify.yml asks through HAProxy (an IPv6 VIP in brackets).
        'vip_healthcheck_url': _http_url(vip, port or DEFAULT_PORT) + '/healthcheck' if isinstance(vip, str) else None,
        'pools': pools,
        'pool_names': pool_names,
        'glance': {
            'user': user if isinstance(user, str) else 'glance',
            'pool': glance_pool if isinstance(glance_pool, str) else 'images',
            'caps': _rules.glance_caps(glance_pool if isinstance(glance_pool, str) else 'images'),
            'key_supplied': key not in (None, ''),
            'image_conversion': conversion,
            'image_conversion_min_free_gib': min_free,
            'show_image_direct_url': direct_url,
        },
        'clients': clients,
        'delivered_clients': [c['name'] for c in clients
                              if c.get('deliver') is True and c.get('state', 'present') == 'present'],
    }


# --------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------
def build(hostvars, groups, conf_dir=CONF_DIR, role_options=None, role_settings=None):
    """``{plan, problems}`` of an inventory; see the module's docstring.

    ``role_options`` maps a role to its options (``{role: {variable: spec}}``, every entry point's
    options merged): the role variables a host sets are checked against them, and against the
    checks of ``role_settings`` (``{role: (variables, check)}``, a check returning messages that
    start with the variable's name)."""
    problems = Problems()
    groups = groups or {}
    role_options = role_options or {}
    role_names = sorted(set(var for options in role_options.values() for var in options))
    sites_read, host_site, host_values, role_values = _read_hosts(hostvars, groups, problems, role_names)
    _check_role_values(role_values, host_site, role_options, problems, role_settings)

    # A host in one site only: every host of a site group must name that site.
    for name in sites_read:
        for host in groups.get(name) or []:
            other = host_site.get(host)
            if other is not None and other != name:
                problems.add('edgestack_site', 'the host is in the groups of sites %s and %s' % (other, name),
                             'put the host in one site overlay only', site=other, host=host)

    if not sites_read:
        problems.add('edgestack_site', 'no host of the inventory sets it',
                     'give each site overlay group vars with edgestack_site and edgestack_site_type '
                     '(see inventories/example/)')
    members = dict((group, set(groups.get(group) or [])) for group in ROLE_GROUPS)

    site = {}
    host_plan = {}
    for name in sorted(sites_read):
        read = sites_read[name]
        values, first = _site_values(name, read, host_values, problems)
        entry = _check_site(name, values, first, problems)
        entry['hosts'] = list(read['hosts'])
        for group in ROLE_GROUPS:
            entry[group + '_hosts'] = [h for h in read['hosts'] if h in members[group]]
        entry['glance_api'] = entry.pop('glance_api_hosts')
        entry['glance_haproxy'] = entry.pop('glance_haproxy_hosts')
        entry['ceph_admins'] = entry.pop('ceph_admin_hosts')
        entry['ceph_admin'] = entry['ceph_admins'][0] if entry['ceph_admins'] else None
        if not entry['ceph_admins']:
            problems.add('ceph_admin', 'the site has no host in group ceph_admin',
                         "put the site's Ceph admin host in group ceph_admin in the site overlay", site=name,
                         host=first)
        if not entry['glance_api']:
            problems.add('glance_api', 'the site has no host in group glance_api',
                         "put the site's glance-api hosts in group glance_api in the site overlay", site=name,
                         host=first)
        backends = []
        for host in entry['glance_api']:
            bind = host_values[host]['edgestack_glance_bind_address']
            if bind is not None and bind is not _UNSET:
                reason = _rules.host_address_problem(bind)
                if reason:
                    problems.add('edgestack_glance_bind_address', reason,
                                 'give the address glance-api listens on', site=name, host=host)
            else:
                bind = None
            address = bind or host_values[host]['ansible_host'] or host
            backends.append({'name': host, 'address': _rules.plain_copy(address)})
        entry['backends'] = backends
        stats_addresses = {}
        for host in entry['glance_haproxy']:
            given = host_values[host]['edgestack_glance_haproxy_stats_address']
            address = given if given not in (None, _UNSET) else host_values[host]['ansible_host']
            stats_addresses[host] = _rules.plain_copy(address) if address not in (None, _UNSET) else ''
            if entry['haproxy']['stats']['enabled'] and _rules.ip_address(address) is None:
                problems.add('edgestack_glance_haproxy_stats_address',
                             'the statistics page listens on an IP address, got %r' % (_rules.plain_copy(address),),
                             "give the HAProxy host's management IP address (a host var)", site=name, host=host)
        vrrp = {}
        if len(entry['glance_haproxy']) > 1:
            # The VIP moves between the site's HAProxy hosts (keepalived, the VRRP peers are the
            # hosts' ansible_host, priorities 200, 190, ... from the first host on).
            if len(entry['glance_haproxy']) > MAX_VRRP_HOSTS:
                problems.add('glance_haproxy', 'the site has %d HAProxy hosts; its VIP moves between at most %d'
                             % (len(entry['glance_haproxy']), MAX_VRRP_HOSTS),
                             'keep at most %d hosts of the site in group glance_haproxy' % MAX_VRRP_HOSTS,
                             site=name, host=first)
            lbs = sorted(entry['glance_haproxy'])
            for index, host in enumerate(lbs):
                vrrp[host] = {
                    'priority': max(VRRP_FIRST_PRIORITY - VRRP_PRIORITY_STEP * index, 1),
                    'peers': [_rules.plain_copy(host_values[peer]['ansible_host']) for peer in lbs if peer != host],
                }
                address = host_values[host]['ansible_host']
                if _rules.ip_address(address) is None:
                    problems.add('ansible_host', 'keepalived moves the VIP between the HAProxy hosts of the site by '
                                 'their IP addresses, got %r' % (_rules.plain_copy(address),),
                                 "set the host's ansible_host to its IP address on the site's network",
                                 site=name, host=host)
        _values_for_stores = values['edgestack_glance_stores']
        entry['_explicit_stores'] = [] if _values_for_stores is None else _values_for_stores
        site[name] = entry
        for host in read['hosts']:
            bind = next((b['address'] for b in backends if b['name'] == host), None)
            url = _http_url(bind, entry['port']) if bind else None
            host_plan[host] = {
                'site': name,
                'bind_address': bind,
                # Glance hands work between a site's API hosts through this URL; one host needs none.
                'self_reference_url': url if url and len(entry['glance_api']) > 1 else '',
                'healthcheck_url': url + '/healthcheck' if url else None,
                'acts_for': name if host == entry['ceph_admin'] else None,
                'local_clusters': [name] if host in members['ceph_admin'] else [],
                'stats_address': stats_addresses.get(host),
                # Where the site's VIP moves between its HAProxy hosts: this host's VRRP priority
                # and its peers' addresses; None otherwise.
                'vrrp': vrrp.get(host),
            }

    # Across sites: one central, unique monitors, VIPs and host addresses.
    centrals = [n for n in sorted(site) if site[n]['type'] == 'central']
    # No central site is an edge-only run (one edge overlay alone): its Ceph plays
    # work on their own and leave central's files on its hosts as they are.
    if len(centrals) > 1:
        problems.add('edgestack_site_type', 'the inventory has %d central sites (%s)'
                     % (len(centrals), ', '.join(centrals)),
                     'set edgestack_site_type: edge on all but one site', site=', '.join(centrals))
    central = centrals[0] if len(centrals) == 1 else None
    edges = [n for n in sorted(site) if site[n]['type'] == 'edge']

    mon_owner = {}
    vip_owner = {}
    for name in sorted(site):
        entry = site[name]
        for address in entry['mon_addresses']:
            if address in mon_owner:
                problems.add('edgestack_ceph_mon_addresses', 'monitor %s is also listed by site %s'
                             % (address, mon_owner[address]),
                             'each site has its own cluster: list only its own monitors', site=name,
                             host=entry['hosts'][0])
            else:
                mon_owner[address] = name
        if entry['vip']:
            if entry['vip'] in vip_owner:
                problems.add('edgestack_glance_vip', 'VIP %s is also the VIP of site %s'
                             % (entry['vip'], vip_owner[entry['vip']]),
                             'give each site its own Glance VIP', site=name, host=entry['hosts'][0])
            else:
                vip_owner[entry['vip']] = name
    address_owner = {}
    for host in groups.get('all') or []:
        if host not in host_site:
            continue
        values = host_values[host]
        for var in ('ansible_host', 'edgestack_glance_bind_address'):
            address = values.get(var)
            if address is None or address is _UNSET or not isinstance(address, str):
                continue
            owner = address_owner.setdefault(address, host)
            if owner != host:
                problems.add(var, 'address %s is also the address of host %s' % (address, owner),
                             'give each host its own address', site=host_site[host], host=host)
            if address in vip_owner:
                problems.add(var, 'address %s is the Glance VIP of site %s' % (address, vip_owner[address]),
                             'the VIP belongs to HAProxy: give the host its own address, or the site another VIP',
                             site=host_site[host], host=host)

    # Clusters (the DCN rule) and store maps.
    site_types = dict((n, site[n]['type']) for n in site)
    glance_of = dict((n, {'user': site[n]['glance']['user'], 'pool': site[n]['glance']['pool']}) for n in site)
    all_names = ([central] if central else []) + edges
    for name in sorted(site):
        entry = site[name]
        explicit = entry.pop('_explicit_stores')
        if central is None or entry['type'] is None:
            entry['clusters'] = [name]
            entry['stores'] = []
        else:
            entry['clusters'] = list(all_names) if name == central else [name, central]
            if not _rules.is_list(explicit):
                problems.add('edgestack_glance_stores', 'must be a list of stores, got %s' % type(explicit).__name__,
                             'give a list of {id, ...} or []', site=name, host=entry['hosts'][0])
                explicit = []
            try:
                entry['stores'] = _glance_stores.site_store_map(
                    name, site_types, central, edges, conf_dir=conf_dir, stores=_rules.plain_copy(explicit),
                    clusters=glance_of)
            except _glance_stores.StoreError as exc:
                problems.add('edgestack_glance_stores', str(exc), 'fix the explicit store', site=name,
                             host=entry['hosts'][0])
                entry['stores'] = []
            reason = _store_options.direct_url_problem(entry['stores'], entry['glance']['show_image_direct_url'])
            if reason:
                problems.add('edgestack_glance_show_image_direct_url', reason,
                             'set it to false for this site (Nova and Cinder then copy RBD images instead of '
                             "cloning them), or keep the site's images off S3", site=name, host=entry['hosts'][0])
            # The plan holds no secret: the stores' keys stay in the overlay (with_store_secrets).
            entry['stores'] = [_store_options.without_secrets(store) for store in entry['stores']]
            for store in entry['stores']:
                if store.get('type') == 'rbd' and store.get('cluster') in site and store['cluster'] not in \
                        entry['clusters']:
                    entry['clusters'].append(store['cluster'])
        clusters = set(entry['clusters'])
        entry['absent_clusters'] = [n for n in all_names if n not in clusters]
    for host, hplan in host_plan.items():
        entry = site[hplan['site']]
        hplan['local_clusters'] = [c for c in hplan['local_clusters'] if c in entry['clusters']]

    plan = {
        'central': central,
        'sites': all_names + sorted(n for n in site if n not in all_names),
        'site': site,
        'host': host_plan,
        # The HAProxy hosts that move their site's VIP between them (keepalived).
        'vrrp_hosts': sorted(host for host, hplan in host_plan.items() if hplan['vrrp']),
    }
    return {'plan': plan, 'problems': problems.items}


def _http_url(address, port):
    """``http://address:port``, an IPv6 address in brackets."""
    return 'http://%s:%d' % (_rules.url_host(address), port)


def unavailable_sites(plan, converged):
    """The sites whose Ceph admin host did not converge this run.

    ``converged`` maps the name of each Ceph admin host to whether it set its
    converged fact. When no admin host did, the Ceph plays did not run (a
    playbook run on its own): no site counts as unavailable.
    """
    admins = [(name, entry.get('ceph_admin')) for name, entry in plan['site'].items()]
    if not any(converged.get(admin) for _name, admin in admins if admin):
        return []
    return sorted(name for name, admin in admins if admin and not converged.get(admin))


def with_store_secrets(stores, explicit):
    """The plan's ``stores`` with the secrets of the site's explicit stores put back (by store id)."""
    by_id = {}
    if _rules.is_list(explicit):
        by_id = dict((e.get('id'), e) for e in explicit if isinstance(e, Mapping) and e.get('id'))
    return [_store_options.with_secrets(store, by_id.get(store.get('id'))) for store in stores]


def reachable_stores(stores, unavailable):
    """The stores whose cluster is not unavailable (stores of other types stay)."""
    down = set(unavailable or [])
    return [_rules.plain_copy(s) for s in stores if s.get('type') != 'rbd' or s.get('cluster') not in down]


#: What each stage of a run records, on which hosts of a site. A stage is done
#: on a site when every one of those hosts recorded it, or, for the VIP check
#: (asked once per site, from one of its HAProxy hosts), when any of them did.
STAGES = (
    ('ceph', 'ceph_admins', 'edgestack_ceph_converged'),
    ('glance', 'glance_api', 'edgestack_glance_converged'),
    ('haproxy', 'glance_haproxy', 'edgestack_haproxy_converged'),
    ('verified', 'glance_haproxy', 'edgestack_verified'),
)
_ANY_HOST_STAGES = frozenset(['verified'])


def summary(plan, facts):
    """One line per site: what converged this run and which hosts did not.

    ``facts`` maps a host to the set of the stage facts it set this run.
    """
    lines = []
    for name in plan['sites']:
        entry = plan['site'][name]
        missing = []
        for stage, group, fact in STAGES:
            hosts = entry.get(group) or []
            behind = [h for h in hosts if fact not in facts.get(h, ())]
            if stage in _ANY_HOST_STAGES and len(behind) < len(hosts):
                behind = []
            if behind:
                missing.append('%s: %s' % (stage, ', '.join(behind)))
        if missing:
            lines.append('%s (%s): INCOMPLETE - %s' % (name, entry['type'], '; '.join(missing)))
        else:
            lines.append('%s (%s): ok - %s' % (name, entry['type'], ', '.join(stage[0] for stage in STAGES)))
    return lines
