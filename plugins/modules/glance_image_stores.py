#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: glance_image_stores
short_description: Copy Glance images into the stores of other sites
version_added: 0.1.0
description:
  - Ensures that the given images are present in the given Glance stores,
    copying them from the central store with Glance's C(copy-image) import
    method and waiting for the copies.
  - Talks to one Glance API with multiple stores, normally the central
    site's, which has every site's store. An image already in a store is not
    copied again.
  - Reads the stores (C(GET /v2/info/stores/detail), or C(/v2/info/stores)
    when the policy hides the details) and every image (by id, else by name),
    then plans, per image and store, V(present), V(copy), V(wait) (another
    import is copying it there), V(refuse) or V(error). When any item is
    V(refuse) or V(error), the module fails before copying anything and the
    message lists every reason.
  - Refuses to copy an image whose C(disk_format) is not V(raw) to an RBD
    store of an edge site (any store but O(central_store)), since instances
    boot there as copy-on-write clones of the image, which needs raw images. When
    the credentials cannot read the store types, every edge store is taken
    to be RBD.
  - Copies only images that are in the central store, since Glance copies
    an image from where it is, and the central site is where images are
    uploaded.
  - One import request per image covers all its missing stores. The module
    then polls each image until its C(stores) property lists every target,
    or its import is over (the image's import lock is released), and reports
    each store that the import did not reach as V(failed), with Glance's
    reason.
  - Authenticates with openstacksdk from a C(clouds.yaml) cloud (O(cloud)),
    the C(OS_*) environment variables, or O(auth).
author:
  - edgestack maintainers (@edgestack)
requirements:
  - openstacksdk (0.101 or later) in the Python that runs the module
attributes:
  check_mode:
    support: full
    description: Reads the stores and images and reports the plan; sends no import request.
  diff_mode:
    support: full
    description: Shows, per image that changes, its stores before and after.
options:
  images:
    description:
      - Names or ids of the images to distribute. A value shaped like an id
        is looked up as an id first, then as a name.
      - A name that several images have is an error; give the id instead.
    type: list
    elements: str
    required: true
  stores:
    description:
      - Ids of the Glance stores every image must be in, as Glance names
        them (C(GET /v2/info/stores)); at edgestack sites the site names,
        for example V(dcn0).
      - A store the Glance API does not have is an error.
      - Listing the central store only checks that the images are there.
      - When unset or empty, every store of the Glance API but O(central_store),
        that is every edge site's store when the API is the central one.
    type: list
    elements: str
  central_store:
    description:
      - Id of the central site's store, the one images are copied from.
      - Defaults to the default store of the Glance API the module talks to,
        which is the central store when that API is the central site's.
        Set it when talking to another site's Glance API.
    type: str
  wait:
    description:
      - Whether to wait for the copies. With V(false) the module starts them
        and returns; the stores report V(copying).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for all copies together. Stores still without their
        image then report V(timeout) and the module fails; the imports
        continue in Glance, and a later run waits for or completes them.
    type: int
    default: 600
  all_stores_must_succeed:
    description:
      - Passed to Glance with each import. With V(false), a store that fails
        does not undo the copies to the image's other stores, and each store
        is reported on its own.
    type: bool
    default: false
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml). When unset, openstacksdk uses
        C(OS_CLOUD), else the C(OS_*) variables (C(OS_AUTH_URL),
        C(OS_USERNAME), ...) of the module's environment.
    type: str
  auth:
    description:
      - Authentication parameters (C(auth_url), C(username), C(password),
        C(project_name), C(user_domain_name), C(project_domain_name), ...),
        overriding those of the cloud.
    type: dict
  auth_type:
    description: Keystone authentication plugin, for example V(password) or V(v3applicationcredential).
    type: str
  region_name:
    description:
      - Region whose image endpoint is used. At edgestack sites each site is
        a region; use the central one.
    type: str
  interface:
    description: Endpoint interface of the service catalog.
    type: str
    choices: [public, internal, admin]
    aliases: [endpoint_type]
  image_endpoint:
    description:
      - URL of the Glance API to use instead of the catalog's, for example
        V(http://192.0.2.11:9292) to reach one glance-api host directly.
        Authentication still goes through Keystone.
    type: str
  validate_certs:
    description: Whether to verify TLS certificates (openstacksdk's C(verify)).
    type: bool
    aliases: [verify]
  ca_cert:
    description: CA bundle to verify TLS certificates with.
    type: path
    aliases: [cacert]
  api_timeout:
    description: Seconds one HTTP request may take.
    type: int
    default: 30
notes:
  - The module runs where openstacksdk is, usually on the controller
    (a play on C(localhost), or C(delegate_to) V(localhost)).
  - Glance's C(glance) command line of python3-glanceclient 4.1.0 cannot
    talk to a multistore Glance API; this module uses the HTTP API directly.
  - openstacksdk does the authentication (C(openstack.connect) - clouds.yaml,
    Keystone, the service catalog, TLS); the module sends its few Glance
    requests over that connection's keystoneauth session rather than through
    the SDK's image proxy, because it also runs with openstacksdk 0.101
    (Debian 12's C(python3-openstacksdk)), whose image proxy lists neither
    the stores with their drivers (C(GET /v2/info/stores/detail), needed to
    refuse non-raw images for RBD edge stores) nor an image's tasks
    (C(GET /v2/images/{id}/tasks), which tell a failed read of the source).
    openstacksdk 4.x has both (C(stores(details=True)), C(image_tasks())).
  - A copy needs Glance's C(copy_image) policy (admin by default), and an
    image import needs a Keystone-authenticated request context.
seealso:
  - name: Glance interoperable image import
    description: The image import API and the copy-image method.
    link: https://docs.openstack.org/api-ref/image/v2/index.html#interoperable-image-import
  - name: Glance multiple stores
    description: Configuring several stores in one Glance API.
    link: https://docs.openstack.org/glance/latest/admin/multistores.html
'''

EXAMPLES = r'''
- name: Copy two images to both edge sites
  edgestack.glance_ceph.glance_image_stores:
    cloud: central
    images:
      - cirros-0.6.2-raw
      - 5e3c3ec8-8d7b-4e3a-9f0c-2b64c7d3a1f0
    stores: [dcn0, dcn1]
  delegate_to: localhost
  run_once: true

- name: Copy an image to every edge site's store (stores unset)
  edgestack.glance_ceph.glance_image_stores:
    cloud: central
    images: [cirros-0.6.2-raw]
  delegate_to: localhost
  run_once: true

- name: Start the copies and return at once
  edgestack.glance_ceph.glance_image_stores:
    images: [ubuntu-22.04-raw]
    stores: [dcn0]
    wait: false
  environment:
    OS_CLOUD: central

- name: Through one glance-api host, with credentials from the vault
  edgestack.glance_ceph.glance_image_stores:
    auth:
      auth_url: https://keystone.example.com:5000/v3
      username: admin
      password: "{{ vault_keystone_admin_password }}"
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: central
    image_endpoint: http://192.0.2.11:9292
    images: [ubuntu-22.04-raw]
    stores: [dcn0, dcn1]
    timeout: 1800

- name: Plan only
  edgestack.glance_ceph.glance_image_stores:
    cloud: central
    images: [ubuntu-22.04-raw]
    stores: [dcn0, dcn1]
  check_mode: true
  register: distribution
'''

RETURN = r'''
images:
  description:
    - One entry per requested image, in the order given.
    - C(stores) maps every requested store to its C(action) and its
      C(status) after the run. Actions are V(present), V(copy), V(wait),
      V(refuse) and V(error).
    - "Statuses: V(present) (was there before), V(copied) (arrived during
      the run), V(missing) (check mode, would be copied), V(copying)
      (O(wait=false), copy started), V(importing) (another import is copying
      it), V(failed), V(timeout), V(refused), V(error)."
    - C(msg) says why, when there is something to say; C(seconds) is the
      time from the import request to the poll that saw the image in the store.
  returned: always
  type: list
  elements: dict
  sample:
    - image: cirros-raw
      id: 0b0fb2c6-5bd4-4a1c-9a3e-8d8ed1d3b0a1
      name: cirros-raw
      disk_format: raw
      image_status: active
      msg: null
      stores_before: [central]
      stores_after: [central, dcn0, dcn1]
      stores:
        dcn0: {action: copy, status: copied, seconds: 1.52}
        dcn1: {action: copy, status: copied, seconds: 2.94}
actions:
  description: The import requests sent (in check mode, that would be sent).
  returned: always
  type: list
  elements: dict
  sample:
    - {image: cirros-raw, id: 0b0fb2c6-5bd4-4a1c-9a3e-8d8ed1d3b0a1, method: copy-image, stores: [dcn0, dcn1]}
before:
  description: The stores of every image found, keyed by the name or id requested, before the run.
  returned: when the stores could be read
  type: dict
  sample: {cirros-raw: [central]}
after:
  description: The stores every image found is in once its copies are done (in check mode, would be).
  returned: when the stores could be read
  type: dict
  sample: {cirros-raw: [central, dcn0, dcn1]}
stores:
  description:
    - The stores of the Glance API, keyed by id. C(type) is null when the
      credentials cannot read the store details.
  returned: always
  type: dict
  sample:
    central: {id: central, type: rbd, default: true, description: null, pool: images}
    dcn0: {id: dcn0, type: rbd, default: false, description: null, pool: images}
central_store:
  description: The store images are copied from.
  returned: when the stores could be read
  type: str
  sample: central
target_stores:
  description: The stores the images must be in (O(stores), or every store but the central one).
  returned: when the stores could be read
  type: list
  elements: str
  sample: [dcn0, dcn1]
endpoint:
  description: The Glance API the module talked to (its v2 base URL).
  returned: when it could be determined
  type: str
  sample: http://192.0.2.9:9292/v2
seconds:
  description: Time spent waiting for the copies.
  returned: always
  type: float
  sample: 3.1
round_trips:
  description: HTTP requests sent to Glance (reads included; Keystone's not counted).
  returned: always
  type: int
  sample: 9
'''

import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _image_stores
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

try:
    import openstack
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions
    HAS_SDK = True
    SDK_IMPORT_ERROR = None
except ImportError:
    HAS_SDK = False
    SDK_IMPORT_ERROR = traceback.format_exc()


def argument_spec():
    return dict(
        images=dict(type='list', elements='str', required=True),
        stores=dict(type='list', elements='str'),
        central_store=dict(type='str'),
        wait=dict(type='bool', default=True),
        timeout=dict(type='int', default=600),
        all_stores_must_succeed=dict(type='bool', default=False),
        cloud=dict(type='str'),
        auth=dict(type='dict', no_log=True),
        auth_type=dict(type='str'),
        region_name=dict(type='str'),
        interface=dict(type='str', choices=['public', 'internal', 'admin'], aliases=['endpoint_type']),
        image_endpoint=dict(type='str'),
        validate_certs=dict(type='bool', aliases=['verify']),
        ca_cert=dict(type='path', aliases=['cacert']),
        api_timeout=dict(type='int', default=30),
    )


class ImageStoresModule(_lifecycle.Lifecycle):

    client = None
    distributor = None

    def __init__(self, module):
        super(ImageStoresModule, self).__init__(module)
        self.known = dict(images=[], stores={}, seconds=0.0)  # reported on failure too

    def connect(self):
        params = self.params
        kwargs = {}
        for option, key in (('cloud', 'cloud'), ('auth', 'auth'), ('auth_type', 'auth_type'),
                            ('region_name', 'region_name'), ('interface', 'interface'),
                            ('validate_certs', 'verify'), ('ca_cert', 'cacert')):
            if params[option] is not None:
                kwargs[key] = params[option]
        kwargs['api_timeout'] = params['api_timeout']
        try:
            conn = openstack.connect(**kwargs)
            endpoint = params['image_endpoint'] or self._catalog_endpoint(conn)
        except (sdk_exceptions.SDKException, ks_exceptions.ClientException) as exc:
            raise _image_stores.ImageStoresError('cannot authenticate or find the image endpoint%s: %s' % (
                ' (cloud %s)' % params['cloud'] if params['cloud'] else '', exc))
        self.client = _image_stores.GlanceImagesClient(conn.session, endpoint, timeout=params['api_timeout'],
                                                       request_exceptions=(ks_exceptions.ClientException,))
        self.known['endpoint'] = self.client.base

    @staticmethod
    def _catalog_endpoint(conn):
        config = conn.config
        override = config.get_endpoint('image')
        if override:
            return override
        endpoint = conn.session.get_endpoint(service_type='image', interface=config.get_interface('image'),
                                             region_name=config.get_region_name('image'))
        if not endpoint:
            raise sdk_exceptions.SDKException(
                'the service catalog has no image endpoint for region %s, interface %s'
                % (config.get_region_name('image'), config.get_interface('image')))
        return endpoint

    def read(self):
        params = self.params
        for option in ('timeout', 'api_timeout'):
            if params[option] < 1:
                raise _image_stores.ImageStoresError('%s must be at least 1 second, got %d' % (option, params[option]))
        self.images = _image_stores.desired_images(params['images'])
        self.stores = _image_stores.desired_stores(params['stores'])
        self.connect()
        catalog = self.client.stores()
        self.known['stores'] = catalog
        return catalog, [(ref,) + tuple(self.client.lookup(ref)) for ref in self.images]

    def plan(self, current):
        catalog, resolved = current
        plan = _image_stores.plan(resolved, self.stores, catalog, central=self.params['central_store'],
                                  endpoint=self.client.base)
        self.known.update(central_store=plan.central, target_stores=plan.targets, images=plan.images)
        if plan.errors:
            for warning in plan.warnings:
                self.module.warn(warning)
            raise _image_stores.ImageStoresError('nothing was copied: %s' % '; '.join(plan.errors))
        return plan

    def apply(self, plan):
        params = self.params
        self.distributor = _image_stores.Distributor(self.client, plan,
                                                     all_stores_must_succeed=params['all_stores_must_succeed'])
        self.done = self.distributor.requests
        begin = time.monotonic()
        try:
            self.distributor.start()
            if params['wait']:
                self.distributor.wait(params['timeout'])
            else:
                self.distributor.no_wait()
        finally:
            self.known['seconds'] = round(time.monotonic() - begin, 2)
        failures = self.distributor.failures()
        if failures:
            raise _image_stores.ImageStoresError('%d of the copies did not complete: %s'
                                                 % (len(failures), '; '.join(failures)))

    def result(self, current, plan):
        if self.distributor is None:
            return {}
        return dict(changed=self.distributor.changed, actions=self.distributor.requests)

    def partial(self):
        return dict(self.known, round_trips=self.client.round_trips if self.client else 0)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_SDK:
        module.fail_json(msg=missing_required_lib('openstacksdk'), exception=SDK_IMPORT_ERROR)
    ImageStoresModule(module).run()


if __name__ == '__main__':
    main()
