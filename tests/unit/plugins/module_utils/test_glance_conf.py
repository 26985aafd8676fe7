# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning of glance-api.conf storage settings."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_api_settings import glance_api_settings
from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_map
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._glance_conf import Ini, merge_kept_stores, plan

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SITES = [{"name": "central", "type": "central"}, {"name": "dcn0", "type": "edge"}, {"name": "dcn1", "type": "edge"}]


def lab_conf():
    return (FIXTURES / "glance-api.conf.lab").read_text()


def stock_conf():
    return gzip.decompress((FIXTURES / "glance-api.conf.debian-stock.gz").read_bytes()).decode()


def settings_for(site, sites=None):
    return glance_api_settings(glance_store_map(SITES if sites is None else sites, site))


@pytest.mark.parametrize("conf", [lab_conf, stock_conf], ids=["lab", "debian-stock"])
def test_first_run_sets_stores_and_drops_single_store_options(conf):
    text, actions = plan(conf(), settings_for("central"))[:2]
    ini = Ini(text)
    assert ini.get("DEFAULT", "enabled_backends") == "central:rbd,dcn0:rbd,dcn1:rbd"
    assert ini.get("glance_store", "default_backend") == "central"
    assert ini.get("glance_store", "stores") is None
    assert ini.get("glance_store", "default_store") is None
    assert ini.get("dcn0", "rbd_store_ceph_conf") == "/etc/ceph/dcn0.conf"
    assert ini.get("os_glance_staging_store", "filesystem_store_datadir") != ini.get(
        "os_glance_tasks_store", "filesystem_store_datadir")
    assert {"action": "set", "section": "DEFAULT", "option": "enabled_backends",
            "value": "central:rbd,dcn0:rbd,dcn1:rbd"} in actions


@pytest.mark.parametrize("conf", [lab_conf, stock_conf], ids=["lab", "debian-stock"])
def test_second_run_plans_nothing(conf):
    once = plan(conf(), settings_for("dcn0"))[0]
    twice, actions, before, after = plan(once, settings_for("dcn0"))
    assert actions == []
    assert twice == once
    assert before == after


def test_deployment_settings_and_comments_are_kept():
    original = lab_conf()
    text = plan(original, settings_for("central"))[0]
    for line in original.splitlines():
        if line.startswith(("#", "connection", "password", "flavor", "bind_host", "auth_url")):
            assert line in text.splitlines(), line
    stock = stock_conf()
    text = plan(stock, settings_for("central"))[0]
    comments = [line for line in stock.splitlines() if line.startswith("#")]
    assert [line for line in text.splitlines() if line.startswith("#")] == comments


def test_edge_site_gets_its_own_store_as_default_and_central():
    text = plan(lab_conf(), settings_for("dcn1"))[0]
    ini = Ini(text)
    assert ini.get("DEFAULT", "enabled_backends") == "dcn1:rbd,central:rbd"
    assert ini.get("glance_store", "default_backend") == "dcn1"
    assert ini.section("dcn0") is None


def test_a_store_no_longer_declared_loses_its_section():
    with_two_edges = plan(lab_conf(), settings_for("central"))[0]
    one_edge = SITES[:2]
    text, actions, before, after = plan(with_two_edges, settings_for("central", one_edge))
    ini = Ini(text)
    assert ini.section("dcn1") is None
    assert ini.get("DEFAULT", "enabled_backends") == "central:rbd,dcn0:rbd"
    assert {"action": "remove_section", "section": "dcn1"} in actions
    assert "dcn1" in before and "dcn1" not in after


def test_drifted_option_is_corrected_alone():
    text = plan(lab_conf(), settings_for("central"))[0]
    drifted = text.replace("rbd_store_pool = images", "rbd_store_pool = volumes", 1)
    fixed, actions = plan(drifted, settings_for("central"))[:2]
    assert actions == [{"action": "set", "section": "central", "option": "rbd_store_pool", "value": "images"}]
    assert fixed == text


def test_diff_never_shows_unmanaged_options_of_shared_sections():
    conf = lab_conf().replace("[DEFAULT]\n", "[DEFAULT]\ntransport_url = rabbit://glance:s3cret@mq:5672/\n")
    before, after = plan(conf, settings_for("central"))[2:]
    assert "transport_url" not in before.get("DEFAULT", {})
    assert "s3cret" not in repr(before) + repr(after)
    assert "keystone_authtoken" not in before


def test_settings_filter_rejects_bad_input_with_the_fix():
    stores = glance_store_map(SITES, "central")
    with pytest.raises(Exception, match="distinct"):
        glance_api_settings(stores, staging_dir="/var/lib/glance/x", tasks_dir="/var/lib/glance/x/")
    http = [{"id": "web1", "type": "http"}, {"id": "web2", "type": "http"}]
    with pytest.raises(Exception, match="at most one http store"):
        glance_api_settings(stores + http)
    with pytest.raises(Exception, match="absolute"):
        glance_api_settings(stores, staging_dir="staging")


def test_rbd_defaults_yield_to_a_store_own_options():
    stores = glance_store_map(SITES, "dcn0", stores=[{"id": "dcn0", "options": {"rbd_store_chunk_size": 16}}])
    settings = glance_api_settings(stores)
    assert settings["dcn0"]["rbd_store_chunk_size"] == "16"
    assert settings["central"]["rbd_store_chunk_size"] == "8"
    assert settings["central"]["rados_connect_timeout"] == "30"


def test_kept_store_of_an_unreachable_site_stays_as_it_was():
    all_three = plan(lab_conf(), settings_for("central"))[0]
    without_dcn1 = glance_api_settings(glance_store_map(SITES[:2], "central"))
    text, actions = plan(all_three, without_dcn1, keep_stores=["dcn1"])[:2]
    ini = Ini(text)
    assert ini.get("DEFAULT", "enabled_backends") == "central:rbd,dcn0:rbd,dcn1:rbd"
    assert ini.get("dcn1", "rbd_store_ceph_conf") == "/etc/ceph/dcn1.conf"
    assert actions == []


def test_kept_store_in_the_middle_keeps_its_place_and_changes_nothing():
    all_three = plan(lab_conf(), settings_for("central"))[0]
    without_dcn0 = glance_api_settings(glance_store_map([SITES[0], SITES[2]], "central"))
    text, actions = plan(all_three, without_dcn0, keep_stores=["dcn0"])[:2]
    assert Ini(text).get("DEFAULT", "enabled_backends") == "central:rbd,dcn0:rbd,dcn1:rbd"
    assert actions == []
    assert text == all_three


@pytest.mark.parametrize("old, new, keep, expected", [
    ("central:rbd,dcn0:rbd,dcn1:rbd", "central:rbd,dcn1:rbd", ["dcn0"], "central:rbd,dcn0:rbd,dcn1:rbd"),
    ("dcn0:rbd,central:rbd", "central:rbd", ["dcn0"], "dcn0:rbd,central:rbd"),
    ("central:rbd,dcn0:rbd,dcn1:rbd", "central:rbd", ["dcn1", "dcn0"], "central:rbd,dcn0:rbd,dcn1:rbd"),
    ("central:rbd,dcn0:rbd", "central:rbd,dcn2:rbd", ["dcn0"], "central:rbd,dcn0:rbd,dcn2:rbd"),
])
def test_merge_kept_stores_keeps_the_old_order(old, new, keep, expected):
    assert merge_kept_stores(old, new, keep) == expected


def test_kept_store_that_the_file_lacks_is_not_added():
    only_central = plan(lab_conf(), glance_api_settings(glance_store_map(SITES[:1], "central")))[0]
    without_dcn1 = glance_api_settings(glance_store_map(SITES[:2], "central"))
    text = plan(only_central, without_dcn1, keep_stores=["dcn1"])[0]
    assert Ini(text).get("DEFAULT", "enabled_backends") == "central:rbd,dcn0:rbd"
    assert Ini(text).section("dcn1") is None


# --------------------------------------------------------------------------
# Image conversion and secret options
# --------------------------------------------------------------------------
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._glance_conf import (  # noqa: E402
    fingerprint, parse_plugins)

CONVERT = {"enabled": True, "output_format": "raw"}


@pytest.mark.parametrize("conf", [lab_conf, stock_conf], ids=["lab", "debian-stock"])
def test_conversion_on_sets_the_plugin_and_format_then_plans_nothing(conf):
    text, actions = plan(conf(), settings_for("central"), image_conversion=CONVERT)[:2]
    ini = Ini(text)
    assert parse_plugins(ini.get("image_import_opts", "image_import_plugins")) == ["image_conversion"]
    assert ini.get("image_conversion", "output_format") == "raw"
    again, actions2 = plan(text, settings_for("central"), image_conversion=CONVERT)[:2]
    assert actions2 == [] and again == text


def test_conversion_keeps_the_deployment_s_other_plugins_and_their_order():
    conf = lab_conf() + "\n[image_import_opts]\nimage_import_plugins = ['image_decompression', \"inject_image_metadata\"]\n"
    text = plan(conf, settings_for("central"), image_conversion=CONVERT)[0]
    plugins = parse_plugins(Ini(text).get("image_import_opts", "image_import_plugins"))
    assert plugins == ["image_decompression", "inject_image_metadata", "image_conversion"]
    off = plan(text, settings_for("central"), image_conversion={"enabled": False})[0]
    assert parse_plugins(Ini(off).get("image_import_opts", "image_import_plugins")) == [
        "image_decompression", "inject_image_metadata"]


def test_conversion_off_removes_the_plugin_option_when_it_was_the_only_one():
    text = plan(lab_conf(), settings_for("central"), image_conversion=CONVERT)[0]
    off, actions = plan(text, settings_for("central"), image_conversion={"enabled": False})[:2]
    assert Ini(off).get("image_import_opts", "image_import_plugins") is None
    assert actions == [{"action": "remove_option", "section": "image_import_opts", "option": "image_import_plugins"}]


def test_conversion_unset_leaves_the_plugins_as_they_are():
    conf = lab_conf() + "\n[image_import_opts]\nimage_import_plugins = ['image_conversion']\n"
    text = plan(conf, settings_for("central"))[0]
    assert "image_import_plugins = ['image_conversion']" in text


def test_secrets_are_written_and_shown_as_fingerprints_only():
    settings = settings_for("central")
    settings["objects"] = {"s3_store_bucket": "b"}
    settings["DEFAULT"]["enabled_backends"] += ",objects:s3"
    secrets = {"objects": {"s3_store_secret_key": "s3-secret-example", "s3_store_access_key": "AKIAEXAMPLE"}}
    text, actions, before, after = plan(lab_conf(), settings, secrets=secrets)
    assert Ini(text).get("objects", "s3_store_secret_key") == "s3-secret-example"
    shown = repr(actions) + repr(before) + repr(after)
    assert "s3-secret-example" not in shown and "AKIAEXAMPLE" not in shown
    assert fingerprint("s3-secret-example") in shown
    # A second run with the same secret plans nothing; a new secret shows a new fingerprint.
    assert plan(text, settings, secrets=secrets)[1] == []
    rotated = plan(text, settings, secrets={"objects": {"s3_store_secret_key": "rotated-example",
                                                        "s3_store_access_key": "AKIAEXAMPLE"}})
    assert rotated[1] == [{"action": "set", "section": "objects", "option": "s3_store_secret_key",
                           "value": fingerprint("rotated-example")}]
    assert "rotated-example" not in repr(rotated[1:])
