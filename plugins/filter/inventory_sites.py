# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""inventory_sites: the sites an inventory (one overlay per site) describes.

The playbooks use the site plan (site_plan.py); these filters stay for compatibility.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

ROLE_GROUPS = ("ceph_admin", "glance_api", "glance_haproxy")


def _hv(hostvars, host, key, default=None):
    try:
        value = hostvars[host].get(key, default) if isinstance(hostvars[host], Mapping) else default
    except KeyError:
        value = default
    return value


def inventory_sites(hostvars, groups, detail=False):
    """Return the sites of the inventory, central first, then edges by name.

    Every host that sets ``edgestack_site`` must be in the group named after
    its site (that group is the site overlay); hosts of one site must agree on
    its type. ``detail=False`` gives [{name, type}] (what the store-map filters
    take); ``detail=True`` adds the site's hosts per role and its addresses.
    """
    sites = {}
    for host in sorted(groups.get("all", [])):
        name = _hv(hostvars, host, "edgestack_site")
        if name is None:
            continue
        if _rules.site_name_problem(name):
            raise AnsibleFilterError(f"{host}: edgestack_site {_rules.site_name_problem(name)}")
        if host not in groups.get(name, []):
            raise AnsibleFilterError(
                f"{host} has edgestack_site={name!r} but is not in the group {name!r}: either two site "
                f"overlays use the same site name (give each site its own edgestack_site, equal to its "
                f"group name) or the host is missing from its site group")
        site_type = _hv(hostvars, host, "edgestack_site_type")
        site = sites.setdefault(name, {"name": name, "type": site_type, "hosts": []})
        if site["type"] != site_type:
            raise AnsibleFilterError(
                f"site {name!r}: hosts disagree on edgestack_site_type ({site['type']!r} and {site_type!r} "
                f"on {host}): set it once, in the site's group vars")
        site["hosts"].append(host)
    if not sites:
        raise AnsibleFilterError(
            "no host sets edgestack_site: give each site overlay group vars with edgestack_site and "
            "edgestack_site_type (see inventories/example/)")
    for site in sites.values():
        if site["type"] not in _rules.SITE_TYPES:
            raise AnsibleFilterError(
                f"site {site['name']!r}: edgestack_site_type is {site['type']!r}; set central or edge")
    centrals = [s["name"] for s in sites.values() if s["type"] == "central"]
    if len(centrals) != 1:
        raise AnsibleFilterError(
            f"the inventory has {len(centrals)} central sites ({', '.join(centrals) or 'none'}): "
            "add the central overlay (-i inventories/<env>/central) or set edgestack_site_type: edge "
            "on all but one site")
    ordered = sorted(sites.values(), key=lambda s: (s["type"] != "central", s["name"]))
    if not detail:
        return [{"name": s["name"], "type": s["type"]} for s in ordered]
    out = []
    for site in ordered:
        first = site["hosts"][0]
        entry = {
            "name": site["name"],
            "type": site["type"],
            "hosts": site["hosts"],
            "mon_addresses": _hv(hostvars, first, "edgestack_ceph_mon_addresses", []),
            "glance_vip": _hv(hostvars, first, "edgestack_glance_vip"),
            "glance_port": int(_hv(hostvars, first, "edgestack_glance_port", 9292)),
        }
        for role in ROLE_GROUPS:
            entry[role] = [h for h in site["hosts"] if h in groups.get(role, [])]
        out.append(entry)
    return out


def unavailable_sites(site_detail, hostvars, fact="edgestack_ceph_converged"):
    """Names of sites none of whose ceph_admin hosts set ``fact`` this run.

    When no site set it, the Ceph plays did not run (glance.yml on its own):
    then no site counts as unavailable.
    """
    if not any(_hv(hostvars, host, fact) for site in site_detail for host in site.get("ceph_admin") or []):
        return []
    out = []
    for site in site_detail:
        admins = site.get("ceph_admin") or []
        if admins and not any(_hv(hostvars, host, fact) for host in admins):
            out.append(site["name"])
    return out


def reachable_stores(stores, unavailable):
    """The stores whose cluster is not among the unavailable sites (non-RBD stores stay)."""
    return [s for s in stores if s.get("type") != "rbd" or s.get("cluster") not in set(unavailable or [])]


def glance_backends(site, hostvars):
    """[{name, address}] of a site's glance-api hosts (inventory_sites detail entry)."""
    out = []
    for host in site.get("glance_api") or []:
        address = _hv(hostvars, host, "edgestack_glance_bind_address") or _hv(hostvars, host, "ansible_host") or host
        out.append({"name": host, "address": address})
    return out


STAGES = (
    ("ceph", "ceph_admin", "edgestack_ceph_converged"),
    ("glance", "glance_api", "edgestack_glance_converged"),
    ("haproxy", "glance_haproxy", "edgestack_haproxy_converged"),
    ("verified", "glance_haproxy", "edgestack_verified"),
)


def site_summary(site_detail, hostvars):
    """One line per site: what converged this run, and which hosts did not."""
    lines = []
    for site in site_detail:
        missing = []
        for stage, group, fact in STAGES:
            behind = [h for h in site.get(group) or [] if not _hv(hostvars, h, fact)]
            if behind:
                missing.append(f"{stage}: {', '.join(behind)}")
        if missing:
            lines.append(f"{site['name']} ({site['type']}): INCOMPLETE - " + "; ".join(missing))
        else:
            lines.append(f"{site['name']} ({site['type']}): ok - " + ", ".join(stage[0] for stage in STAGES))
    return lines


class FilterModule:
    """Sites of an inventory."""

    def filters(self):
        return {
            "inventory_sites": inventory_sites,
            "unavailable_sites": unavailable_sites,
            "reachable_stores": reachable_stores,
            "glance_backends": glance_backends,
            "site_summary": site_summary,
        }
