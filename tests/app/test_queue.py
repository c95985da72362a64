"""The job queue's bounds: every job goes through them, and a full one is a Busy error naming the
bound, with nothing stored."""

from dataclasses import replace

import pytest

from vitrine.app.queue import ADMIN_CLIENT, JobQueue, RateBound
from vitrine.app.settings import Settings
from vitrine.errors import Busy


@pytest.fixture
def queue(data):
    from vitrine.storage.store import Store
    store = Store(data, create=False)
    return JobQueue(store, Settings(data, max_queue=3, max_jobs_per_client=2, generations_per_minute=100))


def test_the_queue_and_each_clients_share_are_bounded(queue):
    queue.add("generate", {"prompt": "a hat"}, "a")
    queue.add("generate", {"prompt": "a hat"}, "a")
    with pytest.raises(Busy, match="at most 2 open jobs per client"):
        queue.add("generate", {"prompt": "a hat"}, "a")
    queue.add("fit", {}, "b")
    with pytest.raises(Busy, match="queue is full"):
        queue.add("generate", {"prompt": "a hat"}, "c")
    assert queue.store.open_jobs() == 3 and queue.open_fit().kind == "fit"


def test_the_rate_bound_counts_a_sliding_minute(queue, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("vitrine.app.queue.time.monotonic", lambda: now[0])
    bound = RateBound(2)
    assert bound.allow("a") and bound.allow("a") and not bound.allow("a") and bound.allow("b")
    now[0] += 61
    assert bound.allow("a")
    queue.settings = replace(queue.settings, generations_per_minute=1)
    queue.rate = RateBound(1)
    queue.add("generate", {}, "z")
    with pytest.raises(Busy, match="per minute"):
        queue.add("generate", {}, "z")
    assert queue.store.open_jobs("z") == 1


def test_shoppers_cannot_refuse_the_owners_jobs(queue):
    """A full queue, a client's full share or its used-up rate do not stop the owner's refit; the
    owner's own share still holds."""
    queue.rate = RateBound(1)
    queue.add("generate", {}, "a")
    queue.add("generate", {}, "b")
    queue.add("generate", {}, "c")
    with pytest.raises(Busy, match="queue is full"):
        queue.add("generate", {}, "d")
    queue.add("fit", {}, ADMIN_CLIENT)
    queue.add("previews", {}, ADMIN_CLIENT)
    with pytest.raises(Busy, match="at most 2 open jobs per client"):
        queue.add("launch", {}, ADMIN_CLIENT)
    assert queue.store.open_jobs() == 5 and queue.store.open_jobs(ADMIN_CLIENT) == 2
