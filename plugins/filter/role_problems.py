# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""role_problems: every problem of a role's inputs, in one call.

A role's checks that meta/argument_specs.yml cannot express (cross-field
checks, formats, ranges) are made here, in Python, with the collection's rules
(module_utils/_rules.py), instead of one assert task per check: one task per
role entry point, one template to compile, every problem at once. Each message
names the role variable and the fix. A message never quotes a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.edgestack.glance_ceph.plugins.filter.ceph_mon_host import (
    ceph_client_problems, ceph_mon_host_problems)
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

TIMEOUT_RE = re.compile(r'^[0-9]+(us|ms|s|m|h|d)?$')
CHECK_PATH_RE = re.compile(r'^/[!-~]*$')
BACKEND_NAME_RE = re.compile(r'^[A-Za-z0-9_.:-]+$')
INSTANCE_RE = re.compile(r'^[A-Za-z0-9_-]+$')
KEYRING_MODE_RE = re.compile(r'^0?[4-7][0-7]0$')
DIR_RE = re.compile(r'^/[^\s*?\[\]]*[^/]$')
HAPROXY_TIMEOUTS = ('connect', 'client', 'server', 'http_request', 'http_keep_alive', 'queue', 'check')


def _int(value, default=None):
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _in_range(value, low, high):
    number = _int(value)
    return number is not None and low <= number <= high


def _ip(value):
    return _rules.ip_address(value) is not None


# --------------------------------------------------------------------------
# haproxy_glance
# --------------------------------------------------------------------------
def haproxy_glance(v):
    out = []
    if not _ip(v['haproxy_glance_frontend_address']):
        out.append('haproxy_glance_frontend_address: must be the IPv4 or IPv6 address HAProxy listens on, the '
                   "site's Glance VIP (got %s)." % v['haproxy_glance_frontend_address'])
    for var in ('haproxy_glance_frontend_port', 'haproxy_glance_backend_port'):
        if _rules.port_value(v[var]) is None:
            out.append('%s: must be a port number from 1 to 65535 (got %s).' % (var, v[var]))
    if v['haproxy_glance_config_mode'] not in _rules.HAPROXY_MODES:
        out.append('haproxy_glance_config_mode: must be exclusive (the role writes the whole file) or shared (only its '
                   'own block) (got %s).' % v['haproxy_glance_config_mode'])
    if boolean(v['haproxy_glance_stats_enabled']) and not (
            _ip(v['haproxy_glance_stats_address']) and v['haproxy_glance_stats_password']
            and _rules.stats_user_problem(v['haproxy_glance_stats_user']) is None
            and _rules.port_value(v['haproxy_glance_stats_port']) is not None):
        out.append('haproxy_glance_stats_address, haproxy_glance_stats_password: with haproxy_glance_stats_enabled, the '
                   'statistics page needs haproxy_glance_stats_address (a management IP address of the HAProxy host, '
                   "got %s), a port (got %s), a user of letters, digits, '_', '.' or '-' (got %s) and a non-empty "
                   'haproxy_glance_stats_password.' % (v['haproxy_glance_stats_address'], v['haproxy_glance_stats_port'],
                                                       v['haproxy_glance_stats_user']))
    out.extend(_haproxy_backends(v))
    out.extend(haproxy_glance_settings(v))
    return out


def haproxy_glance_settings(v):
    """The health check, TLS, admin socket and timeout settings (no play feeds them from the plan)."""
    out = []
    if not (isinstance(v['haproxy_glance_check_path'], str) and CHECK_PATH_RE.match(v['haproxy_glance_check_path'])):
        out.append('haproxy_glance_check_path: must be an absolute URL path without spaces, such as /healthcheck '
                   '(got %s).' % v['haproxy_glance_check_path'])
    checks = [v['haproxy_glance_check_inter'], v['haproxy_glance_check_rise'], v['haproxy_glance_check_fall'],
              v['haproxy_glance_observe_error_limit']]
    if not ((_int(checks[0], 0) >= 100) and all(_int(c, 0) >= 1 for c in checks[1:])):
        out.append('haproxy_glance_check_inter, _rise, _fall, haproxy_glance_observe_error_limit: the check interval '
                   'must be at least 100 (milliseconds) and rise, fall and the error limit at least 1 (got %s).'
                   % ', '.join(str(c) for c in checks))
    if not str(v['haproxy_glance_stats_socket']).startswith('/'):
        out.append('haproxy_glance_stats_socket: must be an absolute path (got %s).' % v['haproxy_glance_stats_socket'])
    cert = v['haproxy_glance_tls_cert']
    if cert and not str(cert).startswith('/'):
        out.append('haproxy_glance_tls_cert: must be empty (plain HTTP) or the absolute path of a PEM bundle on the '
                   'HAProxy host (got %s).' % cert)
    ca_file = str(v['haproxy_glance_backend_tls_ca_file'])
    if (boolean(v['haproxy_glance_backend_tls']) and boolean(v['haproxy_glance_backend_tls_verify'])
            and not (ca_file.startswith('/') or ca_file == '@system-ca')):
        out.append('haproxy_glance_backend_tls_ca_file: must be @system-ca or the absolute path of a CA bundle on the '
                   'HAProxy host when haproxy_glance_backend_tls_verify is true (got %s).' % ca_file)
    timeouts = dict((name, v['haproxy_glance_timeout_' + name]) for name in HAPROXY_TIMEOUTS)
    bad = dict((k, t) for k, t in timeouts.items() if not TIMEOUT_RE.match(str(t)))
    if bad:
        out.append('haproxy_glance_timeout_*: a timeout is a number with an optional unit us, ms, s, m, h or d, such as '
                   '10m (invalid: %s).' % bad)
    return out


def _haproxy_backends(v):
    backends = v['haproxy_glance_backends']
    if not isinstance(backends, list):
        return ['haproxy_glance_backends: must be a list of {name, address, port} (got %r).' % (backends,)]
    out = []
    names, endpoints = [], []
    for entry in backends:
        entry = entry if isinstance(entry, Mapping) else {}
        name, address = entry.get('name'), entry.get('address')
        port = entry.get('port', v['haproxy_glance_backend_port'])
        names.append(name)
        endpoints.append('%s:%s' % (address, _int(port, port)))
        if not (isinstance(name, str) and BACKEND_NAME_RE.match(name)
                and _rules.host_address_problem(address) is None and _rules.port_value(port) is not None):
            out.append("haproxy_glance_backends entry %s: name must use only letters, digits, '_', '.', ':' and '-'; "
                       'address must be an IP address or a host name (got %s); port must be 1-65535 (got %s).'
                       % (name if name is not None else '<no name>',
                          address if address is not None else '<undefined>', port))
    frontend_port = _int(v['haproxy_glance_frontend_port'], v['haproxy_glance_frontend_port'])
    frontend = '%s:%s' % (v['haproxy_glance_frontend_address'], frontend_port)
    if (not backends or len(set(map(str, names))) != len(names) or len(set(endpoints)) != len(endpoints)
            or frontend in endpoints):
        out.insert(0, 'haproxy_glance_backends: must list at least one glance-api server, each with a unique name and '
                      "a unique address:port, none of them the frontend's own %s (names: %s; endpoints: %s). Map the "
                      "site's glance_api hosts into haproxy_glance_backends, and give HAProxy the site VIP "
                      '(haproxy_glance_frontend_address), not a glance-api bind address.' % (frontend, names, endpoints))
    return out


# --------------------------------------------------------------------------
# glance_vip
# --------------------------------------------------------------------------
def glance_vip(v):
    address, source = v['glance_vip_address'], v['glance_vip_source_address']
    peers = v['glance_vip_peers'] if isinstance(v['glance_vip_peers'], list) else [v['glance_vip_peers']]
    version = _int(v['glance_vip_vrrp_version'])
    try:
        advert = float(v['glance_vip_advert_int'])
    except (TypeError, ValueError):
        advert = 0.0
    password = v['glance_vip_password'] or ''
    ok = (_ip(address) and _ip(source) and address != source and all(_ip(p) for p in peers)
          and source not in peers and _in_range(v['glance_vip_router_id'], 1, 255)
          and _in_range(v['glance_vip_priority'], 1, 254) and not glance_vip_settings(v)
          and version in _rules.VRRP_VERSIONS and _rules.vrrp_advert_problem(version, advert) is None
          and _rules.vrrp_password_problem(version, str(password)) is None
          and isinstance(v['glance_vip_instance_name'], str) and INSTANCE_RE.match(v['glance_vip_instance_name']))
    if ok:
        return []
    return ['glance_vip inputs are inconsistent. Needed: glance_vip_address (%s) and glance_vip_source_address (%s) '
            "distinct IP addresses; glance_vip_peers IP addresses without this node's own (%s); glance_vip_router_id "
            '1-255 (%s); glance_vip_priority 1-254 (%s); glance_vip_prefix 1-128 (%s); glance_vip_vrrp_version 2 or 3 '
            '(%s); glance_vip_advert_int below 1 only with version 3 (%s); a password only with version 2 (VRRP '
            'version 3 has no authentication), of at most 8 characters (VRRP carries 8), without spaces, quotes, '
            "'#' or '!'; glance_vip_instance_name of letters, digits, '_' and '-' (%s)."
            % (address, source, peers, v['glance_vip_router_id'], v['glance_vip_priority'], v['glance_vip_prefix'],
               v['glance_vip_vrrp_version'], v['glance_vip_advert_int'], v['glance_vip_instance_name'])]


def glance_vip_settings(v):
    """The VIP's prefix length (no play feeds it from the plan)."""
    if _in_range(v['glance_vip_prefix'], 1, 128):
        return []
    return ['glance_vip_prefix: must be the prefix length of the VIP on its interface, 1-128 (got %s).'
            % v['glance_vip_prefix']]


# --------------------------------------------------------------------------
# ceph_pool_setup
# --------------------------------------------------------------------------
def ceph_pool_setup(v):
    out = []
    cluster = v['ceph_pool_setup_cluster']
    if not isinstance(cluster, str) or _rules.cluster_name_problem(cluster):
        out.append("ceph_pool_setup_cluster: must be the cluster (site) name: a lowercase letter, then lowercase "
                   "letters, digits, '_' or '-' (got %s). Set it to the site's name, which is also the name of "
                   '/etc/ceph/<cluster>.conf.' % cluster)
    pools = v['ceph_pool_setup_pools'] if isinstance(v['ceph_pool_setup_pools'], list) else []
    names = [p.get('name') if isinstance(p, Mapping) else None for p in pools]
    bad = [n for n in names if _rules.pool_name_problem(n)]
    repeated = sorted(set(str(n) for n in names if names.count(n) > 1))
    if not names or bad or repeated:
        out.append("ceph_pool_setup_pools of cluster %s: must list at least one pool, each with a unique name made of "
                   "letters, digits, '_', '.' and '-' that does not start with '.' or '-' (names: %s; invalid: %s; "
                   'repeated: %s). Fix or merge the entries.' % (cluster, names, bad, repeated))
    absent = [p.get('name') for p in pools if isinstance(p, Mapping) and p.get('state') == 'absent']
    if absent and not boolean(v['ceph_pool_setup_allow_delete']):
        out.append('ceph_pool_setup_pools of cluster %s: lists %s with state: absent, which deletes the pool and all '
                   'its data: set ceph_pool_setup_allow_delete: true to confirm, or drop state: absent.'
                   % (cluster, ', '.join(map(str, absent))))
    if v.get('ceph_pool_setup_mon_addresses'):
        out.extend(ceph_mon_host_problems(v['ceph_pool_setup_mon_addresses'], 'ceph_pool_setup_mon_addresses'))
    return out


# --------------------------------------------------------------------------
# ceph_client_auth: main entry point and deliver
# --------------------------------------------------------------------------
def ceph_client_auth(v):
    out = []
    cluster, user = v['ceph_client_auth_cluster_name'], v['ceph_client_auth_glance_user']
    pool, pools = v['ceph_client_auth_glance_pool'], list(v['ceph_client_auth_pools'] or [])
    if _rules.cluster_name_problem(cluster):
        out.append("ceph_client_auth_cluster_name: must be the cluster (site) name, a lowercase letter then lowercase "
                   "letters, digits, '_' or '-' (got %s); it names /etc/ceph/<cluster>.conf." % cluster)
    if _rules.ceph_user_problem(user):
        out.append("ceph_client_auth_glance_user: must be a CephX id without the 'client.' prefix, such as glance "
                   '(got %s).' % user)
    if pool not in pools:
        out.append("ceph_client_auth_glance_pool: Glance's pool %s is not one of the site's pools (%s): declare it "
                   'among the site\'s pools (ceph_client_auth_pools) or point ceph_client_auth_glance_pool at one of '
                   'them.' % (pool, ', '.join(map(str, pools))))
    secret = v['ceph_client_auth_glance_secret']
    if secret and _rules.cephx_key_problem(secret):
        out.append('ceph_client_auth_glance_secret: must be empty (the cluster generates the key) or a CephX key as '
                   'ceph-authtool --gen-print-key prints it.')
    out.extend(ceph_client_auth_settings(v))
    out.extend(ceph_mon_host_problems(v['ceph_client_auth_mon_addresses'], 'ceph_client_auth_mon_addresses'))
    if v.get('ceph_client_auth_fsid') and _rules.fsid_problem(v['ceph_client_auth_fsid']):
        out.append("ceph_client_auth_fsid: must be empty (the role reads the cluster's fsid) or the fsid "
                   '`ceph mon dump` shows, a UUID (got %s).' % v['ceph_client_auth_fsid'])
    clients = v['ceph_client_auth_clients'] or []
    out.extend(ceph_client_problems([{'name': 'client.%s' % user, 'caps': v['ceph_client_auth_glance_caps']}],
                                    pools, 'ceph_client_auth_glance_caps'))
    out.extend(ceph_client_problems(clients, pools, 'ceph_client_auth_clients'))
    if 'client.%s' % user in [c.get('name') for c in clients if isinstance(c, Mapping)]:
        out.append("ceph_client_auth_clients declares client.%s, which is Glance's client: set its caps in "
                   'ceph_client_auth_glance_caps instead' % user)
    return out


def ceph_client_auth_settings(v):
    """The clients' timeout (no play feeds it from the plan)."""
    if _int(v['ceph_client_auth_timeout'], 0) >= 1:
        return []
    return ['ceph_client_auth_timeout: must be a positive number of seconds (got %s).' % v['ceph_client_auth_timeout']]


def ceph_client_auth_deliver(v):
    """The deliver inputs. The clusters carry keys: only names, fsids, users, pools and mon_host are read."""
    out = []
    clusters = [c if isinstance(c, Mapping) else {} for c in (v['ceph_client_auth_deliver_clusters'] or [])]
    names = [c.get('name') for c in clusters]
    fsids = [c.get('fsid') for c in clusters]
    problems = []
    bad_names = [n for n in names if _rules.cluster_name_problem(n)]
    if bad_names:
        problems.append('invalid names %s' % bad_names)
    if len(set(map(str, names))) != len(names) or len(set(map(str, fsids))) != len(fsids):
        problems.append('names %s and fsids %s must be unique' % (names, fsids))
    bad_fsids = [c.get('name') for c in clusters if _rules.fsid_problem(c.get('fsid'))]
    if bad_fsids:
        problems.append('fsid not a UUID in %s' % bad_fsids)
    bad_mon = [c.get('name') for c in clusters if not re.match(r'^\S+$', str(c.get('mon_host') or ''))]
    if bad_mon:
        problems.append('mon_host empty or with spaces in %s' % bad_mon)
    bad_users = [c.get('name') for c in clusters
                 if _rules.ceph_user_problem(c.get('user')) or _rules.pool_name_problem(c.get('pool'))]
    if bad_users:
        problems.append('user or pool invalid in %s' % bad_users)
    bad_clients = [p for c in clusters for client in (c.get('clients') or [])
                   for p in [_rules.client_name_problem(client.get('name') if isinstance(client, Mapping) else None)]
                   if p]
    if bad_clients:
        problems.append('client names not client.<id> %s' % bad_clients)
    if problems:
        out.append('ceph_client_auth_deliver_clusters: must hold one entry per cluster, as the ceph_client_auth main '
                   'entry point publishes it in ceph_client_auth_cluster ({name, fsid, mon_host, user, pool, clients: '
                   '[{name, key}]}), with unique names and fsids. Problems: %s.' % '; '.join(problems))
    local = [n for n in (v['ceph_client_auth_deliver_local_clusters'] or []) if n not in names]
    if local:
        out.append('ceph_client_auth_deliver_local_clusters: lists %s, which are not delivered to this host: a local '
                   "cluster's conf is verified and its keyring delivered, so it must also be in "
                   'ceph_client_auth_deliver_clusters.' % local)
    absent = list(v['ceph_client_auth_deliver_absent_clusters'] or [])
    both = [n for n in absent if n in names]
    if both:
        out.append('ceph_client_auth_deliver_absent_clusters: lists %s, which are also delivered to this host: a '
                   'cluster is either delivered or absent.' % both)
    if any(_rules.cluster_name_problem(n) for n in absent):
        out.append("ceph_client_auth_deliver_absent_clusters: must list cluster names (lowercase letter, then "
                   "lowercase letters, digits, '_' or '-').")
    out.extend(ceph_client_auth_deliver_settings(v))
    return out


def ceph_client_auth_deliver_settings(v):
    """Where the files go and the keyrings' mode (no play feeds them from the plan)."""
    out = []
    if not DIR_RE.match(str(v['ceph_client_auth_deliver_dir'])):
        out.append('ceph_client_auth_deliver_dir: must be an absolute directory path without a trailing slash (got %s).'
                   % v['ceph_client_auth_deliver_dir'])
    if not KEYRING_MODE_RE.match(str(v['ceph_client_auth_deliver_keyring_mode'])):
        out.append('ceph_client_auth_deliver_keyring_mode: must let the owner read the key and give other users '
                   'nothing, such as "0640" with the service\'s group or "0600" (got %s).'
                   % v['ceph_client_auth_deliver_keyring_mode'])
    return out


ROLES = {
    'haproxy_glance': haproxy_glance,
    'glance_vip': glance_vip,
    'ceph_pool_setup': ceph_pool_setup,
    'ceph_client_auth': ceph_client_auth,
    'ceph_client_auth_deliver': ceph_client_auth_deliver,
}


#: The settings of each role that no play of the collection feeds from the site plan: an
#: operator sets them in an overlay (host or group vars). The site plan checks the ones a host
#: sets with these functions (each role's defaults for the others), once per run before the
#: first change; the role's own checks run the same functions. ``{role: (variables, check)}``.
SETTINGS = {
    'haproxy_glance': (
        ('haproxy_glance_check_path', 'haproxy_glance_check_inter', 'haproxy_glance_check_rise',
         'haproxy_glance_check_fall', 'haproxy_glance_observe_error_limit', 'haproxy_glance_stats_socket',
         'haproxy_glance_tls_cert', 'haproxy_glance_backend_tls', 'haproxy_glance_backend_tls_verify',
         'haproxy_glance_backend_tls_ca_file') + tuple('haproxy_glance_timeout_' + name for name in HAPROXY_TIMEOUTS),
        haproxy_glance_settings),
    'glance_vip': (('glance_vip_prefix',), glance_vip_settings),
    'ceph_client_auth': (
        ('ceph_client_auth_timeout', 'ceph_client_auth_deliver_dir', 'ceph_client_auth_deliver_keyring_mode'),
        lambda v: ceph_client_auth_settings(v) + ceph_client_auth_deliver_settings(v)),
}


def role_problems(inputs, role):
    """Every problem of ``inputs`` (the role's variables, by name) as messages; empty when they are fine."""
    if role not in ROLES:
        raise AnsibleFilterError('role_problems: unknown role %r, use one of %s' % (role, ', '.join(sorted(ROLES))))
    if not isinstance(inputs, Mapping):
        raise AnsibleFilterError('role_problems: the input must be the mapping of the role variables')
    try:
        return ROLES[role](_rules.plain_copy(inputs))
    except KeyError as exc:
        raise AnsibleFilterError('role_problems(%s): the input lacks the variable %s' % (role, exc))


class FilterModule:
    """Role input checks, in Python."""

    def filters(self):
        return {'role_problems': role_problems}
