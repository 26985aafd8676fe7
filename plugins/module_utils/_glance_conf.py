# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit the storage settings of glance-api.conf and nothing else.

The file belongs to the deployment (database, identity, paste); the
collection owns the store settings. ``plan()`` is pure: it takes the current
text and the desired settings and returns the new text and the list of
actions, keeping every other line (comments included) as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_options import SECRET_OPTIONS

SECTION_RE = re.compile(r"^\s*\[([^\]]+)\]\s*$")
OPTION_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*[=:]")

# Options that single-store Glance used; with enabled_backends they conflict
# with the multistore settings, so they go when the collection takes over.
LEGACY_GLANCE_STORE_OPTIONS = ("stores", "default_store")
# Sections Glance reserves for itself; never treated as stale stores.
RESERVED_SECTIONS = ("os_glance_staging_store", "os_glance_tasks_store")
# Glance's image import plugins and the conversion plugin's own section.
IMPORT_SECTION = "image_import_opts"
IMPORT_PLUGINS_OPTION = "image_import_plugins"
CONVERSION_PLUGIN = "image_conversion"
CONVERSION_SECTION = "image_conversion"
CONVERSION_FORMATS = ("raw", "qcow2", "vmdk")


# Drawn once per module run. S3 keys may be short operator-chosen strings: a plain
# hash of one would let anyone who reads the output test guesses against it.
_RUN_KEY = os.urandom(32)


def fingerprint(value):
    """A short tag of a secret for diffs and actions, keyed with a key drawn for this run.

    Equal secrets show equal tags within one run (a diff's before and after), so
    a change shows; across runs the tags differ, and none can be checked against
    a guessed secret."""
    return "hmac-sha256:" + hmac.new(_RUN_KEY, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def mask(section_options):
    """{option: value} with the values of secret options replaced by their fingerprint."""
    return {k: (fingerprint(v) if k in SECRET_OPTIONS and v else v) for k, v in section_options.items()}


def parse_plugins(value):
    """The plugin names of an image_import_plugins value (``['image_conversion', 'no_op']``)."""
    if value is None:
        return []
    text = value.strip().rstrip(",")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    names = []
    for item in text.split(","):
        item = item.strip().strip("'\"").strip()
        if item:
            names.append(item)
    return names


def format_plugins(names):
    return "[" + ", ".join(f"'{name}'" for name in names) + "]"


def conversion_settings(current_plugins, image_conversion):
    """(settings, removals) that turn the conversion plugin on or off, keeping other plugins.

    image_conversion: {enabled: bool, output_format: raw|qcow2|vmdk}. Other
    plugins the deployment enabled stay, in their order; the conversion plugin
    goes last (after a decompression plugin, which must run first).
    """
    plugins = parse_plugins(current_plugins)
    settings, removals = {}, {}
    if image_conversion.get("enabled"):
        fmt = image_conversion.get("output_format") or "raw"
        if fmt not in CONVERSION_FORMATS:
            raise ValueError(f"image_conversion.output_format {fmt!r} must be one of {', '.join(CONVERSION_FORMATS)}")
        wanted = plugins if CONVERSION_PLUGIN in plugins else plugins + [CONVERSION_PLUGIN]
        if wanted != plugins or current_plugins is None:
            settings[IMPORT_SECTION] = {IMPORT_PLUGINS_OPTION: format_plugins(wanted)}
        settings[CONVERSION_SECTION] = {"output_format": fmt}
    elif CONVERSION_PLUGIN in plugins:
        wanted = [name for name in plugins if name != CONVERSION_PLUGIN]
        if wanted:
            settings[IMPORT_SECTION] = {IMPORT_PLUGINS_OPTION: format_plugins(wanted)}
        else:
            removals[IMPORT_SECTION] = [IMPORT_PLUGINS_OPTION]
    return settings, removals


class Ini:
    """A minimal order-preserving INI document: sections of raw lines."""

    def __init__(self, text):
        self.head = []  # lines before the first section
        self.sections = []  # [name, [lines]] (lines include the header)
        current = self.head
        for line in text.splitlines():
            match = SECTION_RE.match(line)
            if match:
                current = [line]
                self.sections.append([match.group(1).strip(), current])
            else:
                current.append(line)

    def text(self):
        lines = list(self.head)
        for _name, body in self.sections:
            lines.extend(body)
        return "\n".join(lines) + "\n" if lines else ""

    def section(self, name):
        for sec_name, body in self.sections:
            if sec_name == name:
                return body
        return None

    def get(self, section, option):
        body = self.section(section)
        if body is None:
            return None
        for line in body[1:]:
            match = OPTION_RE.match(line)
            if match and match.group(1) == option and not line.lstrip().startswith(("#", ";")):
                return line.split("=", 1)[1].strip() if "=" in line else line.split(":", 1)[1].strip()
        return None

    def set(self, section, option, value):
        body = self.section(section)
        new_line = f"{option} = {value}"
        if body is None:
            if self.sections and self.sections[-1][1] and self.sections[-1][1][-1].strip():
                self.sections[-1][1].append("")
            self.sections.append([section, [f"[{section}]", new_line]])
            return
        last_option = 0
        for index, line in enumerate(body[1:], start=1):
            if line.strip() and not line.lstrip().startswith(("#", ";")):
                last_option = index
            match = OPTION_RE.match(line)
            if match and match.group(1) == option and not line.lstrip().startswith(("#", ";")):
                body[index] = new_line
                return
        body.insert(last_option + 1, new_line)

    def remove_option(self, section, option):
        body = self.section(section)
        if body is None:
            return False
        for index, line in enumerate(body[1:], start=1):
            match = OPTION_RE.match(line)
            if match and match.group(1) == option and not line.lstrip().startswith(("#", ";")):
                del body[index]
                return True
        return False

    def remove_section(self, name):
        before = len(self.sections)
        self.sections = [s for s in self.sections if s[0] != name]
        return len(self.sections) != before

    def as_dict(self, sections):
        """{section: {option: value}} for the named sections that exist.

        sections maps a section name to the options to show, or to None for all
        of them (a store section, which the collection owns whole). Options of
        shared sections that the collection does not manage are never shown:
        they may hold the deployment's secrets.
        """
        out = {}
        for name, only in sections.items():
            body = self.section(name)
            if body is None:
                continue
            values = {}
            for line in body[1:]:
                match = OPTION_RE.match(line)
                if match and not line.lstrip().startswith(("#", ";")):
                    if only is None or match.group(1) in only:
                        values[match.group(1)] = self.get(name, match.group(1))
            out[name] = values
        return out


def store_ids(enabled_backends):
    """Store ids of an enabled_backends value (``central:rbd, dcn0:rbd``)."""
    if not enabled_backends:
        return []
    return [item.split(":", 1)[0].strip() for item in enabled_backends.split(",") if item.strip()]


def store_types(enabled_backends):
    """[(store id, driver type)] of an enabled_backends value."""
    if not enabled_backends:
        return []
    out = []
    for item in enabled_backends.split(","):
        if item.strip():
            store_id, _sep, store_type = item.partition(":")
            out.append((store_id.strip(), store_type.strip()))
    return out


def _entries(enabled_backends):
    return [item.strip() for item in (enabled_backends or "").split(",") if item.strip()]


def merge_kept_stores(old_enabled, new_enabled, keep):
    """``new_enabled`` with each kept store's old entry back where it stood.

    A kept store (a site that could not be reached this run) goes right after
    the store that preceded it in ``old_enabled`` (or first when none did), so
    a site that fails, or comes back, never reorders the other stores: the
    value, and so the file, is the same as when every site answered.
    """
    old = _entries(old_enabled)
    old_ids = [entry.split(":", 1)[0].strip() for entry in old]
    result = _entries(new_enabled)
    for sid in [sid for sid in old_ids if sid in keep]:
        ids = [entry.split(":", 1)[0].strip() for entry in result]
        position = 0
        for previous in reversed(old_ids[:old_ids.index(sid)]):
            if previous in ids:
                position = ids.index(previous) + 1
                break
        result.insert(position, old[old_ids.index(sid)])
    separator = ", " if ", " in new_enabled else ","
    return separator.join(result)


def plan(text, settings, remove_options=None, keep_stores=None, image_conversion=None, secrets=None):
    """Return (new_text, actions, before, after) for the desired settings.

    settings: {section: {option: value-as-string}} the collection owns.
    remove_options: {section: [option, ...]} to delete when present.
    Stores listed in the current enabled_backends but not in the new one have
    their sections removed. Actions are dicts: set / remove_option / remove_section.
    keep_stores: store ids to leave exactly as they are (a site that could not
    be reached this run): when the file has them, their section and their entry
    in enabled_backends stay; when it does not, they are not added.
    image_conversion: None leaves Glance's import plugins as they are; a dict
    {enabled, output_format} turns the image_conversion plugin on or off.
    secrets: {section: {option: value}} written like settings; actions, before
    and after show their fingerprints only (as any secret option of the file).
    """
    ini = Ini(text)
    actions = []
    settings = {section: dict(options) for section, options in settings.items()}
    for section, options in (secrets or {}).items():
        settings.setdefault(section, {}).update(options)
    remove_options = {section: list(options) for section, options in (remove_options or {}).items()}
    if image_conversion is not None:
        extra, removals = conversion_settings(ini.get(IMPORT_SECTION, IMPORT_PLUGINS_OPTION), image_conversion)
        for section, options in extra.items():
            settings.setdefault(section, {}).update(options)
        for section, options in removals.items():
            remove_options.setdefault(section, []).extend(options)
    old_enabled = ini.get("DEFAULT", "enabled_backends")
    old_ids = store_ids(old_enabled)
    new_enabled = settings.get("DEFAULT", {}).get("enabled_backends")
    keep = [sid for sid in (keep_stores or []) if sid in old_ids and sid not in store_ids(new_enabled)]
    if new_enabled is not None and keep:
        settings = dict(settings)
        settings["DEFAULT"] = dict(settings["DEFAULT"])
        new_enabled = merge_kept_stores(old_enabled, new_enabled, keep)
        settings["DEFAULT"]["enabled_backends"] = new_enabled
    new_ids = store_ids(new_enabled) if new_enabled is not None else old_ids
    stale = [sid for sid in old_ids if sid not in new_ids and sid not in RESERVED_SECTIONS and sid not in settings]
    if new_enabled is not None:
        removals = dict(remove_options or {})
        removals.setdefault("glance_store", [])
        removals["glance_store"] = list(removals["glance_store"]) + [
            o for o in LEGACY_GLANCE_STORE_OPTIONS if o not in settings.get("glance_store", {})]
        remove_options = removals
    # What the diff shows: store sections whole, shared sections only where managed.
    shared = ("DEFAULT", "glance_store", IMPORT_SECTION, CONVERSION_SECTION)
    touched = {}
    for section in list(settings) + list(remove_options or {}):
        if section in shared:
            touched[section] = set(touched.get(section) or ()) | set(settings.get(section, {})) | set(
                (remove_options or {}).get(section, []))
        else:
            touched[section] = None
    for section in stale:
        touched[section] = None
    before = {name: mask(options) for name, options in ini.as_dict(touched).items()}

    for section in stale:
        if ini.remove_section(section):
            actions.append({"action": "remove_section", "section": section})
    for section, options in (remove_options or {}).items():
        for option in options:
            if option in settings.get(section, {}):
                continue
            if ini.remove_option(section, option):
                actions.append({"action": "remove_option", "section": section, "option": option})
    for section, options in settings.items():
        for option, value in options.items():
            value = "" if value is None else str(value)
            if ini.get(section, option) != value:
                ini.set(section, option, value)
                shown = fingerprint(value) if option in SECRET_OPTIONS else value
                actions.append({"action": "set", "section": section, "option": option, "value": shown})
    after = {name: mask(options) for name, options in ini.as_dict(touched).items()}
    return ini.text(), actions, before, after
