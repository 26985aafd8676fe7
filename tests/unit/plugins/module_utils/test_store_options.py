# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Store options: the table against glance_store 4.1's own, and the problems of a store."""

from __future__ import annotations

import configparser
import json
from pathlib import Path

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_api_settings import (
    glance_api_secrets, glance_api_settings, glance_swift_references)
from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_map
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_options import (
    COMMON_OPTIONS, DRIVER_OPTIONS, SECRET_OPTIONS, split_secrets, store_problems)

# Captured from python3-glance-store 4.1.0 (Debian 12, Glance 25): the options
# multi_backend registers for each driver's section, with their secret flag.
CAPTURE = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "glance_store_4.1_options.json").read_text())
SITES = [{"name": "central", "type": "central"}, {"name": "dcn0", "type": "edge"}]
S3 = {"s3_store_host": "http://192.0.2.5:8080", "s3_store_access_key": "AKIAEXAMPLE",
      "s3_store_secret_key": "s3-secret-example", "s3_store_bucket": "glance"}
SWIFT_AUTH = {"auth_address": "http://192.0.2.5:8080/auth/1.0", "user": "glance:swift", "key": "swift-key-example",
              "auth_version": "1"}


@pytest.mark.parametrize("driver", sorted(DRIVER_OPTIONS))
def test_table_is_glance_store_s_own(driver):
    assert set(DRIVER_OPTIONS[driver]) == set(CAPTURE["drivers"][driver])
    assert set(COMMON_OPTIONS) == set(CAPTURE["common"])


def test_every_option_glance_store_marks_secret_is_secret():
    marked = {name for opts in CAPTURE["drivers"].values() for name, o in opts.items() if o["secret"]}
    assert marked <= SECRET_OPTIONS


@pytest.mark.parametrize("store, expect", [
    pytest.param({"id": "o", "type": "s3", "options": dict(S3)}, [], id="s3-complete"),
    pytest.param({"id": "o", "type": "s3", "options": {**S3, "s3_store_bukket": "x"}}, ["s3_store_bukket"],
                 id="s3-unknown-option"),
    pytest.param({"id": "o", "type": "s3", "options": {k: v for k, v in S3.items() if k != "s3_store_secret_key"}},
                 ["needs options ['s3_store_secret_key']"], id="s3-no-secret"),
    pytest.param({"id": "o", "type": "s3", "options": {**S3, "s3_store_host": "192.0.2.5"}}, ["must be a URL"],
                 id="s3-host-not-url"),
    pytest.param({"id": "w", "type": "swift", "auth": dict(SWIFT_AUTH)}, [], id="swift-auth"),
    pytest.param({"id": "w", "type": "swift", "auth": {k: v for k, v in SWIFT_AUTH.items() if k != "key"}},
                 ["auth needs ['key']"], id="swift-no-key"),
    pytest.param({"id": "w", "type": "swift", "auth": {**SWIFT_AUTH, "password": "x"}}, ["unknown keys ['password']"],
                 id="swift-unknown-auth-key"),
    pytest.param({"id": "w", "type": "swift", "auth": {**SWIFT_AUTH, "auth_version": "4"}}, ["auth_version '4'"],
                 id="swift-bad-version"),
    pytest.param({"id": "w", "type": "swift",
                  "options": {"swift_store_key": "k", "swift_store_user": "u", "swift_store_auth_address": "http://x"}},
                 ["put Swift credentials in glance-api.conf"], id="swift-inline-credentials"),
    pytest.param({"id": "w", "type": "swift", "options": {}}, ["needs its credentials"], id="swift-nothing"),
    pytest.param({"id": "w", "type": "swift", "options": {"swift_store_config_file": "/etc/glance/s.conf"}}, [],
                 id="swift-own-reference-file"),
    pytest.param({"id": "w", "type": "swift", "options": {"swift_store_multi_tenant": True}}, [],
                 id="swift-multi-tenant"),
    pytest.param({"id": "f", "type": "file", "options": {"filesystem_store_datadir": "/d", "weight": 1}},
                 ["['weight']"], id="file-unknown-option"),
    pytest.param({"id": "f", "type": "file", "auth": {}, "options": {"filesystem_store_datadir": "/d"}},
                 ["auth is a key of Swift stores only"], id="auth-on-file"),
])
def test_store_problems(store, expect):
    problems = store_problems(store)
    assert len(problems) == len(expect), problems
    for problem, text in zip(problems, expect):
        assert text in problem
    for secret in ("s3-secret-example", "AKIAEXAMPLE", "swift-key-example"):
        assert all(secret not in problem for problem in problems)


def central_stores():
    return glance_store_map(SITES, "central", stores=[
        {"id": "objects", "type": "s3", "options": dict(S3)},
        {"id": "swift", "type": "swift", "auth": dict(SWIFT_AUTH), "options": {"swift_store_container": "glance"}},
    ])


def test_settings_leave_secrets_out_and_point_swift_at_its_reference_file():
    settings = glance_api_settings(central_stores())
    text = json.dumps(settings)
    for secret in ("s3-secret-example", "AKIAEXAMPLE", "swift-key-example", "glance:swift"):
        assert secret not in text
    assert settings["DEFAULT"]["enabled_backends"] == "central:rbd,dcn0:rbd,objects:s3,swift:swift"
    assert settings["objects"]["s3_store_bucket"] == "glance"
    assert settings["swift"] == {"store_description": "swift store swift", "swift_store_container": "glance",
                                 "swift_store_config_file": "/etc/glance/glance-swift-swift.conf",
                                 "default_swift_reference": "swift"}
    assert glance_api_secrets(central_stores()) == {
        "objects": {"s3_store_access_key": "AKIAEXAMPLE", "s3_store_secret_key": "s3-secret-example"}}


def test_swift_reference_file_is_what_glance_store_reads():
    (ref,) = glance_swift_references(central_stores())
    assert ref["path"] == "/etc/glance/glance-swift-swift.conf"
    parser = configparser.ConfigParser()
    parser.read_string(ref["content"])
    assert parser.sections() == ["swift"]
    assert dict(parser["swift"]) == SWIFT_AUTH


def test_store_map_names_the_explicit_store_of_a_bad_store():
    # Explicit stores come after the computed ones: the message names the explicit one by its index.
    with pytest.raises(Exception) as err:
        glance_store_map(SITES, "central", stores=[{"id": "objects", "type": "s3", "options": {"s3_store_host": "x"}}])
    assert "stores[0] (objects): " in str(err.value)
    assert "must be a URL" in str(err.value)


def test_split_secrets():
    public, secrets = split_secrets({"o": {"s3_store_bucket": "b", "s3_store_secret_key": "s"}, "c": {"x": "1"}})
    assert public == {"o": {"s3_store_bucket": "b"}, "c": {"x": "1"}}
    assert secrets == {"o": {"s3_store_secret_key": "s"}}


def test_s3_stores_refused_while_glance_shows_image_locations():
    from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_options import direct_url_problem
    from ansible_collections.edgestack.glance_ceph.plugins.modules.glance_store_config import check_stores
    stores = [{"id": "central", "type": "rbd"}, {"id": "objects", "type": "s3"}]
    assert "S3 stores (objects)" in direct_url_problem(stores, True)
    assert direct_url_problem(stores, False) is None
    assert direct_url_problem(stores[:1], True) is None
    text = ("[DEFAULT]\nenabled_backends = central:rbd, objects:s3\nshow_image_direct_url = True\n"
            "[objects]\ns3_store_host = http://192.0.2.20:8080\ns3_store_bucket = b\n"
            "s3_store_access_key = a\ns3_store_secret_key = s\n")
    settings = {"DEFAULT": {}, "objects": {}}
    (problem,) = check_stores(text, settings, probe=False)
    assert problem.startswith("show_image_direct_url is true while the site has S3 stores (objects)")
    assert check_stores(text.replace("= True", "= False"), settings, probe=False) == []
