"""`vitrine worker` processes apart from the API: two drain a queue with every job run exactly
once, and a worker killed with SIGKILL mid-job leaves its job to the other once the lease lapses.
On SQLite and on PostgreSQL."""

import os
import signal
import subprocess
import sys
import time

import pytest

from vitrine.storage.store import Store

pytestmark = pytest.mark.slow  # worker processes


def _worker(shop_copy, tiny_pipeline_dir, *extra) -> subprocess.Popen:
    db = ["--db-url", shop_copy.url] if shop_copy.url else []
    return subprocess.Popen([sys.executable, "-m", "vitrine", "--data-dir", str(shop_copy.data), *db, "-q", "worker",
                             "--model", str(tiny_pipeline_dir), "--recommender", str(shop_copy.data / "none"),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def started():
    """Worker processes a test starts; any still running at its end (a failed test) are killed."""
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _wait(condition, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_two_workers_drain_the_queue_each_job_once(shop_copy, tiny_pipeline_dir, started):
    store = shop_copy.store()
    for k in range(40):
        store.add_job(f"job-{k:02d}", "generate", {"prompt": f"a hat {k}", "n": 1, "steps": 1, "guidance": 3.0,
                                                    "seed": k}, "test", k)
    workers = [_worker(shop_copy, tiny_pipeline_dir, "--exit-when-idle") for _ in range(2)]
    started += workers
    for w in workers:
        out, err = w.communicate(timeout=240)
        assert w.returncode == 0, err[-2000:]
    rows = [store.job(f"job-{k:02d}") for k in range(40)]
    assert all(r.status == "done" and len(r.result["images"]) == 1 for r in rows), \
        [(r.id, r.status, r.worker, r.error) for r in rows if r.status != "done"]
    assert len(store.generated_images()) == 40  # a job run twice would have stored a second picture
    assert len({r.worker.rsplit(":", 1)[0] for r in rows}) == 2  # both processes took jobs


def test_a_killed_worker_leaves_its_job_to_another_after_the_lease(shop_copy, tiny_pipeline_dir, started):
    store = shop_copy.store()
    store.add_job("slow", "generate", {"prompt": "a long coat", "n": 2, "steps": 100, "guidance": 3.0, "seed": 0},
                  "test", 0)
    first = _worker(shop_copy, tiny_pipeline_dir, "--lease", "1")
    started.append(first)
    assert _wait(lambda: store.job("slow").status == "running", 120), first.communicate(timeout=5)[1][-2000:]
    holder = store.job("slow").worker
    assert f":{first.pid}:" in holder
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    second = _worker(shop_copy, tiny_pipeline_dir, "--lease", "1", "--exit-when-idle")
    started.append(second)
    out, err = second.communicate(timeout=240)
    assert second.returncode == 0, err[-2000:]
    row = store.job("slow")
    assert row.status == "done" and f":{second.pid}:" in row.worker and len(row.result["images"]) == 2
    assert len(Store(shop_copy.data, shop_copy.url).generated_images()) == 2
