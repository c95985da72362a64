"""The threads that work the job queue: each claims a job with a lease, runs the operation its
kind names (vitrine.app.jobs) and stores the result, or the error, on the job's row. One job's
failure never stops a worker. They run inside `vitrine serve` (the job_workers setting) or in
`vitrine worker` processes apart from the API."""

from __future__ import annotations

import os
import socket
import threading
import time

from vitrine.app import jobs
from vitrine.app.context import AppContext
from vitrine.app.queue import now_ms


class JobWorker(threading.Thread):
    """Claims a job with a lease, renews the lease every third of it while the job runs, and
    stores the result only if it still holds the job (the store refuses a holder whose lease
    lapsed and whose job another worker took)."""

    def __init__(self, ctx: AppContext):
        super().__init__(daemon=True, name="vitrine-jobs")
        self.ctx = ctx
        self.lease_ms = int(ctx.settings.job_lease_s * 1000)
        self.worker_id = ""  # host:pid:thread, set when the thread starts

    def run(self) -> None:
        store, stop, wake = self.ctx.store, self.ctx.stop, self.ctx.wake
        self.worker_id = f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident() % 10**8}"
        while not stop.is_set():
            job = store.claim_job(self.worker_id, now_ms(), self.lease_ms)
            if job is None:
                wake.wait(0.5)
                wake.clear()
                continue
            done = threading.Event()
            keeper = threading.Thread(target=self._keep_lease, args=(job.id, done), daemon=True)
            keeper.start()
            try:
                result, error = jobs.run(self.ctx, job.kind, job.request, self._reporter(job.id)), None
            except Exception as exc:  # a job's failure is its own, reported on the job; the worker goes on
                result, error = None, f"{type(exc).__name__}: {exc}"[:500]
            finally:
                done.set()
                keeper.join()
            store.finish_job(job.id, now_ms(), result=result, error=error, worker=self.worker_id)

    def _reporter(self, job_id: str, every_s: float = 1.0):
        """report(phase, fraction) → the job's row, at most once a second unless the phase changes."""
        last = {"phase": None, "at": 0.0}

        def report(phase: str, fraction: float) -> None:
            now = time.monotonic()
            if phase == last["phase"] and now - last["at"] < every_s and fraction < 1.0:
                return
            last.update(phase=phase, at=now)
            self.ctx.store.set_job_progress(job_id, self.worker_id, phase, fraction)
        return report

    def _keep_lease(self, job_id: str, done: threading.Event) -> None:
        """Renew the lease every third of its length until the job is done (or no longer ours)."""
        while not done.wait(self.lease_ms / 3000):
            if not self.ctx.store.renew_lease(job_id, self.worker_id, now_ms(), self.lease_ms):
                return


def start_workers(ctx: AppContext, count: int | None = None) -> list[JobWorker]:
    """Start `count` (default: the job_workers setting) worker threads; they stop with ctx.stop."""
    workers = [JobWorker(ctx) for _ in range(ctx.settings.job_workers if count is None else count)]
    for worker in workers:
        worker.start()
    return workers


def stop_workers(ctx: AppContext, workers: list[JobWorker] = ()) -> None:
    ctx.stop.set()
    ctx.wake.set()
    for worker in workers:
        worker.join()
