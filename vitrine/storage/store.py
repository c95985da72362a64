"""One shop's store: a database (SQLite file by default, any SQLAlchemy URL) plus image files.

Every load runs inside `store.loading()`: one database transaction and one image batch. If
anything inside raises, the transaction rolls back and the new image files are deleted, so the
store is exactly as it was before. A load killed outright leaves a journal of the files it was
writing; the next load sweeps the ones no row points to (`sweep_pending`), and `check()` reports
orphans, missing files and database integrity.

Every query the rest of Vitrine needs is a method of `Store`, so no other module writes SQL. The
methods live in one module per concern, each a class the Store is made of: the catalog
(catalog.py), the event log (events.py), pictures (pictures.py), the job queue (jobs.py), counts
and meta (meta.py), file hygiene (hygiene.py); writes go through a Loader (loader.py). The
schema is the Alembic migrations' (migrations/), applied when a store is opened.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import DatabaseError, OperationalError

from vitrine import config
from vitrine.storage.catalog import CatalogQueries
from vitrine.storage.engine import BUSY_SECONDS, StoreError, is_busy, open_engine, shown
from vitrine.storage.events import EventQueries
from vitrine.storage.hygiene import CheckResult, FileHygiene
from vitrine.storage.images import ImageStore
from vitrine.storage.jobs import JobQueries
from vitrine.storage.loader import Loader
from vitrine.storage.meta import MetaQueries
from vitrine.storage.migrate import has_store, upgrade
from vitrine.storage.pictures import PictureQueries
from vitrine.storage.served import ServedQueries

__all__ = ["CheckResult", "Loader", "Store", "StoreError"]


class Store(CatalogQueries, EventQueries, PictureQueries, JobQueries, MetaQueries, ServedQueries, FileHygiene):
    def __init__(self, data_dir: str | Path | None = None, db_url: str | None = None, create: bool = True):
        self.data_dir = config.data_dir(data_dir)
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise StoreError(f"--data-dir {self.data_dir}: is a file, not a folder")
        self.url = config.db_url(self.data_dir, db_url)
        sqlite_file = self.data_dir / "vitrine.db" if db_url is None and not os.environ.get("VITRINE_DB_URL") else None
        if not create and sqlite_file is not None and not sqlite_file.exists():
            raise StoreError(f"--data-dir {self.data_dir}: no store here (build a catalog or import a shop first, "
                             "or point --data-dir / $VITRINE_DATA_DIR at an existing one)")
        self.engine = open_engine(self.url)
        try:
            if create:
                self.data_dir.mkdir(parents=True, exist_ok=True)
            elif not has_store(self.engine):
                raise StoreError(f"--db-url {self.describe()}: no Vitrine store in this database (build or import one first)")
            upgrade(self.engine)  # a new store's tables, or an older store's missing changes
        except OSError as exc:
            raise StoreError(f"--data-dir {self.data_dir}: cannot create it ({exc.strerror or exc})") from None
        except DatabaseError as exc:
            if is_busy(exc):
                raise StoreError(f"{self.describe()}: the store is busy (another process is writing); "
                                 "try again when it finishes") from None
            where = f"--data-dir {self.data_dir}" if sqlite_file is not None else f"--db-url {self.describe()}"
            raise StoreError(f"{where}: cannot open the database ({exc.orig})") from None
        self.images = ImageStore(self.data_dir)

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True) if hasattr(self, "engine") else shown(self.url)

    def __repr__(self) -> str:
        return f"Store({self.data_dir}, {self.describe()})"

    @contextmanager
    def loading(self):
        """A transaction and an image batch that commit together or leave no trace."""
        self.sweep_pending()
        try:
            with self.images.batch() as batch, self.engine.begin() as conn:
                loader = Loader(conn, batch)
                yield loader
                loader.finish()
        except OperationalError as exc:
            if is_busy(exc):
                raise StoreError(f"{self.describe()}: the store is busy (another process has been writing for "
                                 f"over {BUSY_SECONDS:.0f} s); nothing was stored — try again when it finishes") from None
            raise
