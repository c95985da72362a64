"""One shop's store: a database (SQLite file by default, any SQLAlchemy URL) plus image files.

Every load runs inside `store.loading()`: one database transaction and one image batch. If
anything inside raises, the transaction rolls back and the new image files are deleted, so the
store is exactly as it was before. A load killed outright leaves a journal of the files it was
writing; the next load sweeps the ones no row points to (`sweep_pending`), and `check()` reports
orphans, missing files and database integrity.

Every query the rest of Vitrine needs is a method here, so no other module writes SQL.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import (Connection, and_, case, create_engine, delete, event, func, insert, inspect, or_, select,
                        update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from vitrine import config
from vitrine.catalog import schema
from vitrine.catalog.images import ImageBatch, ImageStore, StoredImage

INSERT_CHUNK = 20_000
READ_CHUNK = 200_000  # rows per fetch when the whole log is read
IN_CHUNK = 900  # IDs per IN (…) clause: under SQLite's bound-parameter limit
BUSY_SECONDS = float(os.environ.get("VITRINE_BUSY_TIMEOUT", "30"))  # how long a writer waits for another
DEFAULT_LEASE_MS = 60_000  # how long a worker holds a job between renewals before others may take it


def _now_ms() -> int:
    return int(time.time() * 1000)


def _lapsed(jobs, now_ms: int):
    """A running job whose worker stopped renewing its lease (or that has none, from before leases)."""
    return and_(jobs.c.status == "running", or_(jobs.c.lease_until.is_(None), jobs.c.lease_until < now_ms))


class StoreError(Exception):
    """The store cannot be opened or used as asked; the message says why in one line."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")    # readers don't block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster bulk loads
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    cursor.close()


def _chunks(values: list, size: int = IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _shown(url: str) -> str:
    """A URL fit to print: its password hidden."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def _is_busy(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower()


@dataclass
class CheckResult:
    """What `Store.check` found; `repaired` lists what it removed."""

    orphan_files: list[str] = field(default_factory=list)
    temporary_files: list[str] = field(default_factory=list)
    stale_journals: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    database: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        removed = set(self.repaired)
        leftover = [p for p in self.orphan_files + self.temporary_files + self.stale_journals if p not in removed]
        return len(leftover) + len(self.missing_files) + len(self.database)


class Store:
    def __init__(self, data_dir: str | Path | None = None, db_url: str | None = None, create: bool = True):
        self.data_dir = config.data_dir(data_dir)
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise StoreError(f"--data-dir {self.data_dir}: is a file, not a folder")
        self.url = config.db_url(self.data_dir, db_url)
        sqlite_file = self.data_dir / "vitrine.db" if db_url is None and not os.environ.get("VITRINE_DB_URL") else None
        if not create and sqlite_file is not None and not sqlite_file.exists():
            raise StoreError(f"--data-dir {self.data_dir}: no store here (build a catalog or import a shop first, "
                             "or point --data-dir / $VITRINE_DATA_DIR at an existing one)")
        try:
            self.engine: Engine = create_engine(self.url)
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise StoreError(f"--db-url {_shown(self.url)!r}: not a usable database URL ({exc})") from None
        except ImportError as exc:
            raise StoreError(f"--db-url {_shown(self.url)!r}: its database driver is not installed ({exc.name}; for "
                             "PostgreSQL: pip install -e '.[postgres]')") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            if create:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                schema.Base.metadata.create_all(self.engine)
            elif not inspect(self.engine).has_table(schema.Item.__tablename__):
                raise StoreError(f"--db-url {self.describe()}: no Vitrine store in this database (build or import one first)")
        except OSError as exc:
            raise StoreError(f"--data-dir {self.data_dir}: cannot create it ({exc.strerror or exc})") from None
        except DatabaseError as exc:
            if _is_busy(exc):
                raise StoreError(f"{self.describe()}: the store is busy (another process is writing); "
                                 "try again when it finishes") from None
            where = f"--data-dir {self.data_dir}" if sqlite_file is not None else f"--db-url {self.describe()}"
            raise StoreError(f"{where}: cannot open the database ({exc.orig})") from None
        self.images = ImageStore(self.data_dir)

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True) if hasattr(self, "engine") else _shown(self.url)

    def __repr__(self) -> str:
        return f"Store({self.data_dir}, {self.describe()})"

    @contextmanager
    def loading(self):
        """A transaction and an image batch that commit together or leave no trace."""
        self.sweep_pending()
        try:
            with self.images.batch() as batch, self.engine.begin() as conn:
                yield Loader(conn, batch)
        except OperationalError as exc:
            if _is_busy(exc):
                raise StoreError(f"{self.describe()}: the store is busy (another process has been writing for "
                                 f"over {BUSY_SECONDS:.0f} s); nothing was stored — try again when it finishes") from None
            raise

    # ---- files a killed load left behind ---------------------------------------------------
    def _referenced_paths(self, conn: Connection) -> set[str]:
        paths = set(conn.execute(select(schema.Image.path)).scalars())
        return paths | set(conn.execute(select(schema.GeneratedImage.path)).scalars())

    def sweep_pending(self) -> list[str]:
        """Delete the files listed in a dead process's journal that no row points to."""
        journals = [j for j in self.images.pending_journals() if not _alive(j)]
        if not journals:
            return []
        with self.engine.connect() as conn:
            referenced = self._referenced_paths(conn)
        removed = []
        for journal in journals:
            for rel in self.images.journal_entries(journal):
                if rel not in referenced and self.images.inside(rel):
                    path = self.data_dir / rel
                    if path.exists():
                        path.unlink()
                        removed.append(rel)
            journal.unlink(missing_ok=True)
        return removed

    def prune_images(self) -> int:
        """Delete image files no row points to (after a rebuild replaced the rows); returns how many."""
        return len(self.check(repair=True, database=False).repaired)

    def check(self, repair: bool = False, database: bool = True) -> CheckResult:
        """Orphan and temporary image files, dead journals, rows whose file is missing, and the
        database's own integrity checks. `repair` deletes the orphans, temporaries and journals;
        files a running load is writing are left alone."""
        result = CheckResult()
        live = {j for j in self.images.pending_journals() if _alive(j)}
        in_flight = {rel for j in live for rel in self.images.journal_entries(j)}  # a running load's files
        with self.engine.connect() as conn:
            referenced = self._referenced_paths(conn)
            result.database = self._integrity(conn) if database else []
        for path in self.images.files():
            rel = path.relative_to(self.data_dir).as_posix()
            if rel in in_flight:
                continue
            if path.name.startswith(".tmp-"):
                result.temporary_files.append(rel)
            elif rel not in referenced:
                result.orphan_files.append(rel)
        result.stale_journals = [j.relative_to(self.data_dir).as_posix()
                                 for j in self.images.pending_journals() if j not in live]
        result.missing_files = sorted(rel for rel in referenced if not (self.data_dir / rel).is_file())
        if repair:
            for rel in result.orphan_files + result.temporary_files + result.stale_journals:
                (self.data_dir / rel).unlink(missing_ok=True)
                result.repaired.append(rel)
        return result

    def _integrity(self, conn: Connection) -> list[str]:
        problems = []
        if self.engine.dialect.name == "sqlite":
            verdict = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            problems += [f"integrity_check: {v}" for v in verdict if v != "ok"]
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check").all():
                problems.append(f"foreign key: {row[0]} row {row[1]} points to a missing {row[2]} row")
        else:  # the same reference checks, in SQL any database runs
            i, it, u, im, li = (schema.Interaction.__table__, schema.Item.__table__, schema.User.__table__,
                                schema.Image.__table__, schema.ItemImage.__table__)
            for label, query in (
                    ("interactions → items", select(func.count()).select_from(i).where(i.c.item_id.not_in(select(it.c.id)))),
                    ("interactions → users", select(func.count()).select_from(i).where(i.c.user_id.not_in(select(u.c.id)))),
                    ("item_images → images", select(func.count()).select_from(li)
                     .where(li.c.image_sha256.not_in(select(im.c.sha256))))):
                n = conn.execute(query).scalar_one()
                if n:
                    problems.append(f"foreign key: {n} {label} references are missing")
        return problems

    # ---- reading: counts and meta -----------------------------------------------------------
    def count(self, table) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    def holdings(self) -> dict[str, int]:
        """What a rebuild would replace: items by source, users (simulated or not), events."""
        items = schema.Item.__table__
        with self.engine.connect() as conn:
            by_source = dict(conn.execute(select(items.c.source, func.count()).group_by(items.c.source)).all())
            events = conn.execute(select(func.count()).select_from(schema.Interaction.__table__)).scalar_one()
        # JSON columns store None as JSON null, which IS NOT NULL does not filter: count in Python
        truth = self.true_preferences()
        return {"items": sum(by_source.values()), "items_by_source": by_source, "users": len(truth),
                "simulated_users": sum(isinstance(p, dict) for p in truth.values()), "events": events}

    def get_meta(self, key: str, default=None):
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.Meta.value).where(schema.Meta.key == key)).first()
        return row[0] if row else default

    def event_counts(self) -> dict[str, int]:
        table = schema.Interaction.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.event, func.count()).group_by(table.c.event)).all()
        return {event_name: n for event_name, n in rows}

    def existing_ids(self, table) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(table.c.id)).scalars())

    # ---- jobs: the service's background work ----------------------------------------------------
    def prepare_for_service(self) -> None:
        """Create what the service needs in a store made before it existed: the jobs table, and
        the indexes its pages and routes filter and look pictures up by."""
        schema.Job.__table__.create(self.engine, checkfirst=True)
        self._add_job_lease_columns()
        for table in (schema.Item.__table__, schema.GeneratedImage.__table__):
            for index in table.indexes:
                index.create(self.engine, checkfirst=True)

    def _add_job_lease_columns(self) -> None:
        """The lease columns, for a jobs table made before they existed."""
        from sqlalchemy import text
        have = {c["name"] for c in inspect(self.engine).get_columns("jobs")}
        if_absent = "IF NOT EXISTS " if self.engine.dialect.name == "postgresql" else ""
        with self.engine.begin() as conn:
            for name, kind in (("worker", "VARCHAR(96)"), ("lease_until", "BIGINT")):
                if name not in have:
                    conn.execute(text(f"ALTER TABLE jobs ADD COLUMN {if_absent}{name} {kind}"))

    def add_job(self, job_id: str, kind: str, request: dict, client: str | None, now_ms: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(schema.Job.__table__).values(id=job_id, kind=kind, status="queued", request=request,
                                                             client=client, created_at=now_ms))

    def job(self, job_id: str):
        table = schema.Job.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(table).where(table.c.id == job_id)).first()

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

    # ---- reading: items, users, events --------------------------------------------------------
    def item_rows(self, columns: tuple[str, ...], source: str | None = None, ids: list[str] | None = None) -> list:
        """Rows of the chosen item columns (ordered by ID), optionally of one source or these IDs."""
        items = schema.Item.__table__
        query = select(*(items.c[name] for name in columns)).order_by(items.c.id)
        if source is not None:
            query = query.where(items.c.source == source)
        with self.engine.connect() as conn:
            if ids is None:
                return conn.execute(query).all()
            return [row for chunk in _chunks(list(ids)) for row in conn.execute(query.where(items.c.id.in_(chunk)))]

    def user_ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(schema.User.__table__.c.id)).scalars())

    def user_exists(self, user_id: str) -> bool:
        users = schema.User.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is not None

    def true_preferences(self) -> dict[str, dict | None]:
        users = schema.User.__table__
        with self.engine.connect() as conn:
            return dict(conn.execute(select(users.c.id, users.c.true_preferences)).all())

    def new_item_ids(self) -> list[str]:
        table = schema.Item.__table__
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(table.c.id).where(table.c.is_new.is_(True))).scalars())

    def main_photos(self, item_ids: list[str] | None = None) -> list[tuple[str, str]]:
        """(item_id, image path) of each item's main photo (position 0)."""
        links, files = schema.ItemImage.__table__, schema.Image.__table__
        query = (select(links.c.item_id, files.c.path).join(files, links.c.image_sha256 == files.c.sha256)
                 .where(links.c.position == 0).order_by(links.c.item_id))
        with self.engine.connect() as conn:
            if item_ids is None:
                return [tuple(r) for r in conn.execute(query)]
            return [tuple(r) for chunk in _chunks(list(item_ids)) for r in conn.execute(query.where(links.c.item_id.in_(chunk)))]

    def generated_images(self, item_id: str | None = None) -> list:
        """Rows of generated pictures, of one item when given, oldest first."""
        table = schema.GeneratedImage.__table__
        query = select(table).order_by(table.c.id)
        if item_id is not None:
            query = query.where(table.c.item_id == item_id)
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def browse_items(self, categories: list[str] | None = None, colours: list[str] | None = None,
                     min_price: float | None = None, max_price: float | None = None, limit: int = 24,
                     offset: int = 0, newest_first: bool = False) -> tuple[list, int]:
        """A page of items (id, title, category, colour, pattern, price, is_new) matching every given
        filter (any of several categories, any of several colours, a price range), ordered by ID
        (or newest launch first), and how many match in all."""
        items = schema.Item.__table__
        where = []
        if categories:
            where.append(items.c.category.in_(categories))
        if colours:
            where.append(items.c.colour.in_(colours))
        if min_price is not None:
            where.append(items.c.price >= min_price)
        if max_price is not None:
            where.append(items.c.price <= max_price)
        order = (items.c.launched_at.desc().nulls_last(), items.c.id) if newest_first else (items.c.id,)
        # The page's IDs first (from ix_items_facets alone when ordered by ID), then those rows.
        page = select(items.c.id).where(*where).order_by(*order).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(items).where(*where)).scalar_one()
            ids = list(conn.execute(page).scalars())
            rows = {r.id: r for r in conn.execute(
                select(items.c.id, items.c.title, items.c.category, items.c.colour, items.c.pattern, items.c.price,
                       items.c.is_new).where(items.c.id.in_(ids)))} if ids else {}
        return [rows[i] for i in ids], total

    def facet_counts(self, column: str) -> list[tuple[str, int]]:
        """(value, items) of one item column (category, colour, pattern), most items first."""
        items = schema.Item.__table__
        c = items.c[column]
        with self.engine.connect() as conn:
            return [(v, n) for v, n in conn.execute(select(c, func.count()).where(c.is_not(None)).group_by(c)
                                                    .order_by(func.count().desc(), c)).all()]

    def item_pictures(self, item_ids: list[str]) -> dict[str, tuple[str, bool]]:
        """Per item, (sha256 of its picture, generated?): its main photo, else its newest generated
        picture; items with neither are absent."""
        links, generated = schema.ItemImage.__table__, schema.GeneratedImage.__table__
        out: dict[str, tuple[str, bool]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(item_ids)):
                for item_id, sha in conn.execute(select(generated.c.item_id, generated.c.sha256)
                                                 .where(generated.c.item_id.in_(chunk)).order_by(generated.c.id)):
                    out[item_id] = (sha, True)  # id order: the newest wins
                for item_id, sha in conn.execute(select(links.c.item_id, links.c.image_sha256)
                                                 .where(links.c.item_id.in_(chunk), links.c.position == 0)):
                    out[item_id] = (sha, False)  # a photo always wins over a generated picture
        return out

    def image_file(self, sha256: str) -> tuple[str, str] | None:
        """(relative path, format as PIL names it) of a stored image or generated picture by its content hash."""
        images, generated = schema.Image.__table__, schema.GeneratedImage.__table__
        with self.engine.connect() as conn:
            row = conn.execute(select(images.c.path, images.c.format).where(images.c.sha256 == sha256)).first()
            if row is None:
                path = conn.execute(select(generated.c.path).where(generated.c.sha256 == sha256).limit(1)).scalar()
                return (path, "PNG") if path else None  # generated pictures are saved as PNG
        return tuple(row)

    def item_previews(self) -> list[tuple[str, str]]:
        """(item_id, image path) of each item's newest generated picture, for items that have one."""
        table = schema.GeneratedImage.__table__
        query = select(table.c.item_id, table.c.path).where(table.c.item_id.is_not(None)).order_by(table.c.id)
        with self.engine.connect() as conn:
            newest = {item_id: path for item_id, path in conn.execute(query)}  # id order: the last one wins
        return sorted(newest.items())

    def items_without_picture(self, limit: int | None = None) -> list:
        """Rows (id, title, description, category, colour, pattern) of items with neither a photo
        nor a generated picture, ordered by ID."""
        items, links, generated = schema.Item.__table__, schema.ItemImage.__table__, schema.GeneratedImage.__table__
        query = (select(items.c.id, items.c.title, items.c.description, items.c.category, items.c.colour,
                        items.c.pattern)
                 .where(~items.c.id.in_(select(links.c.item_id)))
                 .where(~items.c.id.in_(select(generated.c.item_id).where(generated.c.item_id.is_not(None))))
                 .order_by(items.c.id).limit(limit))
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def items_with_photo_path(self, item_ids: list[str]) -> list:
        """Rows (id, title, category, colour, pattern, price, path) of these items, path None
        where an item has no photo, ordered by ID."""
        items, links, images = schema.Item.__table__, schema.ItemImage.__table__, schema.Image.__table__
        query = (select(items.c.id, items.c.title, items.c.category, items.c.colour, items.c.pattern, items.c.price,
                        images.c.path)
                 .join(links, (links.c.item_id == items.c.id) & (links.c.position == 0), isouter=True)
                 .join(images, images.c.sha256 == links.c.image_sha256, isouter=True).order_by(items.c.id))
        with self.engine.connect() as conn:
            rows = [r for chunk in _chunks(list(item_ids)) for r in conn.execute(query.where(items.c.id.in_(chunk)))]
        return sorted(rows, key=lambda r: r.id)

    def interaction_batches(self, size: int = READ_CHUNK):
        """The whole log, ordered by time, as successive (user_ids, item_ids, events, ts) tuples of at
        most `size` rows: a reader that turns each batch into indices never holds the whole log as
        Python strings (three per event)."""
        table = schema.Interaction.__table__
        query = select(table.c.user_id, table.c.item_id, table.c.event, table.c.ts).order_by(table.c.ts, table.c.id)
        with self.engine.connect().execution_options(stream_results=True, max_row_buffer=size) as conn:
            result = conn.execute(query)
            while rows := result.fetchmany(size):
                users, items, events, ts = zip(*rows)
                yield users, items, events, np.array(ts, dtype=np.int64)

    def interactions(self) -> dict[str, np.ndarray]:
        """The whole log as arrays (user_id, item_id, event, ts), ordered by time."""
        columns = {"user_id": [], "item_id": [], "event": [], "ts": []}
        for batch in self.interaction_batches():
            for name, values in zip(columns, batch):
                columns[name].append(np.array(values, dtype=object if name != "ts" else np.int64))
        return {name: (np.concatenate(parts) if parts else np.array([], dtype=object if name != "ts" else np.int64))
                for name, parts in columns.items()}

    def purchases_with_category(self) -> list[tuple[str, str | None]]:
        """(user_id, category of the item bought) for every purchase."""
        items, inter = schema.Item.__table__, schema.Interaction.__table__
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(inter.c.user_id, items.c.category)
                                                    .join(items, items.c.id == inter.c.item_id)
                                                    .where(inter.c.event == "purchase"))]

    def purchase_counts_by_attributes(self) -> list[tuple[str, str, str, int]]:
        """(category, colour, pattern, purchases) of every attribute combination bought, most bought first."""
        items, inter = schema.Item.__table__, schema.Interaction.__table__
        query = (select(items.c.category, items.c.colour, items.c.pattern, func.count().label("n"))
                 .join(items, items.c.id == inter.c.item_id).where(inter.c.event == "purchase")
                 .group_by(items.c.category, items.c.colour, items.c.pattern)
                 .order_by(func.count().desc(), items.c.category, items.c.colour, items.c.pattern))
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]

    def active_user_ids(self, since_ms: int) -> list[str]:
        """Users with any event at or after `since_ms`, sorted."""
        inter = schema.Interaction.__table__
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(inter.c.user_id).where(inter.c.ts >= since_ms).distinct()).scalars())

    def last_event_id(self) -> int:
        """The newest event's row ID (0 for none): events after it are newer than what a fit read."""
        table = schema.Interaction.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()

    def events_after(self, user_id: str, after_id: int) -> list[tuple[str, str]]:
        """(item_id, event) of the shopper's events stored after row `after_id`, oldest first."""
        table = schema.Interaction.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(table.c.item_id, table.c.event)
                                .where(table.c.user_id == user_id, table.c.id > after_id)
                                .order_by(table.c.id)).all()

    def last_items(self, user_ids: list[str], event: str | None = None) -> dict[str, str]:
        """Each of these users' most recent item (of one event type when given); users without one are absent."""
        inter = schema.Interaction.__table__
        query = select(inter.c.user_id, inter.c.item_id).order_by(inter.c.ts, inter.c.id)
        if event is not None:
            query = query.where(inter.c.event == event)
        last = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(user_ids)):
                for user_id, item_id in conn.execute(query.where(inter.c.user_id.in_(chunk))):
                    last[user_id] = item_id  # time order: the final assignment is the latest
        return last

    def summary_counts(self) -> dict:
        """The counts `vitrine stats` shows: items by column, photos, time range, events per item and user."""
        items, inter = schema.Item.__table__, schema.Interaction.__table__
        with self.engine.connect() as conn:
            by_column = {name: dict(conn.execute(select(items.c[name], func.count()).group_by(items.c[name])
                                                 .order_by(func.count().desc())).all())
                         for name in ("source", "category", "colour", "pattern")}
            with_photo = conn.execute(select(func.count(func.distinct(schema.ItemImage.__table__.c.item_id)))).scalar_one()
            first, last = conn.execute(select(func.min(inter.c.ts), func.max(inter.c.ts))).one()
            per_item = conn.execute(select(func.count()).select_from(inter).group_by(inter.c.item_id)).scalars().all()
            per_user = conn.execute(select(func.count()).select_from(inter).group_by(inter.c.user_id)).scalars().all()
        return {"by_column": by_column, "with_photo": with_photo, "first_ts": first, "last_ts": last,
                "per_item": np.array(per_item), "per_user": np.array(per_user)}

    def events_by_period(self, train_end_ms: int, valid_end_ms: int) -> tuple[dict, dict]:
        """Event counts per period (train / valid / test), for all items and for new items."""
        items, inter = schema.Item.__table__, schema.Interaction.__table__
        part = case((inter.c.ts < train_end_ms, "train"), (inter.c.ts < valid_end_ms, "valid"), else_="test")
        new_item = inter.c.item_id.in_(select(items.c.id).where(items.c.is_new.is_(True)))
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(part, func.count()).group_by(part)).all())
            new_counts = dict(conn.execute(select(part, func.count()).where(new_item).group_by(part)).all())
        return counts, new_counts


def _alive(journal: Path) -> bool:
    """Whether the process that wrote this journal (its name starts with the pid) still runs."""
    try:
        pid = int(journal.name.split("-", 1)[0])
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Loader:
    """What a load writes through: bulk inserts on one connection, images into one batch."""

    def __init__(self, conn: Connection, images: ImageBatch):
        self.conn = conn
        self.images = images

    def insert(self, model, rows: list[dict], progress=None) -> None:
        table = model.__table__
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start:start + INSERT_CHUNK]
            self.conn.execute(insert(table), chunk)
            if progress is not None:
                progress.update(len(chunk))

    def items_by_id(self, ids: list[str]) -> dict[str, dict]:
        table = schema.Item.__table__
        found = {}
        for chunk in _chunks(ids):
            found.update({r.id: r._asdict() for r in self.conn.execute(select(table).where(table.c.id.in_(chunk)))})
        return found

    def upsert_items(self, rows: list[dict]) -> dict[str, dict]:
        """Insert new items; update stored ones with the fields the row gives (a missing value keeps
        the stored one, attributes merge, the source and the new-item flag stay). Returns, per
        updated item, the fields that changed as {field: [old, new]}."""
        table = schema.Item.__table__
        stored = self.items_by_id([r["id"] for r in rows])
        changes = {}
        for row in rows:
            old = stored.get(row["id"])
            if old is None:
                continue
            values = {k: v for k, v in row.items()
                      if k not in ("id", "source", "is_new", "launched_at", "attributes") and v is not None}
            values["attributes"] = {**(old["attributes"] or {}), **(row.get("attributes") or {})}
            changed = {k: [old[k], v] for k, v in values.items() if old[k] != v}
            if changed:
                self.conn.execute(table.update().where(table.c.id == row["id"]).values(**values))
                changes[row["id"]] = changed
        self.insert(schema.Item, [r for r in rows if r["id"] not in stored])
        return changes

    def attach_images(self, links: list[tuple[str, StoredImage, int]]) -> None:
        """Record (item_id, image, position) links, replacing those items' earlier photos."""
        image_table, link_table = schema.Image.__table__, schema.ItemImage.__table__
        shas = list({image.sha256: image for _, image, _ in links}.values())
        known = set()
        for chunk in _chunks([image.sha256 for image in shas]):
            known.update(self.conn.execute(select(image_table.c.sha256).where(image_table.c.sha256.in_(chunk))).scalars())
        self.insert(schema.Image, [
            {"sha256": im.sha256, "path": im.path, "width": im.width, "height": im.height, "format": im.format}
            for im in shas if im.sha256 not in known])
        for chunk in _chunks(list({item_id for item_id, _, _ in links})):
            self.conn.execute(delete(link_table).where(link_table.c.item_id.in_(chunk)))
        unique_links = {(item_id, image.sha256): position for item_id, image, position in links}
        self.insert(schema.ItemImage, [
            {"item_id": item_id, "image_sha256": sha, "position": position}
            for (item_id, sha), position in unique_links.items()])

    def item_sources(self) -> dict[str, str]:
        table = schema.Item.__table__
        return dict(self.conn.execute(select(table.c.id, table.c.source)).all())

    def user_ids(self) -> set[str]:
        return set(self.conn.execute(select(schema.User.__table__.c.id)).scalars())

    def get_meta(self, key: str):
        row = self.conn.execute(select(schema.Meta.value).where(schema.Meta.key == key)).first()
        return row[0] if row else None

    def log_time_range(self) -> tuple[int | None, int | None]:
        inter = schema.Interaction.__table__
        return tuple(self.conn.execute(select(func.min(inter.c.ts), func.max(inter.c.ts))).one())

    def first_seen(self) -> dict[str, int]:
        """Each item's first event time (epoch ms), as this transaction sees the log."""
        inter = schema.Interaction.__table__
        return dict(self.conn.execute(select(inter.c.item_id, func.min(inter.c.ts)).group_by(inter.c.item_id)).all())

    def mark_new_items(self, launched: dict[str, int | None], clear_launch_times: bool = False) -> None:
        """Clear every item's new flag (and, with clear_launch_times, every launch time), then flag
        the items in `launched`, each with its launch time (epoch ms)."""
        table = schema.Item.__table__
        self.conn.execute(table.update().values(is_new=False, **({"launched_at": None} if clear_launch_times else {})))
        by_time: dict[int | None, list[str]] = {}
        for item_id, ts in launched.items():
            by_time.setdefault(None if ts is None else int(ts), []).append(item_id)
        for ts, ids in by_time.items():
            for chunk in _chunks(ids):
                self.conn.execute(table.update().where(table.c.id.in_(chunk)).values(is_new=True, launched_at=ts))

    def replace_users_and_events(self) -> None:
        for model in (schema.Interaction, schema.User):
            self.conn.execute(model.__table__.delete())

    def add_generated_image(self, image: StoredImage, prompt: str, seed: int, model_id: str, params: dict,
                            item_id: str | None = None, user_id: str | None = None) -> None:
        """Record a generated picture: never an item photo (item_images), always its own row."""
        from datetime import datetime, timezone
        self.conn.execute(insert(schema.GeneratedImage.__table__).values(
            prompt=prompt, negative_prompt=None, seed=seed, model_id=model_id, path=image.path, sha256=image.sha256,
            params=params, item_id=item_id, user_id=user_id, created_at=datetime.now(timezone.utc)))

    def delete_item(self, item_id: str) -> dict[str, int]:
        """Remove an item with its events, photo links and generated pictures' rows (image files
        stay until `vitrine store check --repair`, being shared by content). Returns rows removed."""
        removed = {}
        for model, column in ((schema.Interaction, "item_id"), (schema.ItemImage, "item_id"),
                              (schema.GeneratedImage, "item_id"), (schema.Item, "id")):
            table = model.__table__
            removed[table.name] = self.conn.execute(delete(table).where(table.c[column] == item_id)).rowcount
        return removed

    def set_meta(self, key: str, value) -> None:
        table = schema.Meta.__table__
        self.conn.execute(delete(table).where(table.c.key == key))
        self.conn.execute(insert(table).values(key=key, value=value))

    def clear(self) -> None:
        """Remove every row (children first); image files stay, being shared by content."""
        for model in (schema.GeneratedImage, schema.Interaction, schema.ItemImage, schema.Image,
                      schema.User, schema.Item, schema.Meta):
            self.conn.execute(delete(model.__table__))
