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

import re

SECTION_RE = re.compile(r"^\s*\[([^\]]+)\]\s*$")
OPTION_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*[=:]")

# Options that single-store Glance used; with enabled_backends they conflict
# with the multistore settings, so they go when the collection takes over.
LEGACY_GLANCE_STORE_OPTIONS = ("stores", "default_store")
# Sections Glance reserves for itself; never treated as stale stores.
RESERVED_SECTIONS = ("os_glance_staging_store", "os_glance_tasks_store")


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


def plan(text, settings, remove_options=None, keep_stores=None):
    """Return (new_text, actions, before, after) for the desired settings.

    settings: {section: {option: value-as-string}} the collection owns.
    remove_options: {section: [option, ...]} to delete when present.
    Stores listed in the current enabled_backends but not in the new one have
    their sections removed. Actions are dicts: set / remove_option / remove_section.
    keep_stores: store ids to leave exactly as they are (a site that could not
    be reached this run): when the file has them, their section and their entry
    in enabled_backends stay; when it does not, they are not added.
    """
    ini = Ini(text)
    actions = []
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
    shared = ("DEFAULT", "glance_store")
    touched = {}
    for section in list(settings) + list(remove_options or {}):
        if section in shared:
            touched[section] = set(touched.get(section) or ()) | set(settings.get(section, {})) | set(
                (remove_options or {}).get(section, []))
        else:
            touched[section] = None
    for section in stale:
        touched[section] = None
    before = ini.as_dict(touched)

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
                actions.append({"action": "set", "section": section, "option": option, "value": value})
    after = ini.as_dict(touched)
    return ini.text(), actions, before, after
