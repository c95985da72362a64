"""The job queue's rows: add, claim with a lease, renew, finish, requeue what a dead worker held.

A worker holds a running job by a lease it renews; a job whose lease lapsed (its worker died) is
taken again, and only the job's current holder can finish it."""

from __future__ import annotations

import time

from sqlalchemy import and_, func, insert, or_, select, update

from vitrine.storage import schema

DEFAULT_LEASE_MS = 60_000  # how long a worker holds a job between renewals before others may take it


def _now_ms() -> int:
    return int(time.time() * 1000)


def _lapsed(jobs, now_ms: int):
    """A running job whose worker stopped renewing its lease (or that has none, from before leases)."""
    return and_(jobs.c.status == "running", or_(jobs.c.lease_until.is_(None), jobs.c.lease_until < now_ms))


class JobQueries:
    """The `jobs` table (the Store's part that works it)."""

    def add_job(self, job_id: str, kind: str, request: dict, client: str | None, now_ms: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(schema.Job.__table__).values(id=job_id, kind=kind, status="queued", request=request,
                                                             client=client, created_at=now_ms))

    def job(self, job_id: str):
        table = schema.Job.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(table).where(table.c.id == job_id)).first()

    def latest_job(self, kind: str, asked: dict, scan: int = 500):
        """The newest finished job of a kind whose request holds every key/value of `asked` (a
        shopper's last designs), among the `scan` newest of that kind; None if there is none."""
        table = schema.Job.__table__
        query = (select(table).where(table.c.kind == kind, table.c.status == "done")
                 .order_by(table.c.finished_at.desc()).limit(scan))
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                if all(row.request.get(k) == v for k, v in asked.items()):
                    return row
        return None

    def open_jobs(self, client: str | None = None) -> int:
        """Jobs queued or running (of one client when given)."""
        table = schema.Job.__table__
        query = select(func.count()).select_from(table).where(table.c.status.in_(("queued", "running")))
        if client is not None:
            query = query.where(table.c.client == client)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def open_job_rows(self) -> list:
        """Jobs queued or running, oldest first."""
        table = schema.Job.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(table).where(table.c.status.in_(("queued", "running")))
                                .order_by(table.c.created_at)).all()

    def claim_job(self, worker: str = "", now_ms: int | None = None, lease_ms: int = DEFAULT_LEASE_MS):
        """The oldest job that is queued, or running on a lease that lapsed (its worker died),
        marked running for `worker` until now + lease_ms — or None. One UPDATE … RETURNING does
        it, so workers in several threads or processes never take the same job: on PostgreSQL the
        pick skips rows another transaction has locked (FOR UPDATE SKIP LOCKED); on SQLite the
        statement takes the write lock first (a SELECT then an UPDATE could not upgrade its lock
        under contention)."""
        table = schema.Job.__table__
        now = _now_ms() if now_ms is None else now_ms
        takeable = or_(table.c.status == "queued", _lapsed(table, now))
        oldest = (select(table.c.id).where(takeable).order_by(table.c.created_at, table.c.id)
                  .limit(1).with_for_update(skip_locked=True).scalar_subquery())
        with self.engine.begin() as conn:
            return conn.execute(update(table).where(table.c.id == oldest, takeable)
                                .values(status="running", worker=worker, lease_until=now + lease_ms)
                                .returning(*table.c)).first()

    def renew_lease(self, job_id: str, worker: str, now_ms: int, lease_ms: int = DEFAULT_LEASE_MS) -> bool:
        """Extend `worker`'s lease on a running job; False when the job is no longer its own."""
        table = schema.Job.__table__
        with self.engine.begin() as conn:
            return conn.execute(update(table).where(table.c.id == job_id, table.c.worker == worker,
                                                    table.c.status == "running")
                                .values(lease_until=now_ms + lease_ms)).rowcount == 1

    def set_job_progress(self, job_id: str, worker: str, phase: str, fraction: float) -> bool:
        """Record how far a running job is, while `worker` holds it; False when it no longer does."""
        table = schema.Job.__table__
        with self.engine.begin() as conn:
            return conn.execute(update(table).where(table.c.id == job_id, table.c.worker == worker,
                                                    table.c.status == "running")
                                .values(progress={"phase": phase, "fraction": round(float(fraction), 4)})).rowcount == 1

    def finish_job(self, job_id: str, now_ms: int, result: dict | None = None, error: str | None = None,
                   worker: str | None = None) -> bool:
        """Store a job's result (or error). With `worker`, only while that worker holds the job: a
        worker whose lease lapsed and whose job another took cannot finish it too. True if stored."""
        table = schema.Job.__table__
        query = update(table).where(table.c.id == job_id)
        if worker is not None:
            query = query.where(table.c.worker == worker, table.c.status == "running")
        with self.engine.begin() as conn:
            return conn.execute(query.values(status="failed" if error else "done", result=result, error=error,
                                             finished_at=now_ms, lease_until=None)).rowcount == 1

    def requeue_lapsed_jobs(self, now_ms: int | None = None) -> int:
        """Running jobs whose lease lapsed (a stopped worker's) show as queued again; jobs other
        live workers hold keep running."""
        table = schema.Job.__table__
        now = _now_ms() if now_ms is None else now_ms
        with self.engine.begin() as conn:
            return conn.execute(update(table).where(_lapsed(table, now)).values(status="queued", worker=None,
                                                                   lease_until=None)).rowcount
