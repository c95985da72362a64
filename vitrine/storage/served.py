"""What the service reads on its hot path: each shopper's cached recommendations, the catalog's
version (a new random token on every change to items or their pictures), and the served fit.

One statement answers a recommendation request's whole question — the shopper's entry if it is
of the served fit and no event of theirs came after it, the catalog version, the announced fit —
so a request costs one round trip to the database."""

from __future__ import annotations

import json
import threading
import uuid

from sqlalchemy import bindparam, delete, exists, select

from vitrine.storage import schema
from vitrine.storage.engine import chunks

CATALOG_VERSION = "catalog_version"  # meta key: changes whenever items or their pictures change
SERVED_FIT = "served_fit"            # meta key: {"id": …, "folder": …} of the newest fit into a served folder

_cache, _meta, _events = (schema.CachedRecommendations.__table__, schema.Meta.__table__,
                          schema.Interaction.__table__)


def _meta_value(key: str):
    return select(_meta.c.value).where(_meta.c.key == key).scalar_subquery()


# Built once: SQLAlchemy then reuses the compiled statement for every request.
_ENTRY = select(
    select(_cache.c.entry).where(
        _cache.c.user_id == bindparam("user"), _cache.c.fit == bindparam("fit"),
        ~exists().where(_events.c.user_id == bindparam("user"), _events.c.id > _cache.c.mark),
    ).scalar_subquery().label("entry"),
    _meta_value(CATALOG_VERSION).label("catalog"),
    _meta_value(SERVED_FIT).label("served_fit"),
)
_VERSIONS = select(_meta_value(CATALOG_VERSION).label("catalog"), _meta_value(SERVED_FIT).label("served_fit"))


def new_version() -> str:
    return uuid.uuid4().hex


class HotReader:
    """One statement run on a DBAPI connection of the calling thread's own, kept open: a pooled
    connection and SQLAlchemy's execution path cost ten times the query itself at the service's
    request rates (bench/service_speed.py). Each thread's connection is detached from the pool (it
    holds no pool slot) and reads in autocommit (PostgreSQL never sees it idle in a transaction;
    SQLite's module starts transactions only before writes), so every read sees every commit."""

    def __init__(self, engine, statement, names: tuple[str, ...], json_columns: tuple[int, ...]):
        self.engine = engine
        compiled = statement.compile(dialect=engine.dialect)
        self.sql, self.positions = str(compiled), compiled.positiontup  # None for named parameters
        self.fixed = compiled.construct_params(dict.fromkeys(names, ""))  # with the literals (meta keys)
        self.json_columns = json_columns if engine.dialect.name == "sqlite" else ()  # SQLite hands JSON back as text
        self.local = threading.local()

    def _connection(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            proxied = self.engine.raw_connection()
            conn = proxied.driver_connection
            proxied.detach()
            if self.engine.dialect.name == "postgresql":
                conn.autocommit = True
            self.local.conn = conn
        return conn

    def read(self, **values) -> list:
        values = {**self.fixed, **values}
        params = [values[name] for name in self.positions] if self.positions else values
        try:
            cursor = self._connection().cursor()
            cursor.execute(self.sql, params)
            row = list(cursor.fetchone())
            cursor.close()
        except Exception:
            self.local.conn = None  # a broken connection: the next read opens a new one
            raise
        for column in self.json_columns:
            row[column] = json.loads(row[column]) if row[column] is not None else None
        return row


class ServedQueries:
    """The recommendation cache and the versions every API process compares its own state with."""

    def _hot(self, name: str, statement, names: tuple[str, ...], json_columns: tuple[int, ...]) -> HotReader:
        reader = self.__dict__.get(name)
        if reader is None:
            reader = self.__dict__.setdefault(name, HotReader(self.engine, statement, names, json_columns))
        return reader

    def cached_entry(self, user_id: str, fit: str) -> tuple[bytes | None, str | None, dict | None]:
        """(the shopper's valid entry or None, the catalog version, the served fit)."""
        entry, catalog, served = self._hot("_entry_reader", _ENTRY, ("user", "fit"), (1, 2)).read(user=user_id, fit=fit)
        return (bytes(entry) if entry is not None else None), catalog, served

    def versions(self) -> tuple[str | None, dict | None]:
        """(the catalog version, the served fit)."""
        catalog, served = self._hot("_versions_reader", _VERSIONS, (), (0, 1)).read()
        return catalog, served

    def save_entries(self, fit: str, entries: list[tuple[str, int, bytes]]) -> None:
        """Store (user_id, mark, entry) rows of one fit, replacing the shoppers' earlier entries."""
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:  # any other database: delete then insert in one transaction
            insert = None
        with self.engine.begin() as conn:
            for chunk in chunks(entries, 2_000):
                rows = [{"user_id": u, "fit": fit, "mark": int(m), "entry": e} for u, m, e in chunk]
                if insert is None:
                    conn.execute(delete(_cache).where(_cache.c.user_id.in_([r["user_id"] for r in rows])))
                    conn.execute(_cache.insert(), rows)
                    continue
                statement = insert(_cache)
                conn.execute(statement.on_conflict_do_update(
                    index_elements=[_cache.c.user_id],
                    set_={"fit": statement.excluded.fit, "mark": statement.excluded.mark,
                          "entry": statement.excluded.entry}), rows)

    def drop_entries(self, keep_fit: str | None = None) -> int:
        """Remove cached entries (all, or those of fits other than `keep_fit`); how many."""
        query = delete(_cache) if keep_fit is None else delete(_cache).where(_cache.c.fit != keep_fit)
        with self.engine.begin() as conn:
            return conn.execute(query).rowcount

    def cached_count(self, fit: str | None = None) -> int:
        from sqlalchemy import func
        query = select(func.count()).select_from(_cache)
        if fit is not None:
            query = query.where(_cache.c.fit == fit)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def announce_fit(self, fit_id: str, folder: str) -> None:
        """Tell every process serving `folder` that a new fit is there."""
        with self.loading() as load:
            load.set_meta(SERVED_FIT, {"id": fit_id, "folder": folder})
