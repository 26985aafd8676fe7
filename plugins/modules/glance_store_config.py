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
  - Optionally turns Glance's C(image_conversion) import plugin on or off (C([image_import_opts]
    image_import_plugins) and C([image_conversion] output_format)), keeping any other import plugin.
  - Before anything is written, every store section is checked against the options glance_store 4.1
    (Glance 25) reads for its driver (unknown options, missing credentials) and, with O(probe), S3 and
    Swift stores are asked from this host whether they answer with their credentials. A bad store fails
    the task with the file unchanged, so a running glance-api keeps its working settings.
author:
  - edgestack maintainers (@edgestack)
attributes:
  check_mode:
    support: full
    description: Reads the file and reports the changes a real run would make, writing nothing.
  diff_mode:
    support: full
    description: Shows the managed sections before and after, secret options as fingerprints.
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
  secrets:
    description:
      - "Secret store options (S3 keys, a Cinder password), as C({section: {option: value}}). Written like
        O(settings) but never shown: actions and diffs carry a fingerprint instead."
    type: dict
    default: {}
  image_conversion:
    description:
      - Glance's image conversion on import. Unset leaves the import plugins as the file has them.
    type: dict
    suboptions:
      enabled:
        description: Whether the C(image_conversion) plugin runs on every import (not on copy-image).
        type: bool
        required: true
      output_format:
        description: The format images are converted to.
        type: str
        choices: [raw, qcow2, vmdk]
        default: raw
  files:
    description:
      - Files the stores read, written after every check has passed, typically each Swift store's
        reference file from P(edgestack.glance_ceph.glance_swift_references#filter). They hold credentials;
        their content is no_log, results name the paths only, diffs never show them.
      - A Swift store whose C(swift_store_config_file) is one of these paths is probed with this content,
        not with the file on disk.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the file.
        type: path
        required: true
      content:
        description: The file's text.
        type: str
        required: true
      store:
        description: The store the file belongs to (for messages).
        type: str
  files_dir:
    description:
      - Directory of the Swift reference files. A C(glance-swift-*.conf) file in it that the collection
        wrote (its first line says so) and that is not in O(files) belongs to a store that is gone, so it is
        removed, with its credentials. Files the collection did not write are never removed.
      - Unset removes nothing.
    type: path
    version_added: 0.1.0
  files_group:
    description: Group of the files in O(files), written root-owned with mode 0640.
    type: str
    default: glance
  probe:
    description:
      - Ask each S3 store (its bucket, with its keys) and each Swift store with a reference file (its auth
        URL, with its user and key) whether it answers, from this host, before writing.
    type: bool
    default: true
  stores_variable:
    description: The name of the variable the stores come from, for error messages.
    type: str
    default: settings
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
  host:
    description:
      - What the Glance API host needs beside the settings, checked before anything changes and kept
        with them. Omitted, the module manages the file (and O(files)) only.
      - Before any change it fails, naming the fix, when O(host.user) does not exist or cannot read a
        file of O(host.readable), or when the settings turn image conversion on and O(host.staging_dir)
        has less than O(host.min_free_gib) free (once conversion is on, a staging area busy with an
        import fails no run).
      - When a command of O(host.commands) is missing, it changes nothing and returns its name in
        RV(needs); the caller installs it and runs the module again. Check mode shows what the run
        would change once it is installed.
      - Otherwise it creates the directories of O(host.directories) (or sets their owner, group and
        mode) before it writes the file, and with O(host.restart_marker) leaves that file behind
        whenever it changes the settings, until the caller restarted the service and removed it.
    type: dict
    suboptions:
      user:
        description: The user glance-api runs as.
        type: str
        default: glance
      group:
        description: The group of O(host.directories).
        type: str
        default: glance
      readable:
        description: Files O(host.user) must be able to read, such as each RBD store's Ceph conf and keyring.
        type: list
        elements: path
        default: []
      directories:
        description: Directories O(host.user) owns with mode 0750 (staging, tasks, file stores).
        type: list
        elements: path
        default: []
      staging_dir:
        description: The staging directory, whose free space O(host.min_free_gib) bounds.
        type: path
      min_free_gib:
        description: GiB the staging directory needs free before image conversion is turned on; 0 checks nothing.
        type: int
        default: 0
      commands:
        description: Commands the settings need on this host, such as C(qemu-img) for image conversion.
        type: list
        elements: str
        default: []
      restart_marker:
        description: A file that keeps a restart pending after the settings changed (root, 0644).
        type: path
      names:
        description:
          - "The variables an operator sets, for the messages: C({stores: ..., user: ..., group: ...,
            min_free_gib: ..., image_conversion: ...})."
        type: dict
        default: {}
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
  description:
    - What changed (or would change in check mode), in order. C(write_file) and C(remove_file) name a
      Swift reference file by its path only.
  returned: always
  type: list
  elements: dict
  sample:
    - {action: remove_file, path: /etc/glance/glance-swift-objects.conf}
    - {action: remove_section, section: dcn2}
    - {action: set, section: DEFAULT, option: enabled_backends, value: "central:rbd,dcn0:rbd"}
problems:
  description: What is wrong with the stores, when the task fails because of them (no secret values).
  returned: failure
  type: list
  elements: str
  sample: ["store objects (s3): bucket 'glance' does not exist at http://192.0.2.5:8080"]
stores_removed:
  description: Sections removed because their store is no longer declared.
  returned: always
  type: list
  elements: str
  sample: [dcn2]
needs:
  description:
    - Commands of O(host.commands) the host lacks. When any, a real run changed nothing; check mode
      reports what the run would change once they are installed.
  returned: always
  type: list
  elements: str
  sample: [qemu-img]
restart_pending:
  description:
    - With O(host.restart_marker), whether glance-api must restart to load the settings (they changed
      in this run, or the marker of an earlier run is still there). False without it.
  returned: always
  type: bool
before:
  description: The managed sections before the run, secret options as fingerprints.
  returned: always
  type: str
after:
  description: The managed sections after the run, in the same form as RV(before).
  returned: always
  type: str
"""

import grp
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _glance_host
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _preflight
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._glance_conf import (
    CONVERSION_PLUGIN, IMPORT_PLUGINS_OPTION, IMPORT_SECTION, Ini, parse_plugins, plan, store_types)
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_options import (
    SWIFT_REFERENCE_HEADER, direct_url_problem, store_problems)
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_probe import (
    probe_s3, probe_swift, read_swift_reference, swift_reference_from_text)


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


def _store_sections(text):
    """[(store id, type, options)] of the stores the new file enables."""
    ini = Ini(text)
    out = []
    for store_id, store_type in store_types(ini.get("DEFAULT", "enabled_backends")):
        section = ini.section(store_id)
        options = {}
        if section is not None:
            for option in ini.as_dict({store_id: None}).get(store_id, {}):
                options[option] = ini.get(store_id, option)
        out.append((store_id, store_type, options))
    return out


def plan_files(files, group, files_dir=None):
    """[{action: write_file, path}] for the files whose content, owner or mode differ (no content shown),
    then [{action: remove_file, path}] for the reference files the collection wrote in ``files_dir``
    for stores that are gone (their first line is the collection's header)."""
    out = []
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        gid = None
    for path, content in files.items():
        try:
            with open(path, encoding="utf-8") as fh:
                same = fh.read() == content
            st = os.stat(path)
            same = same and st.st_uid == 0 and st.st_gid == gid and (st.st_mode & 0o777) == 0o640
        except OSError:
            same = False
        if not same:
            out.append({"action": "write_file", "path": path})
    if files_dir and os.path.isdir(files_dir):
        for name in sorted(os.listdir(files_dir)):
            path = os.path.join(files_dir, name)
            if path in files or not (name.startswith("glance-swift-") and name.endswith(".conf")):
                continue
            try:
                with open(path, encoding="utf-8") as fh:
                    ours = fh.readline().startswith(SWIFT_REFERENCE_HEADER)
            except (OSError, UnicodeDecodeError):
                ours = False
            if ours:
                out.append({"action": "remove_file", "path": path})
    return out


def files_problems(files):
    """A file goes into an existing directory: name the ones that have none."""
    return [f"the directory of {path} does not exist: install glance-api first (it creates /etc/glance), or "
            "set the stores' reference directory to an existing one" for path in files
            if not os.path.isdir(os.path.dirname(path))]


def write_file(path, content, group):
    """Write a file root:group 0640 atomically; its content is never in the result."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise _lifecycle.EdgestackModuleError(
            f"group {group} does not exist: install glance-api first, or set files_group")
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".glance-store-file.")
    try:
        os.fchown(fd, 0, gid)
        os.fchmod(fd, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        # A rename in the same directory keeps the temporary file's owner and mode: the file
        # is never readable by others, not even for a moment (atomic_move gives a new file
        # the default mode first).
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_stores(text, settings, probe, files=None):
    """Problems with the stores of the new file: option names, credentials, and (probe) answers."""
    problems = []
    declared = set(settings)
    for store_id, store_type, options in _store_sections(text):
        if store_id not in declared:
            continue  # a kept store (site unreachable this run) is left as it is
        for problem in store_problems({"id": store_id, "type": store_type, "options": options}):
            problems.append(f"store {store_id} ({store_type}): {problem}")
        if problems or not probe:
            continue
        problem = None
        if store_type == "s3":
            problem = probe_s3(options)
        elif store_type == "swift" and options.get("swift_store_config_file"):
            path, reference = options["swift_store_config_file"], options.get("default_swift_reference") or "ref1"
            if path in (files or {}):
                auth = swift_reference_from_text(files[path], path, reference)
            else:
                auth = read_swift_reference(path, reference)
            problem = auth if isinstance(auth, str) else probe_swift(auth)
        if problem:
            problems.append(f"store {store_id} ({store_type}): {problem}")
    ini = Ini(text)
    shown = (ini.get("DEFAULT", "show_image_direct_url") or "false").strip().lower() == "true"
    stores = [{"id": store_id, "type": store_type}
              for store_id, store_type in store_types(ini.get("DEFAULT", "enabled_backends"))]
    problem = direct_url_problem(stores, shown)
    if problem:
        problems.append(f"show_image_direct_url {problem}")
    return problems


RESTART_MARKER_TEXT = "glance-api must restart to load the storage settings that edgestack.glance_ceph wrote\n"


def _conversion_on(text):
    return CONVERSION_PLUGIN in parse_plugins(Ini(text).get(IMPORT_SECTION, IMPORT_PLUGINS_OPTION))


def _mode(value):
    if value is None:
        return None
    try:
        return int(value, 8) if isinstance(value, str) else int(value)
    except ValueError:
        raise _lifecycle.EdgestackModuleError(f"mode must be octal, such as '0640', got {value!r}")


# The actions on the host beside glance-api.conf's own settings.
HOST_ACTIONS = ("create_dir", "dir_attributes", "write_file", "remove_file", "file_attributes", "restart_marker")


def _conf_actions(actions):
    """The actions that change glance-api.conf's text."""
    return [a for a in actions if a["action"] not in HOST_ACTIONS]


class StoreConfigModule(_lifecycle.Lifecycle):
    """Read the file (and the host), plan the settings, the files and the host's needs, apply."""

    def read(self):
        params = self.params
        path = params["path"]
        if not os.path.isfile(path):
            raise _lifecycle.EdgestackModuleError(
                f"{path} does not exist: glance-api must be installed and configured before "
                "the collection sets its storage (the deployment owns the rest of the file)")
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        st = os.stat(path)
        host = params["host"]
        try:
            found = _glance_host.read_host(host) if host else None
        except _preflight.RunError as exc:
            raise _lifecycle.EdgestackModuleError(str(exc))
        return {"text": text, "stat": (st.st_uid, st.st_gid, st.st_mode & 0o7777), "host": found}

    def plan(self, current):
        params = self.params
        path = params["path"]
        try:
            settings = _stringify(params["settings"])
            secrets = _stringify(params["secrets"])
            new_text, actions, before, after = plan(current["text"], settings, params["remove_options"],
                                                    params["keep_stores"], params["image_conversion"], secrets)
        except ValueError as exc:
            raise _lifecycle.EdgestackModuleError(str(exc))
        host, found = params["host"], current["host"]
        if host:
            conversion = params["image_conversion"] or {}
            turns_on = bool(conversion.get("enabled")) and not _conversion_on(current["text"])
            problems = _glance_host.host_problems(host, found, turns_on, host["names"] or {})
            if problems:
                raise _lifecycle.EdgestackModuleError(
                    " | ".join(problems) + f" ({path} was left unchanged)", problems=problems)
        files = {f["path"]: f["content"] for f in params["files"]}
        problems = files_problems(files) or check_stores(new_text, {**settings, **secrets}, params["probe"], files)
        if problems:
            raise _lifecycle.EdgestackModuleError(
                f"{params['stores_variable']}: " + "; ".join(problems) + f". {path} was left unchanged.",
                problems=problems)
        self.files, self.new_text = files, new_text
        dir_actions = []
        if host:
            self.dir_ids = (found["uid"], found["group_gid"])
            dir_actions = _glance_host.directory_actions(host["directories"], found["dirs"], found["uid"],
                                                         found["group_gid"], 0o750)
        actions = dir_actions + plan_files(files, params["files_group"], params["files_dir"]) + actions
        attributes = self._attributes(current["stat"])
        if attributes:
            actions.append(dict(attributes, action="file_attributes", path=path))
        if _conf_actions(actions) and host and host.get("restart_marker") and not found["restart_pending"]:
            actions.append({"action": "restart_marker", "path": host["restart_marker"]})
        diff = {"before": before, "after": after, "before_header": path, "after_header": path}
        # A command the settings need that the host lacks: a real run changes nothing until the
        # caller installed it (the lifecycle sees to it); check mode shows the whole plan.
        return _lifecycle.Plan(actions=actions, before=before, after=after, diff=diff,
                               needs=found["missing_commands"] if found else [])

    def _attributes(self, stat):
        """The owner, group and mode the file must get, as far as they differ."""
        params, wanted = self.params, {}
        try:
            if params["owner"] is not None and pwd.getpwnam(params["owner"]).pw_uid != stat[0]:
                wanted["owner"] = params["owner"]
            if params["group"] is not None and grp.getgrnam(params["group"]).gr_gid != stat[1]:
                wanted["group"] = params["group"]
        except KeyError as exc:
            raise _lifecycle.EdgestackModuleError(f"no such user or group: {exc}")
        mode = _mode(params["mode"])
        if mode is not None and mode != stat[2]:
            wanted["mode"] = f"{mode:04o}"
        return wanted

    def apply(self, plan):
        params = self.params
        for action in plan.actions:  # the directories and the stores' files come first
            kind = action["action"]
            if kind in ("create_dir", "dir_attributes"):
                _glance_host.make_directory(action["path"], self.dir_ids[0], self.dir_ids[1], 0o750)
            elif kind == "remove_file":
                os.unlink(action["path"])
            elif kind == "write_file":
                write_file(action["path"], self.files[action["path"]], params["files_group"])
            else:
                continue
            self.done.append(action)
        conf = _conf_actions(plan.actions)
        if conf:
            self._write_conf()
            self.done.extend(conf)
        for action in plan.actions:  # then the file's attributes, and the restart kept pending
            if action["action"] == "file_attributes":
                file_args = self.module.load_file_common_arguments(
                    {"path": params["path"], "owner": params["owner"], "group": params["group"],
                     "mode": params["mode"]})
                self.module.set_fs_attributes_if_different(file_args, False)
            elif action["action"] == "restart_marker":
                _glance_host.write_marker(action["path"], RESTART_MARKER_TEXT)
            else:
                continue
            self.done.append(action)

    def _write_conf(self):
        """Replace glance-api.conf atomically, keeping its owner, group and mode."""
        path = self.params["path"]
        st = os.stat(path)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".glance-api.conf.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.new_text)
            os.chmod(tmp, st.st_mode & 0o7777)
            os.chown(tmp, st.st_uid, st.st_gid)
            self.module.atomic_move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def result(self, current, plan):
        host, found = self.params["host"], current["host"]
        pending = bool(host and host.get("restart_marker")) and bool(
            found["restart_pending"] or _conf_actions(plan.actions))
        return {"stores_removed": [a["section"] for a in plan.actions if a["action"] == "remove_section"],
                "needs": plan.needs, "restart_pending": pending}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/glance/glance-api.conf"),
            settings=dict(type="dict", required=True),
            remove_options=dict(type="dict", default={}),
            secrets=dict(type="dict", default={}, no_log=True),
            image_conversion=dict(type="dict", options=dict(
                enabled=dict(type="bool", required=True),
                output_format=dict(type="str", choices=["raw", "qcow2", "vmdk"], default="raw"),
            )),
            probe=dict(type="bool", default=True),
            stores_variable=dict(type="str", default="settings"),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                content=dict(type="str", required=True, no_log=True),
                store=dict(type="str"),
            )),
            files_group=dict(type="str", default="glance"),
            files_dir=dict(type="path"),
            keep_stores=dict(type="list", elements="str", default=[]),
            host=dict(type="dict", options=dict(
                user=dict(type="str", default="glance"),
                group=dict(type="str", default="glance"),
                readable=dict(type="list", elements="path", default=[]),
                directories=dict(type="list", elements="path", default=[]),
                staging_dir=dict(type="path"),
                min_free_gib=dict(type="int", default=0),
                commands=dict(type="list", elements="str", default=[]),
                restart_marker=dict(type="path"),
                names=dict(type="dict", default={}),
            )),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="raw"),
        ),
        supports_check_mode=True,
    )
    StoreConfigModule(module).run()


if __name__ == "__main__":
    main()
