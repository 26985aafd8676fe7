#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: glance_store_config
short_description: Manage the storage settings of glance-api.conf
version_added: 0.1.0
description:
  - Sets the storage options of an existing C(glance-api.conf) (C(enabled_backends), the default
    store, one section per store, import methods, staging and tasks directories) and leaves every
    other line of the file as it was, comments included.
  - A store that was listed in the file's C(enabled_backends) but is no longer declared has its
    section removed. The single-store options C([glance_store] stores) and C(default_store) are
    removed once C(enabled_backends) is managed, since they conflict with multistore.
  - The file is replaced atomically, keeping its owner, group and mode unless they are given.
author:
  - edgestack maintainers (@edgestack)
attributes:
  check_mode:
    support: full
    description: Reads the file and reports the changes a real run would make, writing nothing.
  diff_mode:
    support: full
    description: Shows the managed sections before and after.
options:
  path:
    description: The glance-api configuration file. It must exist.
    type: path
    default: /etc/glance/glance-api.conf
  settings:
    description:
      - "The settings the collection owns, as C({section: {option: value}}), typically from the
        P(edgestack.glance_ceph.glance_api_settings#filter) filter."
      - Values are written as given (strings); booleans and numbers are converted to strings.
    type: dict
    required: true
  remove_options:
    description: "Options to delete when present, as C({section: [option, ...]})."
    type: dict
    default: {}
  keep_stores:
    description:
      - Store ids to leave exactly as the file has them, typically the stores of sites that could not
        be reached this run, so that their images stay reachable. A kept store that the file has
        keeps its section and its C(enabled_backends) entry; one the file lacks is not added.
    type: list
    elements: str
    default: []
  owner:
    description: Owner of the file; unchanged when omitted.
    type: str
  group:
    description: Group of the file; unchanged when omitted.
    type: str
  mode:
    description: Mode of the file, quoted octal such as C("0640"); unchanged when omitted.
    type: raw
"""

EXAMPLES = r"""
- name: Give the central Glance API every site's RBD store
  edgestack.glance_ceph.glance_store_config:
    path: /etc/glance/glance-api.conf
    settings: "{{ stores | edgestack.glance_ceph.glance_store_sections }}"
    owner: root
    group: glance
    mode: "0640"
  notify: Restart glance-api

- name: One RBD store, spelled out
  edgestack.glance_ceph.glance_store_config:
    settings:
      DEFAULT:
        enabled_backends: "central:rbd"
        show_image_direct_url: "True"
      glance_store:
        default_backend: central
      central:
        rbd_store_pool: images
        rbd_store_user: glance
        rbd_store_ceph_conf: /etc/ceph/central.conf
"""

RETURN = r"""
actions:
  description: What changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: dict
  sample:
    - {action: remove_section, section: dcn2}
    - {action: set, section: DEFAULT, option: enabled_backends, value: "central:rbd,dcn0:rbd"}
stores_removed:
  description: Sections removed because their store is no longer declared.
  returned: always
  type: list
  elements: str
  sample: [dcn2]
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils._glance_conf import plan


def _stringify(settings):
    out = {}
    for section, options in settings.items():
        if not isinstance(options, dict):
            raise ValueError(f"settings.{section} must be a mapping of option: value")
        out[str(section)] = {}
        for option, value in options.items():
            if isinstance(value, bool):
                value = "True" if value else "False"
            elif isinstance(value, (list, tuple)):
                value = ",".join(str(v) for v in value)
            out[str(section)][str(option)] = "" if value is None else str(value)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/glance/glance-api.conf"),
            settings=dict(type="dict", required=True),
            remove_options=dict(type="dict", default={}),
            keep_stores=dict(type="list", elements="str", default=[]),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="raw"),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    if not os.path.isfile(path):
        module.fail_json(msg=f"{path} does not exist: glance-api must be installed and configured before "
                             "the collection sets its storage (the deployment owns the rest of the file)")
    try:
        settings = _stringify(module.params["settings"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    new_text, actions, before, after = plan(text, settings, module.params["remove_options"],
                                            module.params["keep_stores"])
    changed = bool(actions)
    result = {
        "changed": changed,
        "actions": actions,
        "stores_removed": [a["section"] for a in actions if a["action"] == "remove_section"],
    }
    if module._diff:
        result["diff"] = {"before": before, "after": after, "before_header": path, "after_header": path}
    if changed and not module.check_mode:
        st = os.stat(path)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".glance-api.conf.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(new_text)
            os.chmod(tmp, st.st_mode & 0o7777)
            os.chown(tmp, st.st_uid, st.st_gid)
            module.atomic_move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    file_args = module.load_file_common_arguments(
        {"path": path, "owner": module.params["owner"], "group": module.params["group"],
         "mode": module.params["mode"]})
    result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
