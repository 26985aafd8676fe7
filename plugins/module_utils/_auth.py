# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for ceph_auth: desired CephX clients + ``auth ls`` -> actions.

Keys are handled here only to compare them, to fingerprint them for diffs
and to build the keyring text sent as a command's input; they never appear
in an action, a diff, a warning or an error message.

This file is private to the collection: its interface may change.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

CAP_TYPES = _rules.CAP_TYPES

# A CephX key is base64 of: le16 type (1 = AES), le32 seconds and le32
# nanoseconds of creation, le16 length, then the secret (16 bytes for AES).
_KEY_HEADER = _rules.CEPHX_KEY_HEADER
_AES = _rules.CEPHX_AES
_AES_LEN = _rules.CEPHX_AES_LEN


class AuthSpecError(_lifecycle.EdgestackModuleError, ValueError):
    """The requested clients are invalid or the change needs an explicit option."""


def client_argument_spec():
    """Suboptions of one entry of ceph_auth's ``clients`` option."""
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        caps=dict(type='dict'),
        secret=dict(type='str', no_log=True),
        rotate=dict(type='bool', default=False),
    )


def normalize_cap(text):
    """One cap string in canonical spacing: Ceph treats these spellings alike."""
    text = re.sub(r'\s+', ' ', str(text)).strip()
    text = re.sub(r'\s*,\s*', ', ', text)
    text = re.sub(r'\s*=\s*', '=', text)
    return text


def normalize_caps(caps, entity='client'):
    """``{type: cap}`` normalised, empty caps dropped; None stays None (unmanaged)."""
    if caps is None:
        return None
    result = {}
    for cap_type, value in caps.items():
        if cap_type not in CAP_TYPES:
            raise AuthSpecError('%s: unknown cap type %r (known: %s)' % (entity, cap_type, ', '.join(CAP_TYPES)))
        if value is None:
            continue
        if not isinstance(value, str):
            raise AuthSpecError('%s: caps %s must be a string, got %r' % (entity, cap_type, value))
        if '"' in value or '\n' in value:
            raise AuthSpecError('%s: caps %s must not contain double quotes or newlines' % (entity, cap_type))
        value = normalize_cap(value)
        if value:
            result[cap_type] = value
    return result


def flat_caps(caps):
    """The ``caps`` argument of ``auth caps`` / ``auth get-or-create``: [type, cap, ...]."""
    flat = []
    for cap_type in CAP_TYPES:
        if cap_type in caps:
            flat.extend([cap_type, caps[cap_type]])
    return flat


def decode_key(secret):
    """Validate a CephX key; return its secret bytes. Errors never quote the key."""
    try:
        return _rules.cephx_key_secret(secret)
    except ValueError as exc:
        raise AuthSpecError(str(exc))


def generate_key(now=None, random_bytes=os.urandom):
    """A new CephX key, as ``ceph-authtool --gen-print-key`` makes one."""
    now = time.time() if now is None else now
    sec = int(now)
    nsec = int((now - sec) * 1e9)
    raw = _KEY_HEADER.pack(_AES, sec, nsec, _AES_LEN) + random_bytes(_AES_LEN)
    return base64.b64encode(raw).decode('ascii')


def fingerprint(key):
    """A short, non-reversible tag of a key for diffs: 'sha256:' + 12 hex digits."""
    if not key:
        return None
    return 'sha256:' + hashlib.sha256(key.strip().encode('ascii')).hexdigest()[:12]


def keyring_text(entity, key, caps):
    """A keyring as ``ceph auth get`` prints it (the input of ``auth import``)."""
    lines = ['[%s]' % entity, '\tkey = %s' % key]
    for cap_type in CAP_TYPES:
        if cap_type in caps:
            lines.append('\tcaps %s = "%s"' % (cap_type, caps[cap_type]))
    return '\n'.join(lines) + '\n'


def current_clients(auth_dump):
    """``{entity: {'key': ..., 'caps': {...}}}`` from ``auth ls`` (or ``auth get``) JSON."""
    if isinstance(auth_dump, dict):
        entries = auth_dump.get('auth_dump', [])
    else:
        entries = auth_dump or []
    result = {}
    for entry in entries:
        caps = dict((k, v) for k, v in (entry.get('caps') or {}).items())
        result[entry['entity']] = {'key': entry.get('key'), 'caps': caps}
    return result


def desired_clients(clients):
    """Validate the ``clients`` option; return dicts with normalised caps."""
    spec = client_argument_spec()
    result = []
    seen = set()
    for entry in clients or []:
        client = dict((key, entry.get(key, opts.get('default'))) for key, opts in spec.items())
        name = client['name']
        if not isinstance(name, str) or not re.match(r'^client\.[^\s]+$', name):
            raise AuthSpecError('client names look like client.<id> (for example client.glance), got %r' % (name,))
        if name in seen:
            raise AuthSpecError('%s is listed more than once' % name)
        seen.add(name)
        if client['secret'] is not None and client['rotate']:
            raise AuthSpecError('%s: secret and rotate exclude each other' % name)
        if client['secret'] is not None:
            try:
                decode_key(client['secret'])
            except AuthSpecError as exc:
                raise AuthSpecError('%s: secret is not a valid CephX key (%s); generate one with '
                                    'ceph-authtool --gen-print-key' % (name, exc))
            client['secret'] = client['secret'].strip()
        client['caps'] = normalize_caps(client['caps'], name)
        result.append(client)
    return result


def module_argument_spec():
    """ceph_auth's options but the connection and monitor ones (``_ceph``)."""
    return dict(
        clients=dict(type='list', elements='dict', required=True, options=client_argument_spec()),
        allow_caps_removal=dict(type='bool', default=False),
        return_keyring=dict(type='bool', default=False),
    )


READ = {'prefix': 'auth ls'}


def read(client):
    """Every client of the cluster (``current_clients``), in one request: the module's
    connection, or, on the controller, the answers of a lookup (``READ``)."""
    return current_clients(client.mon(READ))


def rotations(desired, current):
    """The existing clients that ``desired`` rotates (each needs a generated key)."""
    return [c['name'] for c in desired if c['state'] == 'present' and c['rotate'] and c['name'] in current]


def outcome(plan, current, keys=None, return_keyring=False):
    """ceph_auth's ``clients`` (caps, key fingerprint) and ``keyrings`` (texts, or None unless
    ``return_keyring``) after ``plan``; ``keys`` are the keys this run set, by client."""
    keys = keys or {}
    clients = {}
    keyrings = {} if return_keyring else None
    for name, state in plan.after.items():
        # A key imported or generated is known once applied; in check mode it is not.
        key = keys.get(name)
        if key is None and name not in plan.imports and name in current:
            key = current[name]['key']
        clients[name] = {'caps': state['caps'], 'key_fingerprint': fingerprint(key)}
        if return_keyring and key:
            keyrings[name] = keyring_text(name, key, state['caps'])
    return clients, keyrings


class Plan(_lifecycle.Plan):
    """Actions, before/after and diffs (fingerprints only, null for a key not known yet), and the keys to import."""

    def __init__(self):
        super(Plan, self).__init__()
        self.imports = {}  # entity -> (key, caps) for import/rotate

    @property
    def final_caps(self):
        """The caps every present client ends with."""
        return dict((name, state['caps']) for name, state in self.after.items())


def _state(caps, key):
    return {'caps': caps, 'key_fingerprint': fingerprint(key)}


def _caps_equal(a, b):
    return normalize_caps(a) == normalize_caps(b)


def plan(desired, current, allow_caps_removal=False, new_keys=None):
    """Actions bringing ``current`` (``current_clients``) to ``desired`` (``desired_clients``).

    ``new_keys`` maps the entities with ``rotate: true`` to freshly generated
    keys (see ``generate_key``), so that this function stays pure.
    """
    new_keys = new_keys or {}
    result = Plan()
    for client in desired:
        name = client['name']
        have = current.get(name)
        header = {'before_header': name, 'after_header': name}
        if have is not None:
            result.before[name] = _state(dict(have['caps']), have['key'])
        if client['state'] == 'absent':
            if have is not None:
                result.actions.append({'entity': name, 'action': 'delete'})
                diff = dict(header, after_header='%s (deleted)' % name,
                            before={'caps': dict(have['caps']), 'key': fingerprint(have['key'])},
                            after={'state': 'absent'})
                result.diff.append(diff)
            continue

        want_caps = client['caps']
        if have is None:
            caps = want_caps or {}
            result.after[name] = _state(caps, client['secret'])
            if client['secret'] is not None:
                result.actions.append({'entity': name, 'action': 'import', 'caps': caps})
                result.imports[name] = (client['secret'], caps)
                key_after = fingerprint(client['secret'])
            else:
                result.actions.append({'entity': name, 'action': 'create', 'caps': caps})
                key_after = '(generated by the cluster)'
            result.diff.append(dict(header, before={'state': 'absent'}, after={'caps': caps, 'key': key_after}))
            continue

        have_caps = normalize_caps(have['caps'])
        caps = have_caps if want_caps is None else want_caps
        removed = sorted(set(have_caps) - set(caps), key=CAP_TYPES.index)
        if removed and not allow_caps_removal:
            raise AuthSpecError(
                '%s: caps %s would be removed (the client has them and caps does not list them), which can lock '
                'the client out; list them in caps or set allow_caps_removal: true'
                % (name, ', '.join('%s (%s)' % (t, have_caps[t]) for t in removed)))

        action = None
        key = None
        if client['rotate']:
            key = new_keys.get(name)
            if not key:
                raise AuthSpecError('%s: rotate needs a generated key' % name)
            action = 'rotate'
        elif client['secret'] is not None and client['secret'] != (have['key'] or '').strip():
            key = client['secret']
            action = 'import'
        elif caps != have_caps:
            if caps:
                action = 'caps'
            else:
                # `auth caps` needs at least one cap: drop them all by importing
                # the unchanged key with no caps.
                key = have['key']
                action = 'import'

        result.after[name] = _state(caps, None if action == 'rotate' else key or have['key'])
        if action is None:
            continue
        entry = {'entity': name, 'action': action, 'caps': caps}
        if removed:
            entry['removed_caps'] = removed
        result.actions.append(entry)
        if key is not None:
            result.imports[name] = (key, caps)
        if action == 'rotate':
            # the same in check mode and for real: the key is random either way
            key_after = '(new random key)'
        else:
            key_after = fingerprint(key if key is not None else have['key'])
        result.diff.append(dict(header,
                                before={'caps': have_caps, 'key': fingerprint(have['key'])},
                                after={'caps': caps, 'key': key_after}))
    return result


def info(current, names=None):
    """Clients for ceph_auth_info: name, caps and a key fingerprint, sorted by name."""
    wanted = set(names) if names else None
    result = []
    for name in sorted(current):
        if wanted is not None and name not in wanted:
            continue
        result.append({'name': name, 'caps': dict(current[name]['caps']),
                       'key_fingerprint': fingerprint(current[name]['key'])})
    return result


KEYRING_SECTION_RE = re.compile(r'^\s*\[([^\]]+)\]\s*$')
KEYRING_KEY_RE = re.compile(r'^\s*key\s*=\s*(\S+)\s*$')


def keyring_key(text, entity):
    """The key of ``entity`` in keyring text, or None."""
    section = None
    for line in text.splitlines():
        match = KEYRING_SECTION_RE.match(line)
        if match:
            section = match.group(1).strip()
            continue
        match = KEYRING_KEY_RE.match(line)
        if match and section == entity:
            return match.group(1)
    return None
