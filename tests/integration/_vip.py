# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the availability tests share: plain HTTP, a client that polls a site's
VIP while something happens, and a bounded wait (the Keystone token is the lab's:
`lab.token()`)."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request


def http(method, url, token=None, body=None, headers=None, timeout=10):
    hdrs = {**({"X-Auth-Token": token} if token else {}), **(headers or {})}
    req = urllib.request.Request(url, data=body, headers=hdrs, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def wait_until(what, predicate, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Poller(threading.Thread):
    """GET /healthcheck and, with a token, /v2/images through a VIP every `interval` seconds."""

    def __init__(self, base, token=None, interval=0.25, duration=20.0, max_duration=600.0):
        super().__init__(daemon=True)
        self.base, self.token, self.interval = base, token, interval
        self.duration, self.max_duration = duration, max_duration
        self.stop_event = threading.Event()
        self.results = []  # (t, what, ok, detail)

    def _get(self, what, path, token=None):
        t = time.monotonic()
        try:
            status = http("GET", self.base + path, token=token, timeout=5)[0]
            self.results.append((t, what, status == 200, status))
        except (urllib.error.URLError, OSError) as exc:
            self.results.append((t, what, False, repr(exc)))

    def run(self):
        start = time.monotonic()
        tick = 0
        while not self.stop_event.is_set():
            now = time.monotonic()
            if now - start >= self.max_duration or (self.duration and now - start >= self.duration):
                break
            self._get("healthcheck", "/healthcheck")
            if self.token:
                self._get("images", "/v2/images", self.token)
            tick += 1
            time.sleep(max(0.0, start + tick * self.interval - time.monotonic()))

    def stop(self):
        self.stop_event.set()
        self.join(timeout=30)

    def summary(self, what=None) -> tuple:
        rows = [r for r in self.results if what is None or r[1] == what]
        ok = sum(1 for r in rows if r[2])
        return ok, len(rows), [r for r in rows if not r[2]]

    def longest_gap(self, what="images") -> float:
        """Longest time between two successful requests (or from the first request or to the last)."""
        rows = [r for r in self.results if r[1] == what]
        if not rows:
            return 0.0
        times = [rows[0][0]] + [r[0] for r in rows if r[2]] + [rows[-1][0]]
        return max(b - a for a, b in zip(times, times[1:])) if len(times) > 1 else 0.0

    def longest_outage(self, what="images") -> float:
        """Longest stretch of failed requests: from the first failure's start to the next success's start.

        A slow but successful answer (a busy machine) is not an outage; longest_gap shows it."""
        rows = [r for r in self.results if r[1] == what]
        longest, start = 0.0, None
        for row in rows:
            t, ok = row[0], row[2]
            if not ok and start is None:
                start = t
            elif ok and start is not None:
                longest, start = max(longest, t - start), None
        if start is not None:
            longest = max(longest, rows[-1][0] - start + self.interval)
        return longest

    def report(self, what="images") -> str:
        ok, total, failures = self.summary(what)
        return (f"{ok}/{total} {what} requests succeeded ({100.0 * ok / max(total, 1):.1f}%), "
                f"longest outage {self.longest_outage(what):.2f}s, longest wait between answers "
                f"{self.longest_gap(what):.2f}s, failures={[f[3] for f in failures][:5]}")
