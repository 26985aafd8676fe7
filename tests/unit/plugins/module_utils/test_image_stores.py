# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image distribution planner and its copy follower (plugins/module_utils/_image_stores.py).

Glance's answers are JSON captured from the lab's central Glance API (Glance
25.1.0, stores central, dcn0 and dcn1 on RBD), by
tests/integration/capture_glance_fixtures.py, in tests/unit/fixtures/glance_*.json:

- glance_stores_detail.json / glance_stores.json: GET /v2/info/stores[/detail]
- glance_image_raw_central.json: an active raw image in the central store only
- glance_image_raw_importing.json: the same image while copy-image copies it
  to dcn0 and dcn1 (import lock held, os_glance_importing_to_stores set)
- glance_image_raw_distributed.json: the same image in all three stores
- glance_image_qcow2_central.json: an active qcow2 image in the central store
- glance_image_raw_dcn0_only.json: a raw image uploaded to dcn0's store only
- glance_image_queued.json: an image created without data
- glance_image_failed.json / glance_image_failed_tasks.json: an image whose
  copy to dcn0 and dcn1 failed because its data had been removed from
  central's pool (lock released, os_glance_failed_import empty, a stale
  os_glance_importing_to_stores), and GET /v2/images/{id}/tasks for it
- glance_images_named_dup.json: GET /v2/images?name=... with two matches
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _image_stores as m

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


DETAIL = fixture('glance_stores_detail.json')
PLAIN = fixture('glance_stores.json')
RAW = fixture('glance_image_raw_central.json')
IMPORTING = fixture('glance_image_raw_importing.json')
DISTRIBUTED = fixture('glance_image_raw_distributed.json')
QCOW2 = fixture('glance_image_qcow2_central.json')
DCN0_ONLY = fixture('glance_image_raw_dcn0_only.json')
QUEUED = fixture('glance_image_queued.json')
FAILED = fixture('glance_image_failed.json')
FAILED_TASKS = fixture('glance_image_failed_tasks.json')
DUPS = fixture('glance_images_named_dup.json')

CATALOG = m.store_catalog(DETAIL, detailed=True)
CATALOG_NO_TYPES = m.store_catalog(PLAIN, detailed=False)


def plan_for(images, stores=('dcn0', 'dcn1'), catalog=None, central=None):
    refs = []
    for raw in images:
        if isinstance(raw, tuple):
            refs.append(raw)
        else:
            refs.append((raw['name'], raw, None))
    return m.plan(refs, m.desired_stores(list(stores) if stores is not None else None),
                  CATALOG if catalog is None else catalog, central=central,
                  endpoint='http://192.0.2.9:9292/v2')


def with_(raw, **props):
    out = copy.deepcopy(raw)
    for key, value in props.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def actions_of(plan):
    return dict((store, item['action']) for store, item in plan.images[0]['stores'].items())


# --------------------------------------------------------------------------
# Reading Glance's JSON
# --------------------------------------------------------------------------
def test_the_captured_lab_has_three_rbd_stores_with_central_default():
    assert sorted(CATALOG) == ['central', 'dcn0', 'dcn1']
    assert dict((s, CATALOG[s]['type']) for s in CATALOG) == {'central': 'rbd', 'dcn0': 'rbd', 'dcn1': 'rbd'}
    assert m.default_store(CATALOG) == 'central'


def test_default_is_a_string_in_glance_25():
    assert DETAIL['stores'][0]['default'] == 'true'
    assert [s for s in CATALOG if CATALOG[s]['default']] == ['central']
    false = {'stores': [{'id': 'a', 'default': 'false'}, {'id': 'b', 'default': True}]}
    assert m.default_store(m.store_catalog(false)) == 'b'


def test_the_plain_listing_has_the_same_stores_without_types():
    assert sorted(CATALOG_NO_TYPES) == sorted(CATALOG)
    assert all(s['type'] is None for s in CATALOG_NO_TYPES.values())
    assert m.default_store(CATALOG_NO_TYPES) == 'central'


def test_image_state_of_captured_images():
    assert m.image_state(RAW)['stores'] == ['central']
    assert m.image_state(RAW)['lock'] is None
    assert sorted(m.image_state(DISTRIBUTED)['stores']) == ['central', 'dcn0', 'dcn1']
    importing = m.image_state(IMPORTING)
    assert importing['lock'] and set(importing['importing']) <= {'dcn0', 'dcn1'} and importing['importing']
    assert m.image_state(QCOW2)['disk_format'] == 'qcow2'
    assert m.image_state(DCN0_ONLY)['stores'] == ['dcn0']
    assert m.image_state(QUEUED)['status'] == 'queued' and m.image_state(QUEUED)['stores'] == []
    failed = m.image_state(FAILED)
    assert failed['failed'] == [] and failed['lock'] is None and failed['importing'] == ['dcn0', 'dcn1']


@pytest.mark.parametrize('value,expected', [
    ('central,dcn0', ['central', 'dcn0']),
    (' dcn1 , central,,dcn1', ['dcn1', 'central']),
    ('', []),
    (None, []),
    (['a', 'b'], ['a', 'b']),
])
def test_split_stores(value, expected):
    assert m.split_stores(value) == expected


@pytest.mark.parametrize('endpoint,base', [
    ('http://192.0.2.9:9292', 'http://192.0.2.9:9292/v2'),
    ('http://192.0.2.9:9292/', 'http://192.0.2.9:9292/v2'),
    ('http://192.0.2.9:9292/v2/', 'http://192.0.2.9:9292/v2'),
    ('https://glance.example.com/image/v2.1', 'https://glance.example.com/image/v2'),
    ('https://glance.example.com/image', 'https://glance.example.com/image/v2'),
])
def test_api_base(endpoint, base):
    assert m.api_base(endpoint) == base


def test_resolve_by_id_name_and_duplicates():
    assert m.resolve(RAW['id'], by_id=RAW) == (RAW, None)
    assert m.resolve('x', by_name=[RAW]) == (RAW, None)
    image, error = m.resolve('nope', by_name=[])
    assert image is None and "no image has the id or name 'nope'" in error
    images = DUPS['images']
    assert len(images) == 2
    image, error = m.resolve(images[0]['name'], by_name=images)
    assert image is None
    assert '2 images are named' in error and images[0]['id'] in error and images[1]['id'] in error


def test_looks_like_id():
    assert m.looks_like_id(RAW['id'])
    assert not m.looks_like_id('cirros-0.6.2')


@pytest.mark.parametrize('stores,msg', [
    (['dcn0', ''], 'stores[1]'),
    (['dcn0', 3], 'stores[1]'),
])
def test_desired_stores_rejects_bad_ids(stores, msg):
    with pytest.raises(m.ImageStoresError, match=msg.replace('[', r'\[').replace(']', r'\]')):
        m.desired_stores(stores)


def test_desired_stores_dedups_and_empty_means_every_edge_store():
    assert m.desired_stores(['dcn1', 'dcn0', 'dcn1']) == ['dcn1', 'dcn0']
    assert m.desired_stores([]) is None
    assert m.desired_stores(None) is None


def test_desired_images_needs_one():
    with pytest.raises(m.ImageStoresError, match='images is empty'):
        m.desired_images([])
    assert m.desired_images(['a', ' a ', 'b']) == ['a', 'b']


# --------------------------------------------------------------------------
# Planning: the table of the issue
# --------------------------------------------------------------------------
def test_already_present_plans_nothing():
    plan = plan_for([DISTRIBUTED])
    assert actions_of(plan) == {'dcn0': m.PRESENT, 'dcn1': m.PRESENT}
    assert not plan.changed and plan.errors == [] and m.actions(plan) == [] and m.diff(plan) == []
    assert plan.pending == []


def test_missing_plans_one_copy_per_image_for_all_its_stores():
    plan = plan_for([RAW])
    assert actions_of(plan) == {'dcn0': m.COPY, 'dcn1': m.COPY}
    assert plan.changed and plan.errors == []
    assert m.actions(plan) == [{'image': RAW['name'], 'id': RAW['id'], 'method': 'copy-image',
                                'stores': ['dcn0', 'dcn1']}]
    assert [i['status'] for i in plan.images[0]['stores'].values()] == [m.STATUS_MISSING] * 2
    assert m.diff(plan) == [{'before_header': 'image %s (%s)' % (RAW['name'], RAW['id']),
                             'after_header': 'image %s (%s)' % (RAW['name'], RAW['id']),
                             'before': {'stores': ['central']}, 'after': {'stores': ['central', 'dcn0', 'dcn1']}}]


def test_partly_present_copies_only_the_missing_store():
    half = copy.deepcopy(DISTRIBUTED)
    half['stores'] = 'central,dcn0'
    plan = plan_for([half])
    assert actions_of(plan) == {'dcn0': m.PRESENT, 'dcn1': m.COPY}
    assert m.actions(plan)[0]['stores'] == ['dcn1']


def test_non_raw_to_edge_rbd_is_refused_with_the_reason():
    plan = plan_for([QCOW2])
    assert actions_of(plan) == {'dcn0': m.REFUSE, 'dcn1': m.REFUSE}
    assert not plan.changed
    reason = plan.images[0]['stores']['dcn0']['msg']
    assert 'disk_format is qcow2, not raw' in reason
    assert 'dcn0 is an RBD store at an edge site' in reason and 'copy-on-write' in reason
    assert 'Glance reports the store type as rbd' in reason
    assert len(plan.errors) == 2 and all(QCOW2['name'] in e for e in plan.errors)


def test_non_raw_is_refused_also_when_store_types_are_hidden():
    plan = plan_for([QCOW2], catalog=CATALOG_NO_TYPES)
    assert actions_of(plan) == {'dcn0': m.REFUSE, 'dcn1': m.REFUSE}
    assert 'taken to be RBD' in plan.images[0]['stores']['dcn0']['msg']


def test_non_raw_may_go_to_an_edge_store_that_is_not_rbd():
    catalog = copy.deepcopy(CATALOG)
    catalog['dcn1']['type'] = 'file'
    plan = plan_for([QCOW2], catalog=catalog)
    assert actions_of(plan) == {'dcn0': m.REFUSE, 'dcn1': m.COPY}


def test_non_raw_already_at_the_edge_is_left_with_a_warning():
    there = copy.deepcopy(QCOW2)
    there['stores'] = 'central,dcn0'
    plan = plan_for([there], stores=['dcn0'])
    assert actions_of(plan) == {'dcn0': m.PRESENT}
    assert plan.errors == [] and len(plan.warnings) == 1 and 'already in store dcn0' in plan.warnings[0]


def test_unknown_store_is_an_error_naming_the_known_ones():
    plan = plan_for([RAW], stores=['dcn0', 'dcn9'])
    assert actions_of(plan) == {'dcn0': m.COPY, 'dcn9': m.ERROR}
    msg = plan.images[0]['stores']['dcn9']['msg']
    assert msg == "store 'dcn9' is not a store of the Glance API at http://192.0.2.9:9292/v2 (stores: central, dcn0, dcn1)"
    assert plan.errors == ["image %r (%s), store dcn9: %s" % (RAW['name'], RAW['id'], msg)]


def test_image_not_at_central_is_an_error():
    plan = plan_for([DCN0_ONLY], stores=['dcn0', 'dcn1'])
    assert actions_of(plan) == {'dcn0': m.PRESENT, 'dcn1': m.ERROR}
    msg = plan.images[0]['stores']['dcn1']['msg']
    assert "not in the central store 'central' (its stores: dcn0)" in msg and 'upload it to the central store' in msg


def test_central_as_a_target_only_checks_presence():
    assert actions_of(plan_for([RAW], stores=['central'])) == {'central': m.PRESENT}
    assert actions_of(plan_for([DCN0_ONLY], stores=['central']))['central'] == m.ERROR


def test_unknown_image_is_an_error_on_every_store():
    plan = plan_for([('no-such', None, "no image has the id or name 'no-such'")])
    assert actions_of(plan) == {'dcn0': m.ERROR, 'dcn1': m.ERROR}
    assert plan.images[0]['id'] is None
    assert all("no image has the id or name 'no-such'" in e for e in plan.errors)


def test_inactive_image_cannot_be_copied():
    plan = plan_for([QUEUED])
    assert actions_of(plan) == {'dcn0': m.ERROR, 'dcn1': m.ERROR}
    assert 'its status is queued' in plan.images[0]['msg']


def test_store_being_copied_by_another_import_is_waited_for():
    plan = plan_for([IMPORTING])
    importing = m.image_state(IMPORTING)['importing']
    for store, action in actions_of(plan).items():
        assert action == (m.WAIT if store in importing else m.COPY)
    assert plan.pending == plan.images


def test_failed_copy_is_copied_again_despite_the_stale_importing_list():
    # After the captured failure, the importing list still names both stores
    # but no import holds the lock: copy, do not wait.
    plan = plan_for([FAILED])
    assert actions_of(plan) == {'dcn0': m.COPY, 'dcn1': m.COPY}


def test_store_listed_as_failed_is_copied_again_with_a_note():
    # os_glance_failed_import as _ImportToStore leaves it when writing to a store failed.
    plan = plan_for([with_(RAW, os_glance_failed_import='dcn1')])
    assert actions_of(plan) == {'dcn0': m.COPY, 'dcn1': m.COPY}
    assert 'previous import to this store failed' in plan.images[0]['stores']['dcn1']['msg']
    assert 'msg' not in plan.images[0]['stores']['dcn0']


def test_default_targets_are_every_store_but_central():
    plan = plan_for([RAW], stores=None)
    assert plan.targets == ['dcn0', 'dcn1']
    assert actions_of(plan) == {'dcn0': m.COPY, 'dcn1': m.COPY}


def test_central_store_option():
    # Told that dcn0 is central (as when talking to dcn0's own API): raw copies go
    # from there, and central becomes an edge store for the raw rule.
    plan = plan_for([DCN0_ONLY], stores=['central'], central='dcn0')
    assert actions_of(plan) == {'central': m.COPY}
    assert plan_for([DCN0_ONLY], stores=None, central='dcn0').targets == ['central', 'dcn1']
    with pytest.raises(m.ImageStoresError, match="central_store 'dcn7' is not a store"):
        plan_for([RAW], central='dcn7')


def test_no_default_store_needs_central_store():
    catalog = copy.deepcopy(CATALOG)
    for store in catalog.values():
        store['default'] = False
    with pytest.raises(m.ImageStoresError, match='set central_store'):
        plan_for([RAW], catalog=catalog)


def test_several_images_one_request_each():
    plan = plan_for([RAW, DISTRIBUTED, QCOW2], stores=['dcn0'])
    assert [e['stores']['dcn0']['action'] for e in plan.images] == [m.COPY, m.PRESENT, m.REFUSE]
    assert [a['id'] for a in m.actions(plan)] == [RAW['id']]
    assert len(plan.errors) == 1


def test_import_body():
    assert m.import_body(['dcn0', 'dcn1']) == {'method': {'name': 'copy-image'}, 'stores': ['dcn0', 'dcn1'],
                                               'all_stores_must_succeed': False}


# --------------------------------------------------------------------------
# Following the copies, against a Glance stand-in that replays captured states
# --------------------------------------------------------------------------
class Clock(object):
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class FakeGlance(object):
    """Answers get_image from a script of image states; records import requests."""

    def __init__(self, script, accept=True, tasks=None):
        self.script = list(script)
        self.accept = accept if isinstance(accept, list) else [accept]
        self.posts = []
        self.gets = 0
        self.tasks = tasks or []

    def get_image(self, image_id):
        self.gets += 1
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        return item

    def start_copy(self, image_id, stores, all_stores_must_succeed=False):
        self.posts.append((image_id, list(stores), all_stores_must_succeed))
        return self.accept.pop(0) if len(self.accept) > 1 else self.accept[0]

    def image_tasks(self, image_id):
        return self.tasks


def distribute(plan, glance, timeout=60):
    clock = Clock()
    distributor = m.Distributor(glance, plan, clock=clock, sleep=clock.sleep)
    distributor.start()
    distributor.wait(timeout)
    return distributor


def test_copy_is_followed_until_the_image_lists_every_store():
    plan = plan_for([RAW])
    glance = FakeGlance([IMPORTING, IMPORTING, DISTRIBUTED])
    distributor = distribute(plan, glance)
    assert glance.posts == [(RAW['id'], ['dcn0', 'dcn1'], False)]
    assert distributor.changed and distributor.failures() == []
    stores = plan.images[0]['stores']
    assert [stores[s]['status'] for s in ('dcn0', 'dcn1')] == [m.STATUS_COPIED] * 2
    assert all(stores[s]['seconds'] > 0 for s in ('dcn0', 'dcn1'))
    assert sorted(plan.images[0]['stores_after']) == ['central', 'dcn0', 'dcn1']


def test_lock_released_without_a_store_means_that_store_failed():
    plan = plan_for([RAW])
    half = with_(DISTRIBUTED, stores='central,dcn0', os_glance_failed_import='dcn1',
                 os_glance_importing_to_stores='', os_glance_import_task=None)
    glance = FakeGlance([IMPORTING, half], tasks=FAILED_TASKS['tasks'])
    distributor = distribute(plan, glance)
    stores = plan.images[0]['stores']
    assert stores['dcn0']['status'] == m.STATUS_COPIED
    assert stores['dcn1']['status'] == m.STATUS_FAILED
    assert 'os_glance_failed_import: dcn1' in stores['dcn1']['msg']
    assert len(distributor.failures()) == 1 and 'store dcn1: failed' in distributor.failures()[0]


def test_captured_failure_reports_the_task_message():
    plan = plan_for([RAW])
    glance = FakeGlance([IMPORTING, FAILED], tasks=FAILED_TASKS['tasks'])
    distributor = distribute(plan, glance)
    task = FAILED_TASKS['tasks'][0]
    assert (task['status'], task['message']) == ('failure', 'Task failed due to Internal Error')
    for store in ('dcn0', 'dcn1'):
        item = plan.images[0]['stores'][store]
        assert item['status'] == m.STATUS_FAILED
        assert item['msg'] == 'import task %s ended failure: Task failed due to Internal Error' % task['id']
    assert len(distributor.failures()) == 2


def test_another_import_is_waited_for_then_the_rest_is_copied():
    plan = plan_for([IMPORTING])
    importing = m.image_state(IMPORTING)['importing']
    rest = [s for s in ('dcn0', 'dcn1') if s not in importing]
    done_other = with_(RAW, stores=','.join(['central'] + importing), os_glance_import_task=None,
                       os_glance_importing_to_stores='')
    script = [IMPORTING, done_other, with_(IMPORTING, stores=done_other['stores']), DISTRIBUTED]
    glance = FakeGlance(script)
    distributor = distribute(plan, glance)
    # No request while the other import held the lock; then one for what it did not copy.
    if rest:
        assert glance.posts == [(RAW['id'], rest, False)]
    else:
        assert glance.posts == []
    assert distributor.failures() == []
    assert all(i['status'] == m.STATUS_COPIED for i in plan.images[0]['stores'].values())


def test_a_409_waits_for_the_lock_and_sends_again():
    plan = plan_for([RAW])
    locked = with_(RAW, os_glance_import_task='00000000-0000-0000-0000-000000000001',
                   os_glance_importing_to_stores='')
    glance = FakeGlance([locked, RAW, IMPORTING, DISTRIBUTED], accept=[False, True])
    distributor = distribute(plan, glance)
    assert [p[1] for p in glance.posts] == [['dcn0', 'dcn1'], ['dcn0', 'dcn1']]
    assert distributor.failures() == [] and len(distributor.requests) == 1


def test_timeout_reports_the_stores_still_missing():
    plan = plan_for([RAW])
    glance = FakeGlance([IMPORTING])
    distributor = distribute(plan, glance, timeout=5)
    assert [i['status'] for i in plan.images[0]['stores'].values()] == [m.STATUS_TIMEOUT] * 2
    assert 'not in the store after 5s' in distributor.failures()[0]


def test_glance_unreachable_for_a_while_is_waited_out():
    plan = plan_for([RAW])
    down = m.ImageStoresError('GET http://192.0.2.9:9292/v2/images/x failed: Unable to establish connection')
    glance = FakeGlance([down, m.ImageStoresError('503', status=503), DISTRIBUTED])
    distributor = distribute(plan, glance)
    assert distributor.failures() == [] and len(glance.posts) == 1


def test_glance_unreachable_until_the_timeout_says_so():
    plan = plan_for([RAW])
    glance = FakeGlance([m.ImageStoresError('GET ... failed: Unable to establish connection')])
    distributor = distribute(plan, glance, timeout=3)
    assert 'last attempt to read the image: GET ... failed' in distributor.failures()[0]


def test_a_4xx_while_waiting_is_an_error():
    plan = plan_for([RAW])
    glance = FakeGlance([m.ImageStoresError('cannot read image', status=404)])
    with pytest.raises(m.ImageStoresError, match='cannot read image'):
        distribute(plan, glance)


def test_nothing_to_do_sends_nothing():
    plan = plan_for([DISTRIBUTED])
    glance = FakeGlance([DISTRIBUTED])
    distributor = distribute(plan, glance)
    assert glance.posts == [] and glance.gets == 0 and not distributor.changed


def test_no_wait_reports_copying():
    plan = plan_for([RAW])
    glance = FakeGlance([RAW])
    clock = Clock()
    distributor = m.Distributor(glance, plan, clock=clock, sleep=clock.sleep)
    distributor.start()
    distributor.no_wait()
    assert [i['status'] for i in plan.images[0]['stores'].values()] == [m.STATUS_COPYING] * 2
    assert glance.gets == 0 and distributor.changed


# --------------------------------------------------------------------------
# The HTTP client, over a session stand-in
# --------------------------------------------------------------------------
class Resp(object):
    def __init__(self, status, body=None, text=None):
        self.status_code = status
        self._body = body
        self.text = text if text is not None else (json.dumps(body) if body is not None else '')

    def json(self):
        if self._body is None:
            raise ValueError('no JSON')
        return self._body


class Session(object):
    def __init__(self, answers):
        self.answers = answers
        self.requests = []

    def request(self, url, method, **kwargs):
        self.requests.append((method, url, kwargs))
        for (want_method, suffix), resp in self.answers.items():
            if want_method == method and url.split('?')[0].endswith(suffix):
                return resp
        return Resp(404, {'message': 'nothing here'})


def test_client_reads_detailed_stores_in_one_request():
    session = Session({('GET', '/info/stores/detail'): Resp(200, DETAIL)})
    client = m.GlanceImagesClient(session, 'http://192.0.2.9:9292')
    catalog = client.stores()
    assert catalog == CATALOG and client.round_trips == 1
    method, url, kwargs = session.requests[0]
    assert (method, url) == ('GET', 'http://192.0.2.9:9292/v2/info/stores/detail')
    assert kwargs['raise_exc'] is False and kwargs['timeout'] == 30
    assert kwargs['connect_retries'] == 3 and kwargs['retriable_status_codes'] == [502, 503, 504]


def test_client_falls_back_to_plain_stores_when_the_policy_hides_details():
    session = Session({('GET', '/info/stores/detail'): Resp(403, {'message': 'forbidden'}),
                       ('GET', '/info/stores'): Resp(200, PLAIN)})
    catalog = m.GlanceImagesClient(session, 'http://192.0.2.9:9292').stores()
    assert catalog == CATALOG_NO_TYPES


def test_client_says_when_glance_has_a_single_store():
    text = ('{"message": "Multi backend is not supported at this site. \\n\\n\\n", "code": "404 Not Found", '
            '"title": "Not Found"}')
    session = Session({('GET', '/info/stores/detail'): Resp(404, text=text)})
    with pytest.raises(m.ImageStoresError, match='has a single store .*Multi backend is not supported'):
        m.GlanceImagesClient(session, 'http://192.0.2.9:9292').stores()


def test_client_lookup_by_id_then_name():
    session = Session({('GET', '/images/%s' % RAW['id']): Resp(200, RAW),
                       ('GET', '/images'): Resp(200, DUPS)})
    client = m.GlanceImagesClient(session, 'http://192.0.2.9:9292')
    assert client.lookup(RAW['id']) == (RAW, None)
    image, error = client.lookup(DUPS['images'][0]['name'])
    assert image is None and '2 images are named' in error
    assert session.requests[-1][2]['params'] == {'name': DUPS['images'][0]['name'], 'limit': 100}


def test_client_start_copy():
    body = m.import_body(['dcn0'])
    client = m.GlanceImagesClient(Session({('POST', '/import'): Resp(202, text='')}), 'http://192.0.2.9:9292')
    assert client.start_copy(RAW['id'], ['dcn0']) is True
    assert client.session.requests[0][2]['json'] == body
    assert 'connect_retries' not in client.session.requests[0][2]
    client = m.GlanceImagesClient(Session({('POST', '/import'): Resp(409, {'message': 'Image has active task'})}),
                                  'http://192.0.2.9:9292')
    assert client.start_copy(RAW['id'], ['dcn0']) is False
    client = m.GlanceImagesClient(Session({('POST', '/import'): Resp(403, {'message': 'copy_image disallowed'})}),
                                  'http://192.0.2.9:9292')
    with pytest.raises(m.ImageStoresError, match='refused to copy .* 403: copy_image disallowed'):
        client.start_copy(RAW['id'], ['dcn0'])


# --------------------------------------------------------------------------
# The module, with openstacksdk's connection replaced by a Glance stand-in
# --------------------------------------------------------------------------
class GlanceSession(object):
    """A central Glance with the captured stores and one raw image that copies instantly."""

    def __init__(self, image=RAW):
        self.image = copy.deepcopy(image)
        self.requests = []

    def request(self, url, method, **kwargs):
        self.requests.append((method, url.split('/v2', 1)[1], kwargs.get('json')))
        path = url.split('/v2', 1)[1]
        if method == 'GET' and path == '/info/stores/detail':
            return Resp(200, DETAIL)
        if method == 'GET' and path == '/images/%s' % self.image['id']:
            return Resp(200, self.image)
        if method == 'GET' and path == '/images':
            name = kwargs['params']['name']
            return Resp(200, {'images': [self.image] if name == self.image['name'] else []})
        if method == 'POST' and path == '/images/%s/import' % self.image['id']:
            stores = m.split_stores(self.image['stores']) + kwargs['json']['stores']
            self.image['stores'] = ','.join(stores)
            return Resp(202, text='')
        return Resp(404, {'message': 'not here'})

    def posts(self):
        return [r for r in self.requests if r[0] == 'POST']


class Config(object):
    def __init__(self, endpoint=None):
        self.endpoint = endpoint

    def get_endpoint(self, service_type):
        return self.endpoint

    def get_interface(self, service_type=None):
        return 'public'

    def get_region_name(self, service_type=None):
        return 'central'


class Connection(object):
    def __init__(self, session, kwargs):
        self.session = session
        self.kwargs = kwargs
        self.config = Config()
        session.get_endpoint = lambda **kw: 'http://192.0.2.9:9292'


@pytest.fixture
def glance_module(monkeypatch):
    module = pytest.importorskip(
        'ansible_collections.edgestack.glance_ceph.plugins.modules.glance_image_stores')
    if not module.HAS_SDK:
        pytest.skip('openstacksdk is not installed')
    state = {'session': GlanceSession(), 'connects': []}

    def connect(**kwargs):
        state['connects'].append(kwargs)
        return Connection(state['session'], kwargs)

    monkeypatch.setattr(module.openstack, 'connect', connect)
    state['module'] = module
    return state


def run_module(state, args, capsys, check=False, diff=False):
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel
    args = dict(args)
    args['_ansible_check_mode'] = check
    args['_ansible_diff'] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            state['module'].main()
    return json.loads(capsys.readouterr().out)


def test_module_check_mode_reads_and_sends_no_import(glance_module, capsys):
    result = run_module(glance_module, {'cloud': 'central', 'images': [RAW['name']], 'stores': ['dcn0', 'dcn1']},
                        capsys, check=True, diff=True)
    session = glance_module['session']
    assert session.posts() == []
    assert result['changed'] is True
    assert result['actions'] == [{'image': RAW['name'], 'id': RAW['id'], 'method': 'copy-image',
                                  'stores': ['dcn0', 'dcn1']}]
    assert result['diff'][0]['after'] == {'stores': ['central', 'dcn0', 'dcn1']}
    assert result['endpoint'] == 'http://192.0.2.9:9292/v2' and result['central_store'] == 'central'
    assert result['round_trips'] == 2   # stores/detail, the image by name
    assert glance_module['connects'] == [{'cloud': 'central', 'api_timeout': 30}]


def test_module_copies_then_a_second_run_changes_nothing(glance_module, capsys):
    args = {'cloud': 'central', 'images': [RAW['id']], 'stores': ['dcn0', 'dcn1'], 'timeout': 30}
    first = run_module(glance_module, args, capsys)
    session = glance_module['session']
    assert first['changed'] is True
    assert session.posts() == [('POST', '/images/%s/import' % RAW['id'], m.import_body(['dcn0', 'dcn1']))]
    assert [i['status'] for i in first['images'][0]['stores'].values()] == ['copied', 'copied']
    second = run_module(glance_module, args, capsys)
    assert second['changed'] is False and second['actions'] == []
    assert len(session.posts()) == 1


def test_module_refusal_fails_before_any_import(glance_module, capsys):
    glance_module['session'] = GlanceSession(QCOW2)
    result = run_module(glance_module, {'images': [QCOW2['name']], 'stores': ['dcn0'],
                                        'auth': {'auth_url': 'http://192.0.2.13:5000/v3', 'password': 'sekret'}},
                        capsys)
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('nothing was copied: image %r (%s), store dcn0: its disk_format is qcow2'
                                    % (QCOW2['name'], QCOW2['id']))
    assert glance_module['session'].posts() == []
    assert 'sekret' not in json.dumps(result)


def test_module_uses_the_image_endpoint_override(glance_module, capsys):
    result = run_module(glance_module, {'images': [RAW['name']], 'stores': ['dcn0'],
                                        'image_endpoint': 'http://192.0.2.11:9292/'}, capsys, check=True)
    assert result['endpoint'] == 'http://192.0.2.11:9292/v2'
    assert glance_module['session'].requests[0][1] == '/info/stores/detail'


def test_no_wait_leaves_a_locked_image_alone_and_says_so():
    to_dcn0 = with_(IMPORTING, os_glance_importing_to_stores='dcn0')
    plan = plan_for([to_dcn0])
    glance = FakeGlance([to_dcn0])
    clock = Clock()
    distributor = m.Distributor(glance, plan, clock=clock, sleep=clock.sleep)
    distributor.start()
    distributor.no_wait()
    assert glance.posts == [] and not distributor.changed
    stores = plan.images[0]['stores']
    assert stores['dcn0']['status'] == m.STATUS_IMPORTING
    assert stores['dcn1']['status'] == m.STATUS_MISSING and 'not started' in stores['dcn1']['msg']
