# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for the Kubernetes API, just enough for the role's apply path.

It answers discovery (/version, /api, /apis and the resource lists of v1 and
core.openstack.org/v1beta1) and get, list (with an equality labelSelector),
create, replace and merge-patch of Namespaces, ConfigMaps, Secrets and
OpenStackControlPlanes, honouring ``dryRun=All``. Like the real API server,
a replace or a patch that names a metadata.resourceVersion other than the
object's is refused with 409 Conflict (optimistic concurrency). It keeps
every request for the tests to inspect, and ``before_write`` lets a test act
as another writer between a client's read and its write.

It is not a Kubernetes API server: no admission (so no operator webhooks),
no schema validation or pruning, no strategic merge, no server-side apply,
no authentication. The tests validate against the CRD schemas separately.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RESOURCES = {
    "v1": [
        ("namespaces", "namespace", "Namespace", False),
        ("configmaps", "configmap", "ConfigMap", True),
        ("secrets", "secret", "Secret", True),
    ],
    "core.openstack.org/v1beta1": [
        ("openstackcontrolplanes", "openstackcontrolplane", "OpenStackControlPlane", True),
    ],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _base(group_version):
    return "/api/v1" if group_version == "v1" else f"/apis/{group_version}"


def _resource_list(group_version):
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": [
            {"name": name, "singularName": singular, "namespaced": namespaced, "kind": kind, "verbs": VERBS}
            for name, singular, kind, namespaced in RESOURCES[group_version]
        ],
    }


def _content(obj):
    """An object without the fields the server owns, to tell a change from a no-op."""
    obj = copy.deepcopy(obj)
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        obj.get("metadata", {}).pop(key, None)
    obj.pop("status", None)
    return obj


class FakeAPIServer:
    """Threaded fake API server on 127.0.0.1; use as a context manager."""

    def __init__(self):
        self.objects = {}
        self.requests = []
        self._version = 1
        self._lock = threading.Lock()
        #: Called as before_write(server, method, path) before a write is answered.
        self.before_write = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"null")

            def _handle(self, method):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                body = self._body() if method in ("POST", "PUT", "PATCH") else None
                with server._lock:
                    server.requests.append({
                        "method": method, "path": url.path, "query": query,
                        "content_type": self.headers.get("Content-Type"), "body": body,
                    })
                    if method != "GET" and server.before_write:
                        server.before_write(server, method, url.path.rstrip("/"))
                    code, answer = server.answer(method, url.path, query, body)
                self._send(code, answer)

            def do_GET(self):  # noqa: N802 (http.server naming)
                self._handle("GET")

            def do_POST(self):  # noqa: N802
                self._handle("POST")

            def do_PUT(self):  # noqa: N802
                self._handle("PUT")

            def do_PATCH(self):  # noqa: N802
                self._handle("PATCH")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- state --------------------------------------------------------------
    def path_of(self, obj):
        group_version = obj["apiVersion"]
        plural = next(name for name, _s, kind, _n in RESOURCES[group_version] if kind == obj["kind"])
        namespace = obj["metadata"].get("namespace")
        prefix = f"{_base(group_version)}/namespaces/{namespace}" if namespace else _base(group_version)
        return f"{prefix}/{plural}/{obj['metadata']['name']}"

    def add(self, obj):
        """Seed an object."""
        obj = copy.deepcopy(obj)
        self._stamp(obj, new=True)
        self.objects[self.path_of(obj)] = obj
        return obj

    def get(self, api_version, kind, name, namespace=None):
        probe = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}}
        return copy.deepcopy(self.objects.get(self.path_of(probe)))

    def change(self, api_version, kind, name, namespace, data):
        """Change an object's data as another writer would (new resourceVersion)."""
        probe = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}}
        obj = self.objects[self.path_of(probe)]
        obj.setdefault("data", {}).update(data)
        self._stamp(obj)

    def writes(self):
        """Requests that change state (dry runs included)."""
        return [request for request in self.requests if request["method"] in ("POST", "PUT", "PATCH")]

    def _stamp(self, obj, new=False):
        self._version += 1
        metadata = obj.setdefault("metadata", {})
        metadata["resourceVersion"] = str(self._version)
        if new:
            metadata.setdefault("uid", str(uuid.uuid4()))
            metadata.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")

    # -- API ----------------------------------------------------------------
    @staticmethod
    def _status(code, reason, message):
        return code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "reason": reason, "message": message, "code": code}

    def answer(self, method, path, query, body):
        path = path.rstrip("/")
        dry_run = "All" in query.get("dryRun", [])
        if method == "GET" and path == "/version":
            return 200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"}
        if method == "GET" and path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
        if method == "GET" and path == "/apis":
            groups = []
            for group_version in RESOURCES:
                if group_version == "v1":
                    continue
                group, version = group_version.split("/")
                entry = {"groupVersion": group_version, "version": version}
                groups.append({"name": group, "versions": [entry], "preferredVersion": entry})
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        for group_version in RESOURCES:
            if method == "GET" and path == _base(group_version):
                return 200, _resource_list(group_version)

        if method == "GET":
            if path in self.objects:
                return 200, copy.deepcopy(self.objects[path])
            listing = self._list(path, query)
            if listing is not None:
                return 200, listing
            return self._status(404, "NotFound", f"{path} not found")
        if method == "POST":
            obj = copy.deepcopy(body)
            target = self.path_of(obj)
            if target in self.objects:
                return self._status(409, "AlreadyExists", f"{target} already exists")
            self._stamp(obj, new=True)
            if not dry_run:
                self.objects[target] = obj
            return 201, obj
        if method in ("PUT", "PATCH"):
            if path not in self.objects:
                return self._status(404, "NotFound", f"{path} not found")
            current = self.objects[path]
            wanted = ((body or {}).get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != current["metadata"]["resourceVersion"]:
                return self._status(409, "Conflict", f"Operation cannot be fulfilled on {path}: the object has been "
                                    "modified; please apply your changes to the latest version and try again")
            if method == "PUT":
                obj = copy.deepcopy(body)
                obj.setdefault("metadata", {})
                for key in ("uid", "creationTimestamp"):
                    obj["metadata"][key] = current["metadata"].get(key)
            else:
                obj = merge_patch(current, body)
            if _content(obj) == _content(current):
                return 200, copy.deepcopy(current)
            self._stamp(obj)
            if not dry_run:
                self.objects[path] = obj
            return 200, obj
        return self._status(405, "MethodNotAllowed", f"{method} {path}")

    def _list(self, path, query):
        """A list of the objects under a collection path, or None if ``path`` is none."""
        for group_version, resources in RESOURCES.items():
            for plural, _singular, kind, namespaced in resources:
                base = _base(group_version)
                prefix = path[len(base):] if path.startswith(base) else None
                if prefix is None or not prefix.endswith(f"/{plural}"):
                    continue
                selector = dict(term.split("=", 1) for term in ",".join(query.get("labelSelector", [])).split(",") if term)
                items = []
                for key, obj in sorted(self.objects.items()):
                    if not key.startswith(path + "/") or key.count("/") != path.count("/") + 1:
                        continue
                    labels = obj["metadata"].get("labels") or {}
                    if all(labels.get(name) == value for name, value in selector.items()):
                        item = copy.deepcopy(obj)
                        # Items of a real list carry no kind or apiVersion.
                        item.pop("kind", None)
                        item.pop("apiVersion", None)
                        items.append(item)
                return {"kind": f"{kind}List", "apiVersion": group_version,
                        "metadata": {"resourceVersion": str(self._version)}, "items": items}
        return None


def kubeconfig_text(url, namespace="openstack"):
    """A kubeconfig pointing at ``url`` without authentication."""
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: fake\n  cluster:\n    server: {url}\n"
        f"contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: {namespace}\n"
        "current-context: fake\n"
        "users:\n- name: fake\n  user: {}\n"
    )
