# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images in Glance stores: read, plan, copy with ``copy-image``, wait.

The glance_image_stores module distributes images from the central site's
store to other sites' stores through the central Glance API, which has
every site's store. This file holds:

``store_catalog`` / ``image_state``
    the Glance API's JSON (``GET /v2/info/stores[/detail]``,
    ``GET /v2/images/{id}``) as small, comparable dictionaries;
``plan``
    a pure function: for every image and target store, ``present``,
    ``copy``, ``wait`` (another import is already copying it there),
    ``refuse`` or ``error``, with the reason;
``GlanceImagesClient``
    the few requests the module sends, over a keystoneauth session (as
    openstacksdk's ``Connection.session`` provides);
``Distributor``
    starts the copies the plan asks for and follows them until every target
    store holds its image, the import fails or the time runs out.

Glance (25, Zed) facts the code relies on:

- an image lists its stores in the ``stores`` property (``"central,dcn0"``);
- ``POST /v2/images/{id}/import`` with ``{"method": {"name": "copy-image"},
  "stores": [...]}`` answers 202 after it has taken the image's import lock
  (property ``os_glance_import_task``); the task adds each store to
  ``stores`` as it finishes it and drops the lock at the end, so "no lock"
  after an accepted request means the import is over;
- a store whose copy failed is listed in ``os_glance_failed_import`` (with
  ``all_stores_must_succeed: false``) when the failure was in writing to it;
  when reading the source failed, only the task says so (status
  ``failure``, ``GET /v2/images/{id}/tasks``) and ``os_glance_importing_to_stores``
  keeps the stores although nothing copies them any more, so that list only
  counts while the lock is held;
- a second import while the lock is held answers 409.

This file is private to the collection (leading underscore): its interface
may change without notice.
"""

from __future__ import annotations

import json
import re
import time

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

# Per-store plan actions.
PRESENT = 'present'
COPY = 'copy'
WAIT = 'wait'
REFUSE = 'refuse'
ERROR = 'error'

# Per-store statuses after a run (or, in check mode, now).
STATUS_PRESENT = 'present'      # was in the store before the run
STATUS_MISSING = 'missing'      # check mode: would be copied
STATUS_IMPORTING = 'importing'  # another import is copying it (check mode, or wait: false)
STATUS_COPYING = 'copying'      # wait: false: this run started the copy
STATUS_COPIED = 'copied'        # arrived in the store during the run
STATUS_FAILED = 'failed'        # the import ended without it
STATUS_TIMEOUT = 'timeout'      # not there when the time ran out
STATUS_REFUSED = 'refused'
STATUS_ERROR = 'error'

LOCK_KEY = 'os_glance_import_task'
IMPORTING_KEY = 'os_glance_importing_to_stores'
FAILED_KEY = 'os_glance_failed_import'

UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')

#: Store drivers whose edge copies Nova boots as copy-on-write clones.
COW_STORE_TYPES = ('rbd',)

RAW_REASON = ('its disk_format is {fmt}, not raw: {store} is an RBD store at an edge site, where instances boot '
              'as copy-on-write clones of the image, which needs a raw image ({why}). Import it at central '
              'with glance-direct or web-download where image conversion is on (the default where the '
              'default store is RBD: Glance converts it to raw), or convert it yourself (qemu-img convert '
              '-O raw) and upload the raw image to the central store')

MAX_ATTEMPTS = 3

#: Retries of a GET on a connection failure or one of these answers (keystoneauth backs off from 0.5 s).
GET_RETRIES = 3
RETRIABLE_STATUS = (502, 503, 504)


class ImageStoresError(_lifecycle.EdgestackModuleError):
    """A failure talking to Glance, or a request that cannot be met.

    ``url``, ``status`` and ``body`` describe the HTTP exchange when there
    was one; none of them ever holds a token.
    """

    def __init__(self, msg, url=None, status=None, body=None):
        super(ImageStoresError, self).__init__(msg, url=url, status=status, body=body)
        self.url = url
        self.status = status
        self.body = body


# --------------------------------------------------------------------------
# Reading Glance's JSON
# --------------------------------------------------------------------------
def split_stores(value):
    """A Glance store list property (``"central,dcn0"``) as a list, in order, without blanks."""
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = str(value).split(',')
    result = []
    for item in items:
        item = item.strip()
        if item and item not in result:
            result.append(item)
    return result


def store_catalog(stores_json, detailed=False):
    """``{store_id: {id, type, default, description}}`` from ``/v2/info/stores[/detail]``.

    ``type`` is None unless the JSON came from ``/detail`` (``detailed``),
    which Glance's default policy shows to admins only. Glance marks the
    default store with ``"default": "true"``, a string. Glance's reserved
    stores (``os_glance_*``) are not listed by the API and never appear here.
    """
    result = {}
    for entry in (stores_json or {}).get('stores') or []:
        store_id = entry.get('id')
        if not store_id:
            continue
        props = entry.get('properties') or {}
        result[store_id] = {
            'id': store_id,
            'type': entry.get('type') if detailed else None,
            'default': _truthy(entry.get('default')),
            'description': entry.get('description'),
            'pool': props.get('pool'),
        }
    return result


def _truthy(value):
    """Glance 25 reports the default store as ``"default": "true"`` (a string)."""
    if isinstance(value, str):
        return value.strip().lower() in ('true', '1', 'yes')
    return bool(value)


def default_store(catalog):
    for store_id in sorted(catalog):
        if catalog[store_id]['default']:
            return store_id
    return None


def image_state(raw):
    """The parts of an image (``GET /v2/images/{id}``) the plan looks at."""
    raw = raw or {}
    return {
        'id': raw.get('id'),
        'name': raw.get('name'),
        'status': raw.get('status'),
        'disk_format': raw.get('disk_format'),
        'container_format': raw.get('container_format'),
        'size': raw.get('size'),
        'checksum': raw.get('checksum'),
        'stores': split_stores(raw.get('stores')),
        'importing': split_stores(raw.get(IMPORTING_KEY)),
        'failed': split_stores(raw.get(FAILED_KEY)),
        'lock': raw.get(LOCK_KEY) or None,
    }


def looks_like_id(ref):
    return bool(UUID_RE.match(ref or ''))


def resolve(ref, by_id=None, by_name=None):
    """``(image, error)`` for an image reference.

    ``by_id`` is the image read with ``ref`` as its id (None when ``ref`` is
    not an id or no image has it); ``by_name`` the images named ``ref``. An
    id wins over a name, as with the OpenStack clients.
    """
    if by_id:
        return by_id, None
    matches = list(by_name or [])
    if len(matches) == 1:
        return matches[0], None
    if not matches:
        return None, 'no image has the id or name %r' % ref
    return None, ('%d images are named %r (%s): give the id of the one to distribute'
                  % (len(matches), ref, ', '.join(sorted(m.get('id') or '?' for m in matches))))


# --------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------
def desired_stores(stores):
    """Validated, deduplicated target store ids, in the order given; None for "every edge store"."""
    if not stores:
        return None
    result = []
    for index, store in enumerate(stores):
        if not isinstance(store, str) or not store.strip():
            raise ImageStoresError('stores[%d] must be a non-empty store id, got %r' % (index, store))
        store = store.strip()
        if store not in result:
            result.append(store)
    return result


def edge_stores(catalog, central):
    """Every store of the catalog but the central one, sorted."""
    return sorted(s for s in catalog if s != central)


def desired_images(images):
    result = []
    for index, ref in enumerate(images or []):
        if not isinstance(ref, str) or not ref.strip():
            raise ImageStoresError('images[%d] must be a non-empty image name or id, got %r' % (index, ref))
        ref = ref.strip()
        if ref not in result:
            result.append(ref)
    if not result:
        raise ImageStoresError('images is empty: give at least one image name or id')
    return result


class Plan(_lifecycle.Plan):
    """Per image, per target store: the action and why; plus the import requests."""

    def __init__(self, central):
        super(Plan, self).__init__()
        self.central = central
        self.images = []      # entries, in request order
        self.targets = []     # the target stores

    @property
    def errors(self):
        """Every reason the plan cannot be carried out, as messages."""
        result = []
        for entry in self.images:
            for store, item in entry['stores'].items():
                if item['action'] in (REFUSE, ERROR):
                    result.append('image %s, store %s: %s' % (entry_label(entry), store, item['msg']))
        return result

    @property
    def copies(self):
        """``[(entry, [stores])]``: the images that need a copy, with their stores."""
        result = []
        for entry in self.images:
            stores = [s for s, item in entry['stores'].items() if item['action'] == COPY]
            if stores:
                result.append((entry, stores))
        return result

    @property
    def pending(self):
        """Entries with a store still to copy or to wait for."""
        return [e for e in self.images if any(i['action'] in (COPY, WAIT) for i in e['stores'].values())]


def entry_label(entry):
    if entry.get('id') and entry.get('name') and entry['name'] != entry['image']:
        return '%r (%s, %s)' % (entry['image'], entry['name'], entry['id'])
    if entry.get('id') and entry['id'] != entry['image']:
        return '%r (%s)' % (entry['image'], entry['id'])
    return repr(entry['image'])


def store_is_cow(catalog, store):
    """True (with why) when instances boot from the store as copy-on-write clones."""
    store_type = catalog[store]['type']
    if store_type is None:
        return True, ('the store types are not readable with these credentials (GET /v2/info/stores/detail is '
                      'forbidden), so every edge store is taken to be RBD')
    return store_type in COW_STORE_TYPES, 'Glance reports the store type as %s' % store_type


def plan(images, stores, catalog, central=None, endpoint=None):
    """What distributing ``images`` to ``stores`` takes.

    ``images``: ``[(ref, raw image or None, error or None)]`` as ``resolve``
    returns them. ``stores``: target store ids (``desired_stores``); None
    means every store but the central one.
    ``catalog``: ``store_catalog``. ``central``: the central store id; the
    catalog's default store when None. Never raises for a problem of one
    image or store: those are ``refuse``/``error`` items, which
    ``Plan.errors`` lists. Raises ImageStoresError when the central store
    itself is unknown.
    """
    where = ' of the Glance API at %s' % endpoint if endpoint else ''
    known = ', '.join(sorted(catalog)) or 'none'
    if central is None:
        central = default_store(catalog)
        if central is None:
            raise ImageStoresError('no store%s is marked default, so the central store is unknown: set '
                                   'central_store (stores: %s)' % (where, known))
    elif central not in catalog:
        raise ImageStoresError('central_store %r is not a store%s (stores: %s)' % (central, where, known))
    if stores is None:
        stores = edge_stores(catalog, central)
        if not stores:
            raise ImageStoresError('the Glance API%s has no store besides the central store %r: give stores'
                                   % (where, central))
    result = Plan(central)
    result.targets = list(stores)
    for ref, raw, error in images:
        have = image_state(raw) if raw is not None else None
        entry = {
            'image': ref,
            'id': have['id'] if have else None,
            'name': have['name'] if have else None,
            'disk_format': have['disk_format'] if have else None,
            'image_status': have['status'] if have else None,
            'stores_before': list(have['stores']) if have else [],
            'stores_after': list(have['stores']) if have else [],
            'msg': error,
            'stores': {},
        }
        if have is not None and error is None:
            entry['msg'] = _image_problem(have, stores, catalog, central)
        for store in stores:
            entry['stores'][store] = _plan_store(entry, have, store, catalog, central, where, known, result)
        result.images.append(entry)
    result.actions = actions(result)
    result.diff = diff(result)
    return result


def _image_problem(have, stores, catalog, central):
    """Why the image cannot be copied at all (None when it can), judged only if a copy is needed."""
    missing = [s for s in stores if s in catalog and s not in have['stores']]
    if not missing:
        return None
    if have['status'] != 'active':
        return 'its status is %s: Glance copies active images only' % have['status']
    if central not in have['stores']:
        return ('it is not in the central store %r (its stores: %s): Glance copies an image from central to the '
                'other sites, so upload it to the central store first'
                % (central, ', '.join(have['stores']) or 'none'))
    return None


def _plan_store(entry, have, store, catalog, central, where, known, result):
    if store not in catalog:
        return {'action': ERROR, 'status': STATUS_ERROR,
                'msg': 'store %r is not a store%s (stores: %s)' % (store, where, known)}
    if have is None:
        return {'action': ERROR, 'status': STATUS_ERROR, 'msg': entry['msg']}
    edge_cow, why = (False, None) if store == central else store_is_cow(catalog, store)
    non_raw = have['disk_format'] != 'raw'
    if store in have['stores']:
        if edge_cow and non_raw:
            result.warnings.append('image %s is already in store %s although %s'
                                   % (entry_label(entry), store,
                                      RAW_REASON.format(fmt=have['disk_format'], store=store, why=why)))
        return {'action': PRESENT, 'status': STATUS_PRESENT}
    if entry['msg']:
        return {'action': ERROR, 'status': STATUS_ERROR, 'msg': entry['msg']}
    if edge_cow and non_raw:
        return {'action': REFUSE, 'status': STATUS_REFUSED,
                'msg': RAW_REASON.format(fmt=have['disk_format'], store=store, why=why)}
    if have['lock'] and store in have['importing']:
        return {'action': WAIT, 'status': STATUS_IMPORTING,
                'msg': 'import task %s is already copying it there' % have['lock']}
    item = {'action': COPY, 'status': STATUS_MISSING}
    if store in have['failed']:
        item['msg'] = 'a previous import to this store failed; copying again'
    return item


def import_body(stores, all_stores_must_succeed=False):
    """The body of ``POST /v2/images/{id}/import`` that copies an image into ``stores``."""
    return {'method': {'name': 'copy-image'}, 'stores': list(stores),
            'all_stores_must_succeed': bool(all_stores_must_succeed)}


def actions(plan_):
    """The import requests of a plan, as reported to the user."""
    return [{'image': entry['image'], 'id': entry['id'], 'method': 'copy-image', 'stores': stores}
            for entry, stores in plan_.copies]


def diff(plan_):
    """Per image that changes, its stores before and after; fills the plan's before and after."""
    result = []
    for entry in plan_.images:
        if entry['id'] is None:
            continue
        after = list(entry['stores_before'])
        for store, item in entry['stores'].items():
            if item['action'] in (COPY, WAIT) and store not in after:
                after.append(store)
        plan_.before[entry['image']] = entry['stores_before']
        plan_.after[entry['image']] = after
        if after != entry['stores_before']:
            header = 'image %s (%s)' % (entry['name'] or entry['image'], entry['id'])
            result.append({'before_header': header, 'after_header': header,
                           'before': {'stores': entry['stores_before']}, 'after': {'stores': after}})
    return result


# --------------------------------------------------------------------------
# Following an import
# --------------------------------------------------------------------------
def progress(targets, have):
    """``(arrived, missing, locked)`` for the target stores of an image now."""
    arrived = [s for s in targets if s in have['stores']]
    missing = [s for s in targets if s not in have['stores']]
    return arrived, missing, bool(have['lock'])


class Distributor(object):
    """Starts the copies a plan asks for and waits for them.

    ``client`` has ``get_image(id)``, ``start_copy(id, stores, all_stores_must_succeed)``
    (True when Glance accepted it; False when another import holds the
    image's lock, or brought it to one of the stores meanwhile) and
    ``image_tasks(id)``. ``clock`` and ``sleep`` are
    ``time.monotonic`` and ``time.sleep`` unless a test gives others.

    Per image: when nobody holds the image's import lock, one request copies
    it to every store still missing; while a lock is held (this run's import
    or another one), it polls; when the lock is gone after this run's
    request, the stores still missing have failed. An image whose lock is
    held by another import when the plan is made is copied after that
    import ends, to whatever stores it did not bring the image to.
    """

    def __init__(self, client, plan_, all_stores_must_succeed=False, clock=None, sleep=None):
        self.client = client
        self.plan = plan_
        self.all_stores_must_succeed = all_stores_must_succeed
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.requests = []    # the import requests Glance accepted
        self.states = {}

    @property
    def changed(self):
        return bool(self.requests)

    def _state(self, entry):
        return self.states.setdefault(entry['id'], {
            'targets': [s for s, i in entry['stores'].items() if i['action'] in (COPY, WAIT)],
            'posted': False, 'attempts': 0, 'started': None})

    def start(self):
        """Send the first import request of every image that nobody else is importing."""
        for entry in self.plan.pending:
            state = self._state(entry)
            if any(i['action'] == COPY for i in entry['stores'].values()) and not self._locked_at_plan(entry):
                self._post(entry, state, [s for s, i in entry['stores'].items() if i['action'] == COPY])

    def _locked_at_plan(self, entry):
        return any(i['action'] == WAIT for i in entry['stores'].values())

    def _post(self, entry, state, stores):
        state['attempts'] += 1
        accepted = self.client.start_copy(entry['id'], stores, self.all_stores_must_succeed)
        if accepted:
            state['posted'] = True
            state['started'] = self.clock()
            self.requests.append({'image': entry['image'], 'id': entry['id'], 'method': 'copy-image',
                                  'stores': list(stores)})
            for store in stores:
                entry['stores'][store]['status'] = STATUS_COPYING
                entry['stores'][store].pop('msg', None)
        return accepted

    def no_wait(self):
        """wait: false: report what was started, without following it."""
        for entry in self.plan.pending:
            for item in entry['stores'].values():
                if item['action'] == WAIT:
                    item['status'] = STATUS_IMPORTING
                elif item['action'] == COPY and item['status'] == STATUS_MISSING:
                    item['msg'] = ('not started: another import holds the image; run again, or with wait: true, '
                                   'to copy it here')

    def wait(self, timeout, interval=0.25, slow_interval=1.0, slow_after=10.0):
        """Poll until every pending image is done, or ``timeout`` seconds have passed."""
        begin = self.clock()
        deadline = begin + timeout
        pending = list(self.plan.pending)
        while pending:
            now = self.clock()
            if now >= deadline:
                break
            self.sleep(min(interval if now - begin < slow_after else slow_interval, max(deadline - now, 0)))
            still = []
            for entry in pending:
                if not self._poll(entry):
                    still.append(entry)
            pending = still
        for entry in pending:
            self._timed_out(entry, timeout)
        return not pending

    def _poll(self, entry):
        """One look at an image; True when it needs no more looks."""
        state = self._state(entry)
        try:
            raw = self.client.get_image(entry['id'])
        except ImageStoresError as exc:
            if exc.status is not None and exc.status < 500:
                raise
            # Glance unreachable for longer than the client's retries: keep
            # waiting until the deadline, and say why if it comes.
            state['last_error'] = exc.msg
            return False
        state.pop('last_error', None)
        have = image_state(raw)
        entry['stores_after'] = list(have['stores'])
        arrived, missing, locked = progress(state['targets'], have)
        now = self.clock()
        for store in arrived:
            item = entry['stores'][store]
            if item['status'] != STATUS_COPIED:
                item['status'] = STATUS_COPIED
                item.pop('msg', None)
                if state['started'] is not None:
                    item['seconds'] = round(now - state['started'], 2)
        if not missing:
            return True
        if locked:
            return False
        if state['posted']:
            # This run's import is over and did not bring the image everywhere.
            reason = self._failure_reason(entry, have)
            for store in missing:
                item = entry['stores'][store]
                item['status'] = STATUS_FAILED
                item['msg'] = reason
            return True
        if state['attempts'] >= MAX_ATTEMPTS:
            for store in missing:
                entry['stores'][store].update(status=STATUS_FAILED,
                                              msg='another import held the image after %d attempts to copy it'
                                                  % state['attempts'])
            return True
        # Nobody holds the lock and this run has not copied yet: the import
        # that held it at plan time is over, or a 409 raced with another one.
        self._post(entry, state, missing)
        return False

    def _failure_reason(self, entry, have):
        message = None
        try:
            tasks = self.client.image_tasks(entry['id']) or []
        except ImageStoresError:
            tasks = []
        if tasks:
            latest = sorted(tasks, key=lambda t: (t.get('updated_at') or '', t.get('created_at') or ''))[-1]
            message = latest.get('message') or None
            if latest.get('status'):
                message = 'import task %s ended %s%s' % (latest.get('id'), latest['status'],
                                                         ': %s' % message if message else '')
        if not message:
            message = 'the import ended without copying the image here'
        if have['failed']:
            message += ' (Glance lists the store in %s: %s)' % (FAILED_KEY, ','.join(have['failed']))
        return message

    def _timed_out(self, entry, timeout):
        last_error = self._state(entry).get('last_error')
        for item in entry['stores'].values():
            if item['status'] in (STATUS_COPYING, STATUS_IMPORTING, STATUS_MISSING):
                item['status'] = STATUS_TIMEOUT
                item['msg'] = ('not in the store after %ss; the import may still finish: raise timeout, or run '
                               'again later' % timeout)
                if last_error:
                    item['msg'] += ' (last attempt to read the image: %s)' % last_error

    def failures(self):
        result = []
        for entry in self.plan.images:
            for store, item in entry['stores'].items():
                if item['status'] in (STATUS_FAILED, STATUS_TIMEOUT):
                    result.append('image %s, store %s: %s: %s' % (entry_label(entry), store, item['status'],
                                                                  item.get('msg')))
        return result


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------
def api_base(endpoint):
    """The Glance v2 base URL of an image endpoint (catalog URL, with or without /v2)."""
    if not endpoint:
        raise ImageStoresError('the image endpoint is empty')
    base = endpoint.rstrip('/')
    if re.search(r'/v2(\.\d+)?$', base):
        base = re.sub(r'/v2(\.\d+)?$', '/v2', base)
    else:
        base += '/v2'
    return base


def _body_text(resp, limit=2000):
    """The error text of a response: Glance's JSON ``message``, else the body without HTML tags."""
    try:
        text = resp.text
    except Exception:  # pylint: disable=broad-except
        return None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get('message'), str):
        text = data['message']
    text = re.sub(r'<[^>]+>', ' ', text or '')
    text = re.sub(r'\s+', ' ', text).strip()
    return text[:limit]


class GlanceImagesClient(object):
    """The requests the module sends to one Glance API, over a keystoneauth session.

    ``session`` is a keystoneauth1 Session (``openstack.connect().session``),
    which adds the token and refreshes it. ``request_exceptions`` are the
    exceptions a request may raise for a transport failure (keystoneauth's
    ``ClientException``): they become ImageStoresError naming the URL.
    """

    def __init__(self, session, endpoint, timeout=30, request_exceptions=()):
        self.session = session
        self.base = api_base(endpoint)
        self.timeout = timeout
        self.request_exceptions = tuple(request_exceptions) or (Exception,)
        self.round_trips = 0

    def _request(self, method, path, body=None, params=None):
        url = self.base + path
        kwargs = dict(raise_exc=False, timeout=self.timeout, headers={'Accept': 'application/json'})
        if body is not None:
            kwargs['json'] = body
        if params:
            kwargs['params'] = params
        if method == 'GET':
            # Reads ride out a glance-api restart or an HAProxy failover; an
            # import request is never resent blindly.
            kwargs.update(connect_retries=GET_RETRIES, status_code_retries=GET_RETRIES,
                          retriable_status_codes=list(RETRIABLE_STATUS))
        self.round_trips += 1
        try:
            resp = self.session.request(url, method, **kwargs)
        except self.request_exceptions as exc:
            raise ImageStoresError('%s %s failed: %s' % (method, url, exc), url=url)
        return url, resp

    def _json(self, method, url, resp):
        try:
            return resp.json()
        except ValueError:
            raise ImageStoresError('%s %s answered %s with a body that is not JSON' % (method, url, resp.status_code),
                                   url=url, status=resp.status_code, body=_body_text(resp))

    def _error(self, method, url, resp, what):
        return ImageStoresError('%s: %s %s answered %s: %s' % (what, method, url, resp.status_code,
                                                               _body_text(resp, 500) or 'no body'),
                                url=url, status=resp.status_code, body=_body_text(resp))

    def stores(self):
        """The API's stores (``store_catalog``), with types when the policy shows them."""
        url, resp = self._request('GET', '/info/stores/detail')
        if resp.status_code == 200:
            return store_catalog(self._json('GET', url, resp), detailed=True)
        if resp.status_code not in (401, 403):
            self._no_multistore(url, resp)
            raise self._error('GET', url, resp, 'cannot read the stores of the Glance API')
        url, resp = self._request('GET', '/info/stores')
        if resp.status_code != 200:
            self._no_multistore(url, resp)
            raise self._error('GET', url, resp, 'cannot read the stores of the Glance API')
        return store_catalog(self._json('GET', url, resp), detailed=False)

    def _no_multistore(self, url, resp):
        if resp.status_code == 404:
            raise ImageStoresError(
                'the Glance API at %s has a single store (GET %s: "%s"): image distribution needs Glance '
                'multistore (enabled_backends with one store per site), as the glance_multistore role configures'
                % (self.base, url, _body_text(resp, 200)), url=url, status=404)

    def get_image(self, image_id, missing_ok=False):
        url, resp = self._request('GET', '/images/%s' % image_id)
        if resp.status_code == 404 and missing_ok:
            return None
        if resp.status_code != 200:
            raise self._error('GET', url, resp, 'cannot read image %s' % image_id)
        return self._json('GET', url, resp)

    def find_images(self, name):
        url, resp = self._request('GET', '/images', params={'name': name, 'limit': 100})
        if resp.status_code != 200:
            raise self._error('GET', url, resp, 'cannot list the images named %r' % name)
        return self._json('GET', url, resp).get('images') or []

    def lookup(self, ref):
        """``(image, error)`` for a name or id."""
        by_id = self.get_image(ref, missing_ok=True) if looks_like_id(ref) else None
        by_name = self.find_images(ref) if by_id is None else None
        return resolve(ref, by_id, by_name)

    def start_copy(self, image_id, stores, all_stores_must_succeed=False):
        """True when Glance accepted the copy; False when another import holds the image (409)."""
        url, resp = self._request('POST', '/images/%s/import' % image_id,
                                  body=import_body(stores, all_stores_must_succeed))
        if resp.status_code in (200, 202):
            return True
        if resp.status_code == 409:
            return False
        if resp.status_code == 400 and 'already present' in (_body_text(resp) or ''):
            # Another import brought it to one of the stores since the plan was made.
            return False
        raise self._error('POST', url, resp, 'Glance refused to copy image %s to %s'
                          % (image_id, ', '.join(stores)))

    def image_tasks(self, image_id):
        url, resp = self._request('GET', '/images/%s/tasks' % image_id)
        if resp.status_code != 200:
            return []
        try:
            return resp.json().get('tasks') or []
        except ValueError:
            return []
