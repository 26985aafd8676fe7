# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml when the topology moves: an edge site down, an edge site added.

These tests change the lab (stop a mon, add a site), so they run after the
other integration tests (file order) and leave the lab healthy.
"""

from __future__ import annotations

import subprocess
import time

from conftest import LAB, REPO, Lab, _lab_status, run_playbook

SITE = REPO / "playbooks" / "site.yml"


def stores_of(lab, site):
    status, info = lab.glance(lab.vip(site), "GET", "/v2/info/stores")
    assert status == 200, info
    return {s["id"] for s in info["stores"]}


def test_an_edge_site_that_is_down_fails_alone_and_recovers_on_a_rerun(lab):
    edge = sorted(s for s in lab.sites if s != "central")[-1]
    host = lab.ceph_host(edge)
    # test_site.py converged the lab before (file order)
    lab.exec(host, ["pkill", "-TERM", "-f", f"ceph-mon --cluster {edge}"], check=True)
    try:
        t0 = time.monotonic()
        down = run_playbook(SITE, lab.inventory_args, env={"ANSIBLE_STDOUT_CALLBACK": "default"})
        elapsed = time.monotonic() - t0
        out = down.stdout
        print(f"site.yml with {edge}'s mon stopped: {elapsed:.1f}s, rc={down.rc}")
        assert down.rc != 0
        assert elapsed < 420, f"a down edge site held the run for {elapsed:.0f}s"
        assert f"{edge} (edge): INCOMPLETE" in out
        assert "central (central): ok" in out
        for other in lab.sites:
            if other not in (edge, "central"):
                assert f"{other} (edge): ok" in out
        # central kept the down site's store
        conf = lab.exec(lab.glance_hosts("central")[0], ["cat", "/etc/glance/glance-api.conf"], check=True).stdout
        assert f"[{edge}]" in conf
    finally:
        proc = subprocess.run(["python3", str(LAB), "up"], capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr
    again = run_playbook(SITE, lab.inventory_args)
    assert again.rc == 0, again.stdout[-3000:]
    assert stores_of(lab, "central") >= {"central", edge}


def test_adding_an_edge_site_configures_it_and_gives_central_its_store_changing_nothing_else(lab):
    # the previous test ended with a converged run
    edges = sorted(s for s in lab.sites if s != "central")
    new = f"dcn{len(edges)}"
    proc = subprocess.run(["python3", str(LAB), "up", "--edge-sites", str(len(edges) + 1)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr
    grown = Lab(_lab_status())
    assert new in grown.sites
    result = run_playbook(SITE, grown.inventory_args)
    assert result.rc == 0, result.stdout[-3000:]
    changed = {host: s["changed"] for host, s in result.stats.items() if s["changed"]}
    allowed = set(grown.hosts_with("glance", "central")) | {h for h, v in grown.hosts.items() if v["site"] == new}
    assert set(changed) <= allowed, f"hosts outside {new} and central's Glance changed: {changed}"
    assert any(grown.hosts[h]["site"] == new for h in changed)
    assert new in stores_of(grown, "central")
    assert stores_of(grown, new) == {new, "central"}
    for edge in edges:
        assert new not in stores_of(grown, edge)
        for host in grown.glance_hosts(edge):
            assert grown.exec(host, ["test", "-e", f"/etc/ceph/{new}.conf"]).returncode != 0
