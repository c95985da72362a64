"""The simulated shoppers' HTTP traffic to a running Vitrine service, every request timed.

Loopback only: a test that posts thousands of events is aimed at the shop's own machine, never
at another host. A 429 (the service's per-address share of the job queue) is waited out as its
Retry-After says and retried; any other failure is recorded as an error and the visit goes on
without that part of the page.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

JOB_WAIT_S = 300   # a design job that takes longer counts as failed
RETRIES_429 = 20


class Unreachable(RuntimeError):
    """The URL does not answer as a Vitrine service with a fitted recommender."""


def check_loopback(url: str) -> str:
    """The URL, if it is http(s) on a loopback address; ValueError otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"want http://127.0.0.1:PORT, got {url!r}")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{host}: the simulated traffic goes to this machine only (127.0.0.1, ::1 or localhost)")
    return url.rstrip("/")


@dataclass(frozen=True)
class Request:
    arm: str
    kind: str      # recommendations, event, designs, job, image
    seconds: float
    status: int    # 0: no answer (connection error, timeout)


class Service:
    def __init__(self, url: str, timeout_s: float = 30.0):
        self.url = check_loopback(url)
        self.client = httpx.Client(base_url=self.url, timeout=timeout_s,
                                   limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def check(self) -> dict:
        """GET /health: Unreachable unless it answers with a loaded recommender."""
        try:
            response = self.client.get("/health", timeout=10)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unreachable(f"{self.url} does not answer as a Vitrine service ({type(exc).__name__})") from None
        if response.status_code != 200 or "recommender" not in body:
            raise Unreachable(f"{self.url}/health answered {response.status_code}: not a Vitrine service")
        if not body["recommender"]:
            raise Unreachable(f"{self.url}: the service has no fitted recommender yet (`vitrine fit`, or wait for "
                              "its fit to finish)")
        return body

    def _call(self, arm: str, kind: str, method: str, path: str, **kwargs) -> httpx.Response | None:
        """One request, timed and recorded; 429 waited out and retried; None on no answer."""
        for _ in range(RETRIES_429):
            start = time.perf_counter()
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.HTTPError:
                self._record(arm, kind, time.perf_counter() - start, 0)
                return None
            if response.status_code == 429:
                time.sleep(min(float(response.headers.get("retry-after", 1)), 10.0))
                continue
            self._record(arm, kind, time.perf_counter() - start, response.status_code)
            return response
        return None

    def _record(self, arm: str, kind: str, seconds: float, status: int) -> None:
        with self._lock:
            self.requests.append(Request(arm, kind, seconds, status))

    def recommendations(self, arm: str, ranking: str, pictures: str, user_id: str, k: int) -> list[dict] | None:
        """The listed items as the page shows them ({id, image: URL or None, generated}), or None."""
        r = self._call(arm, "recommendations", "GET", f"/users/{user_id}/recommendations",
                       params={"k": k, "arm": ranking, "pictures": pictures})
        return r.json()["items"] if r is not None and r.status_code == 200 else None

    def newest(self, arm: str, pictures: str, n: int) -> list[dict] | None:
        """The "new in" shelf: the n items launched last, as the page shows them, or None."""
        r = self._call(arm, "new in", "GET", "/items", params={"sort": "new", "limit": n, "pictures": pictures})
        return r.json()["items"] if r is not None and r.status_code == 200 else None

    def event(self, arm: str, user_id: str, item_id: str, event: str) -> bool:
        r = self._call(arm, "event", "POST", "/events", json={"user_id": user_id, "item_id": item_id, "event": event})
        return r is not None and r.status_code == 201

    def designs(self, arm: str, user_id: str, n: int) -> list[dict] | None:
        """The shopper's designs (each with its picture's URL and its closest stock items), or None."""
        r = self._call(arm, "designs", "POST", f"/users/{user_id}/designs", json={"n": n})
        if r is None or r.status_code != 202:
            return None
        url, start, wait = r.json()["url"], time.perf_counter(), 0.05
        while time.perf_counter() - start < JOB_WAIT_S:
            job = self._call(arm, "job", "GET", url)
            if job is None or job.status_code != 200:
                return None
            body = job.json()
            if body["status"] not in ("queued", "running"):  # done, or failed: the job itself is one more row
                self._record(arm, "design job", time.perf_counter() - start, 200 if body["status"] == "done" else 500)
                return body["designs"] if body["status"] == "done" else None
            time.sleep(wait)
            wait = min(wait * 1.5, 1.0)
        self._record(arm, "design job", time.perf_counter() - start, 0)
        return None

    def image(self, arm: str, url: str) -> bytes | None:
        r = self._call(arm, "image", "GET", url)
        return r.content if r is not None and r.status_code == 200 else None
