# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's domain rules, in one place.

Site and cluster names, store ids, CephX user and client names, caps, CephX
keys, pool names, fsids, addresses and ports: every filter, module, test
plugin and role check asks this file, so a rule is written once. Each
``*_problem`` function returns None when the value is fine, else a short
reason (never quoting a key); callers add the variable's name and the fix.

This file is private to the collection: its interface may change.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import posixpath
import re
import struct
from collections.abc import Mapping

#: Site names, which are also Ceph cluster names and Glance store ids.
NAME_PATTERN = r'^[a-z][a-z0-9_-]*$'
NAME_RE = re.compile(NAME_PATTERN)
#: Glance reserves store ids with this prefix for its staging and tasks stores.
RESERVED_STORE_PREFIX = 'os_glance_'
SITE_TYPES = ('central', 'edge')
#: glance_store drivers a store may use.
GLANCE_STORE_TYPES = ('rbd', 'file', 'http', 'swift', 's3', 'cinder')

#: CephX ids (the part after "client.").
CEPH_USER_PATTERN = r'^[A-Za-z0-9][A-Za-z0-9_.-]*$'
CEPH_USER_RE = re.compile(CEPH_USER_PATTERN)
#: CephX client names.
CLIENT_NAME_RE = re.compile(r'^client\.[A-Za-z0-9][A-Za-z0-9_.-]*$')
#: Any CephX entity (client.x, mon., osd.0 ...), as keyring file names carry them.
ENTITY_RE = re.compile(r'^[a-z]+\.[A-Za-z0-9][A-Za-z0-9_.-]*$')
#: Clients the collection never manages.
RESERVED_CLIENTS = ('client.admin',)
CAP_TYPES = ('mon', 'mgr', 'osd', 'mds')
#: "pool=<name>" inside a cap string.
CAP_POOL_RE = re.compile(r'(?:^|[\s,])pool\s*=\s*([^\s,]+)')

#: Pool names as the collection accepts them.
POOL_PATTERN = r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$'
POOL_RE = re.compile(POOL_PATTERN)

FSID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')

#: HAProxy server names and DNS host names.
BACKEND_NAME_RE = re.compile(r'^[A-Za-z0-9_.:-]+$')
HOSTNAME_RE = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                         r'(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')

# A CephX key is base64 of: le16 type (1 = AES), le32 seconds and le32
# nanoseconds of creation, le16 length, then the secret (16 bytes for AES).
CEPHX_KEY_HEADER = struct.Struct('<HIIH')
CEPHX_AES = 1
CEPHX_AES_LEN = 16


def is_text(value):
    return isinstance(value, str)


def is_list(value):
    return isinstance(value, (list, tuple))


def plain_copy(value):
    """A deep copy of ``value`` made of plain dicts, lists, strings and scalars.

    On the controller, variables reach filters as Ansible's lazy containers and
    tagged strings; ``copy.deepcopy`` of a lazy container also copies its
    templar, with every variable it can see (all hostvars), which cost seconds
    per task. This copies the data only."""
    if isinstance(value, Mapping):
        return {plain_copy(k): plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_copy(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------
def site_name_problem(value):
    """A site / Ceph cluster name."""
    if not is_text(value) or not value:
        return 'must be a non-empty string, got %r' % (value,)
    if not NAME_RE.match(value):
        return ("%r is not a valid site name (it is also the Ceph cluster name and the Glance store id): "
                "a lowercase letter, then lowercase letters, digits, '_' or '-'" % value)
    if value.startswith(RESERVED_STORE_PREFIX):
        return '%r starts with %r, which Glance reserves for its own stores' % (value, RESERVED_STORE_PREFIX)
    return None


store_id_problem = site_name_problem


def cluster_name_problem(value):
    if not is_text(value) or not NAME_RE.match(value):
        return ("%r is not a Ceph cluster name: a lowercase letter, then lowercase letters, digits, "
                "'_' or '-'" % (value,))
    return None


def ceph_user_problem(value):
    """A CephX id without the "client." prefix (Glance's rbd_store_user)."""
    if not is_text(value) or not value:
        return 'must be a CephX id such as glance, got %r' % (value,)
    if value.startswith('client.'):
        return "%r: give the CephX id without the 'client.' prefix" % value
    if not CEPH_USER_RE.match(value):
        return "%r is not a CephX id (letters, digits, '_', '.', '-', not starting with '.', '_' or '-')" % value
    if 'client.' + value in RESERVED_CLIENTS:
        return '%r is the cluster administrator, which is never managed here: choose another id' % value
    return None


def client_name_problem(value):
    if not is_text(value) or not CLIENT_NAME_RE.match(value):
        return "must look like client.<id> (letters, digits, '_', '.', '-'), got %r" % (value,)
    if value in RESERVED_CLIENTS:
        return '%s is the cluster administrator and is never managed here' % value
    return None


def pool_name_problem(value):
    if not is_text(value) or not POOL_RE.match(value):
        return ("%r is not a valid pool name (letters, digits, '_', '.', '-', not starting with '.' or '-')"
                % (value,))
    return None


def fsid_problem(value):
    if not is_text(value) or not FSID_RE.match(value):
        return '%r is not a UUID' % (value,)
    return None


def cap_pools(cap):
    """The pool names a cap string grants (``pool=<name>``)."""
    return CAP_POOL_RE.findall(cap)


def caps_problems(caps):
    """Reasons a caps mapping is invalid (type -> cap string); [] when fine."""
    if not isinstance(caps, dict):
        return ['caps must map a cap type (%s) to a cap string, got %s' % (', '.join(CAP_TYPES), type(caps).__name__)]
    out = []
    for cap_type, cap in caps.items():
        if cap_type not in CAP_TYPES:
            out.append('caps has an unknown type %r: use %s' % (cap_type, ', '.join(CAP_TYPES)))
        elif not is_text(cap) or not cap.strip():
            out.append("caps.%s must be a non-empty string such as 'profile rbd'" % cap_type)
        elif '"' in cap or '\n' in cap:
            out.append('caps.%s must not contain double quotes or newlines' % cap_type)
    return out


def glance_caps(pool):
    """The least-privilege caps of Glance's client on its pool."""
    return {'mon': 'profile rbd', 'osd': 'profile rbd pool=%s' % pool, 'mgr': 'profile rbd pool=%s' % pool}


# --------------------------------------------------------------------------
# CephX keys
# --------------------------------------------------------------------------
def cephx_key_secret(key):
    """The secret bytes of a CephX key; ValueError with a reason (never the key) otherwise."""
    if not is_text(key):
        raise ValueError('not a string')
    try:
        raw = base64.b64decode(key.strip().encode('ascii'), validate=True)
    except (binascii.Error, ValueError, UnicodeError):
        raise ValueError('not base64')
    if len(raw) < CEPHX_KEY_HEADER.size:
        raise ValueError('too short')
    key_type, dummy_sec, dummy_nsec, length = CEPHX_KEY_HEADER.unpack_from(raw)
    if key_type != CEPHX_AES:
        raise ValueError('unsupported key type %d (CephX keys are AES, type 1)' % key_type)
    if length != CEPHX_AES_LEN or len(raw) != CEPHX_KEY_HEADER.size + length:
        raise ValueError('wrong length')
    return raw[CEPHX_KEY_HEADER.size:]


def cephx_key_problem(key):
    """None for a CephX key as ``ceph-authtool --gen-print-key`` prints it; else the reason, without the key."""
    try:
        cephx_key_secret(key)
    except ValueError as exc:
        return 'is not a CephX key (%s): give a key as ceph-authtool --gen-print-key prints it' % exc
    return None


# --------------------------------------------------------------------------
# Client file names
# --------------------------------------------------------------------------
def ceph_conf_path(directory, cluster):
    """A cluster's client configuration: ``<directory>/<cluster>.conf``, the name Ceph's tools look
    for with ``--cluster <cluster>``. An empty ``directory`` gives the bare file name."""
    return posixpath.join(directory, '%s.conf' % cluster)


def ceph_keyring_path(directory, cluster, entity):
    """A client's keyring: ``<directory>/<cluster>.<entity>.keyring`` (``entity`` is ``client.<id>``,
    or Ceph's ``$name`` in a configuration file), where Ceph's default keyring search
    (``$cluster.$name.keyring``) finds it. An empty ``directory`` gives the bare file name."""
    return posixpath.join(directory, '%s.%s.keyring' % (cluster, entity))


def ceph_client_file(entry, clusters):
    """What a file name in a client directory is, for one of ``clusters``: ``(cluster, 'conf')``
    for ``<cluster>.conf``, ``(cluster, 'keyring')`` for ``<cluster>.client.<id>.keyring``, else None."""
    for cluster in clusters:
        if entry == ceph_conf_path('', cluster):
            return cluster, 'conf'
        prefix, suffix = cluster + '.', '.keyring'
        if entry.startswith(prefix) and entry.endswith(suffix) and \
                CLIENT_NAME_RE.match(entry[len(prefix):-len(suffix)]):
            return cluster, 'keyring'
    return None


# --------------------------------------------------------------------------
# Addresses and ports
# --------------------------------------------------------------------------
def ip_address(value):
    """The normalised text of an IPv4/IPv6 address, or None."""
    if not is_text(value) or value != value.strip() or '%' in value or '/' in value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def mon_address_problem(entry):
    """(normalised address, None) or (None, reason) for one plain monitor address."""
    if not is_text(entry):
        return None, '%r is not a string' % (entry,)
    if not entry or entry != entry.strip():
        return None, '%r has surrounding spaces or is empty' % (entry,)
    if entry.startswith(('v1:', 'v2:', '[')) or re.match(r'^[0-9.]+:[0-9]+$', entry):
        return None, ('%r carries a protocol, brackets or a port: list the plain address '
                      '(the ports and the v2/v1 forms are added by ceph_mon_host)' % entry)
    if '/' in entry:
        return None, '%r is a network, not an address' % entry
    if '%' in entry:
        return None, '%r has an IPv6 zone index, which Ceph cannot use in mon_host' % entry
    if ':' not in entry and not re.match(r'^\d{1,3}(\.\d{1,3}){3}$', entry):
        return None, '%r is not an IPv4 or IPv6 address (host names are not accepted either)' % entry
    address = ip_address(entry)
    if address is None:
        return None, '%r is not an IPv4 or IPv6 address (host names are not accepted either)' % entry
    parsed = ipaddress.ip_address(address)
    if parsed.is_unspecified:
        return None, '%r is the unspecified address, which no monitor listens on' % entry
    if parsed.is_multicast:
        return None, '%r is a multicast address' % entry
    if address == '255.255.255.255':
        return None, '%r is the broadcast address' % entry
    return address, None


def mon_addresses_of_monmap(monmap):
    """The plain monitor addresses of a ``ceph mon dump --format json``, sorted."""
    found = set()
    for mon in monmap.get('mons') or []:
        addrs = ((mon.get('public_addrs') or {}).get('addrvec')) or []
        texts = [a.get('addr', '') for a in addrs] or [mon.get('public_addr') or mon.get('addr') or '']
        for text in texts:
            text = text.split('/', 1)[0]
            host = text.rsplit(':', 1)[0] if ':' in text else text
            host = host.strip('[]')
            if host:
                found.add(ip_address(host) or host)
    return sorted(found)


def mon_list_problems(addresses, name='addresses', monmap=None):
    """Problems with a list of monitor addresses, each naming ``name`` and the fix; [] when fine.

    With ``monmap`` (the JSON of ``ceph mon dump``) the addresses must also be
    exactly the cluster's monitors.
    """
    if not is_list(addresses):
        return ['%s must be a list of monitor IP addresses, got %s: list the cluster\'s monitors, '
                'one plain address each' % (name, type(addresses).__name__)]
    entries = list(addresses)
    if not entries:
        return ['%s is empty: list the cluster\'s monitor addresses (plain IPv4/IPv6 addresses)' % name]
    problems = []
    seen = {}
    normalised = []
    for index, entry in enumerate(entries):
        address, reason = mon_address_problem(entry)
        if reason:
            problems.append('%s[%d]: %s; fix the address in %s' % (name, index, reason, name))
            continue
        if address in seen:
            problems.append('%s[%d]: %r repeats %s[%d]: list each monitor once'
                            % (name, index, entry, name, seen[address]))
            continue
        seen[address] = index
        normalised.append(address)
    if monmap is not None and not problems:
        cluster = mon_addresses_of_monmap(monmap)
        if sorted(normalised) != cluster:
            missing = sorted(set(cluster) - set(normalised))
            extra = sorted(set(normalised) - set(cluster))
            detail = []
            if extra:
                detail.append('not monitors of the cluster: %s' % ', '.join(extra))
            if missing:
                detail.append('monitors missing from the list: %s' % ', '.join(missing))
            problems.append(
                '%s (%s) does not match the cluster\'s monitors (%s): %s. Set %s to the addresses '
                '`ceph mon dump` shows (fsid %s)' % (name, ', '.join(normalised), ', '.join(cluster) or 'none',
                                                     '; '.join(detail), name, monmap.get('fsid', 'unknown')))
    return problems


def host_address_problem(value):
    """An address a service listens on or is reached at: an IP address or a DNS host name."""
    if ip_address(value) is not None:
        parsed = ipaddress.ip_address(ip_address(value))
        if parsed.is_unspecified or parsed.is_multicast:
            return '%r is not an address a client can reach' % (value,)
        return None
    if is_text(value) and HOSTNAME_RE.match(value) and not re.match(r'^[0-9.]+$', value):
        return None
    return 'must be an IP address or a host name, got %r' % (value,)


def url_host(address):
    """An address as a URL, a HAProxy bind or server line writes it: IPv6 in brackets."""
    text = str(address)
    return '[%s]' % text if ':' in text and not text.startswith('[') else text


def vip_problem(value):
    """A virtual IP HAProxy binds: an IP address, not a name."""
    address = ip_address(value)
    if address is None:
        return 'must be an IP address (HAProxy binds it), got %r' % (value,)
    parsed = ipaddress.ip_address(address)
    if parsed.is_unspecified or parsed.is_multicast or parsed.is_loopback:
        return '%r is not an address clients of the site can reach' % value
    return None


def port_value(value):
    """The int of a TCP port given as an int or a string of digits; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        port = value
    elif is_text(value) and value.isdigit():
        port = int(value)
    else:
        return None
    return port if 1 <= port <= 65535 else None


def port_problem(value):
    if port_value(value) is None:
        return 'must be a TCP port, 1 to 65535, got %r' % (value,)
    return None


# --------------------------------------------------------------------------
# HAProxy and VRRP (the site's VIP)
# --------------------------------------------------------------------------
HAPROXY_MODES = ('exclusive', 'shared')
STATS_USER_RE = re.compile(r'^[A-Za-z0-9_.-]+$')
VRRP_VERSIONS = (2, 3)
#: VRRP version 2 simple authentication carries 8 bytes: keepalived drops the rest.
VRRP_PASSWORD_MAX = 8
VRRP_PASSWORD_BAD_RE = re.compile(r'[\s"#!]')


def stats_user_problem(value):
    if is_text(value) and STATS_USER_RE.match(value):
        return None
    return "must be a user name of letters, digits, '_', '.' or '-', got %r" % (value,)


def vrrp_router_id_problem(value):
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 255:
        return None
    return 'must be a VRRP router id, 1 to 255, got %r' % (value,)


def vrrp_advert_problem(version, advert_int):
    """The advertisement interval: a positive number of seconds, below 1 only with VRRP version 3."""
    if isinstance(advert_int, bool) or not isinstance(advert_int, (int, float)) or advert_int <= 0:
        return 'must be a positive number of seconds, got %r' % (advert_int,)
    if advert_int < 1 and version != 3:
        return 'is %r: below 1 second needs VRRP version 3 (edgestack_glance_vrrp_version: 3)' % (advert_int,)
    return None


def vrrp_password_problem(version, password):
    """None, or what is wrong with a VRRP advertisement password (never quoted: it is a secret)."""
    if password in (None, ''):
        return None
    if not is_text(password):
        return 'must be a string'
    if version != 2:
        return 'VRRP version 3 has no authentication: use version 2 with a password, or no password'
    if len(password) > VRRP_PASSWORD_MAX:
        return 'is %d characters long; VRRP carries %d and keepalived would drop the rest' % (
            len(password), VRRP_PASSWORD_MAX)
    if VRRP_PASSWORD_BAD_RE.search(password):
        return "must not hold spaces, quotes, '#' or '!'"
    return None
