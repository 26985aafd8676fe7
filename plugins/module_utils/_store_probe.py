# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check, from a Glance host, that an S3 or Swift store answers with its credentials.

glance-api configures every store when it starts: a store whose endpoint is
unreachable or whose credentials are refused leaves the API without that
store (or, for some drivers, failing every request to it). These probes make
the same calls glance_store makes first (S3: the bucket, Swift: the auth
request) before the settings are written, so a bad store is refused while
the running API still has its old, working settings.

A probe returns None when the store answers, or a one-line problem. Problems
never contain a credential.
"""

from __future__ import annotations

import configparser
import json
import socket
import urllib.error
import urllib.parse


TIMEOUT = 10


def _reachable(url, timeout):
    """None when something listens at the URL's host and port, else the problem."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"cannot reach {parts.hostname}:{port} ({exc.strerror or exc})"


def probe_s3(options, timeout=TIMEOUT):
    """Head the store's bucket with its keys (boto3, as glance_store uses)."""
    host = options.get("s3_store_host", "")
    url = host if host.startswith(("http://", "https://")) else "http://" + host
    problem = _reachable(url, timeout)
    if problem:
        return f"endpoint {url}: {problem}"
    try:
        import boto3  # pylint: disable=import-outside-toplevel
        from botocore import config as boto_config  # pylint: disable=import-outside-toplevel
        from botocore import exceptions as boto_exceptions  # pylint: disable=import-outside-toplevel
    except ImportError:
        return ("boto3 is not installed on this host; glance_store's s3 driver needs it too "
                "(Debian: python3-boto3)")
    style = options.get("s3_store_bucket_url_format", "auto")
    client = boto3.session.Session(
        aws_access_key_id=options.get("s3_store_access_key"),
        aws_secret_access_key=options.get("s3_store_secret_key"),
    ).client("s3", endpoint_url=url, config=boto_config.Config(
        s3={"addressing_style": style}, connect_timeout=timeout, read_timeout=timeout,
        retries={"max_attempts": 1}))
    bucket = options.get("s3_store_bucket")
    try:
        client.head_bucket(Bucket=bucket)
        return None
    except boto_exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("404", "NoSuchBucket") or status == 404:
            if str(options.get("s3_store_create_bucket_on_put", "False")).lower() == "true":
                # The bucket comes with the first image; the keys must be able to list buckets.
                try:
                    client.list_buckets()
                    return None
                except boto_exceptions.ClientError as exc2:
                    return f"endpoint {url} refused the store's keys: {_s3_error(exc2)}"
            return (f"bucket {bucket!r} does not exist at {url}: create it, or set "
                    "s3_store_create_bucket_on_put: true")
        if status == 403:
            return f"endpoint {url} refused the store's keys for bucket {bucket!r} (403 {code})"
        return f"endpoint {url}: {_s3_error(exc)}"
    except boto_exceptions.BotoCoreError as exc:
        return f"endpoint {url}: {exc}"


def _s3_error(exc):
    err = exc.response.get("Error", {})
    return f"{exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')} {err.get('Code', '')}".strip()


def read_swift_reference(path, reference):
    """{auth_address, user, key, auth_version, ...} of a reference file's section, or a problem string."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        return f"cannot read the reference file {path}: {exc.strerror}"
    return swift_reference_from_text(text, path, reference)


def swift_reference_from_text(text, path, reference):
    """Like read_swift_reference, from the file's text."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return f"the reference file {path} does not parse: {type(exc).__name__}"
    if not parser.has_section(reference):
        return f"the reference file {path} has no section [{reference}] (default_swift_reference)"
    return {key: value.strip().strip("'\"") for key, value in parser.items(reference)}


def probe_swift(auth, timeout=TIMEOUT):
    """Authenticate as glance_store would (auth v1: the gateway's own; v2/v3: Keystone)."""
    address = auth.get("auth_address", "")
    problem = _reachable(address, timeout)
    if problem:
        return f"auth_address {address}: {problem}"
    version = str(auth.get("auth_version", "2"))
    # Imported here, not at the top: Ansible packs it with the module all the same, but a host
    # only compiles it (about 0.1 s of CPU) when a Swift store is probed.
    from ansible.module_utils.urls import open_url  # pylint: disable=import-outside-toplevel
    try:
        if version == "1":
            with open_url(address, timeout=timeout, headers={
                    "X-Auth-User": auth.get("user", ""), "X-Auth-Key": auth.get("key", "")}) as resp:
                if not resp.headers.get("X-Storage-Url"):
                    return f"auth_address {address} answered without X-Storage-Url: is it a Swift v1 auth URL?"
            return None
        if version == "3":
            project, _sep, user = auth.get("user", "").rpartition(":")
            body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": user, "password": auth.get("key", ""),
                "domain": _domain(auth, "user")}}}}}
            if project:
                body["auth"]["scope"] = {"project": {"name": project, "domain": _domain(auth, "project")}}
            url = address.rstrip("/") + ("/auth/tokens" if address.rstrip("/").endswith("/v3") else "/v3/auth/tokens")
            with open_url(url, data=json.dumps(body).encode(), method="POST", timeout=timeout,
                          headers={"Content-Type": "application/json"}):
                return None
        return None  # v2 Keystone: reachability only (Keystone 22 has no v2 API to try)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return f"auth_address {address} refused the store's user and key ({exc.code})"
        return f"auth_address {address} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"auth_address {address}: {getattr(exc, 'reason', exc)}"


def _domain(auth, kind):
    if auth.get(f"{kind}_domain_id"):
        return {"id": auth[f"{kind}_domain_id"]}
    return {"name": auth.get(f"{kind}_domain_name") or "Default"}
