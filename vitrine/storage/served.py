"""What the service reads on its hot path: each shopper's cached recommendations, the catalog's
version (a new random token on every change to items or their pictures), and the served fit.

One statement answers a recommendation request's whole question — the shopper's entry if it is
of the served fit and no event of theirs came after it, the catalog version, the announced fit —
so a request costs one round trip to the database."""

from __future__ import annotations

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


class ServedQueries:
    """The recommendation cache and the versions every API process compares its own state with."""

    def cached_entry(self, user_id: str, fit: str) -> tuple[bytes | None, str | None, dict | None]:
        """(the shopper's valid entry or None, the catalog version, the served fit)."""
        with self.engine.connect() as conn:
            entry, catalog, served = conn.execute(_ENTRY, {"user": user_id, "fit": fit}).one()
        return entry, catalog, served

    def versions(self) -> tuple[str | None, dict | None]:
        """(the catalog version, the served fit)."""
        with self.engine.connect() as conn:
            return tuple(conn.execute(_VERSIONS).one())

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
