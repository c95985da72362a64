"""The job queue's door: every job — from the API, the storefront, the demo — is added here, under
the queue's bounds: at most `max_queue` jobs queued or running in all, `max_jobs_per_client` of
one client, and `generations_per_minute` posts of one client in any sliding minute. A refused job
is a Busy error saying which bound it hit. Jobs are rows in the store, so a restart loses none.

The shop owner's jobs (refits, previews, launches: a request with the admin token) are counted
under ADMIN_CLIENT, not under an address: shoppers' traffic, even from the owner's own address or
from enough addresses to fill the queue, cannot refuse them. They keep the per-client bound, so the
queue holds at most `max_queue + max_jobs_per_client` jobs."""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque

from vitrine.errors import Busy

ADMIN_CLIENT = "(admin)"  # not an address, so no client can be counted as the owner
IDLE_CLIENTS = 10_000  # clients remembered by the rate bound before idle ones are forgotten


def now_ms() -> int:
    return int(time.time() * 1000)


class RateBound:
    """At most `per_minute` posts of one client in any sliding minute."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.times: dict[str, deque] = {}
        self.lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self.lock:
            recent = self.times.setdefault(client, deque())
            while recent and now - recent[0] > 60:
                recent.popleft()
            if len(recent) >= self.per_minute:
                return False
            recent.append(now)
            if len(self.times) > IDLE_CLIENTS:  # forget idle clients, so memory stays bounded
                for idle in [c for c, times in self.times.items() if not times or now - times[-1] > 60]:
                    del self.times[idle]
            return True


class JobQueue:
    def __init__(self, store, settings, wake: threading.Event | None = None):
        self.store, self.settings, self.wake = store, settings, wake
        self.rate = RateBound(settings.generations_per_minute)
        self.lock = threading.Lock()  # the counts and the insert together, so the bounds hold under concurrent posts

    def add(self, kind: str, request: dict, client: str) -> str:
        """Store a queued job and wake a worker: its ID, or Busy naming the bound it hit."""
        settings, owner = self.settings, client == ADMIN_CLIENT
        if not owner and not self.rate.allow(client):
            raise Busy(f"at most {settings.generations_per_minute} generation requests per minute per client; "
                       "retry later")
        with self.lock:
            if not owner and self.store.open_jobs() >= settings.max_queue:
                raise Busy(f"the generation queue is full ({settings.max_queue} jobs); retry later")
            if self.store.open_jobs(client) >= settings.max_jobs_per_client:
                raise Busy(f"at most {settings.max_jobs_per_client} open jobs per client; retry later")
            job_id = uuid.uuid4().hex
            self.store.add_job(job_id, kind, request, client, now_ms())
        if self.wake is not None:
            self.wake.set()
        return job_id

    def open_fit(self):
        """The fit job queued or running, if there is one."""
        return next((j for j in self.store.open_job_rows() if j.kind == "fit"), None)
