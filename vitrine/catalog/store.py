"""One shop's store: a database (SQLite file by default, any SQLAlchemy URL) plus image files.

Every load runs inside `store.loading()`: one database transaction and one image batch. If
anything inside raises, the transaction rolls back and the new image files are deleted, so the
store is exactly as it was before.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, create_engine, delete, event, func, insert, select
from sqlalchemy.engine import Engine

from vitrine import config
from vitrine.catalog import schema
from vitrine.catalog.images import ImageBatch, ImageStore, StoredImage

INSERT_CHUNK = 20_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")    # readers don't block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster bulk loads
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    def __init__(self, data_dir: str | Path | None = None, db_url: str | None = None):
        self.data_dir = config.data_dir(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.url = config.db_url(self.data_dir, db_url)
        self.engine: Engine = create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        schema.Base.metadata.create_all(self.engine)
        self.images = ImageStore(self.data_dir)

    def __repr__(self) -> str:
        return f"Store({self.data_dir}, {self.engine.url.render_as_string(hide_password=True)})"

    @contextmanager
    def loading(self):
        """A transaction and an image batch that commit together or leave no trace."""
        with self.images.batch() as batch, self.engine.begin() as conn:
            yield Loader(conn, batch)

    # ---- reading -------------------------------------------------------------------------
    def count(self, table) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    def get_meta(self, key: str, default=None):
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.Meta.value).where(schema.Meta.key == key)).first()
        return row[0] if row else default

    def event_counts(self) -> dict[str, int]:
        table = schema.Interaction.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.event, func.count()).group_by(table.c.event)).all()
        return {event_name: n for event_name, n in rows}

    def interactions(self) -> dict[str, np.ndarray]:
        """The whole log as arrays (user_id, item_id, event, ts), ordered by time."""
        table = schema.Interaction.__table__
        query = select(table.c.user_id, table.c.item_id, table.c.event, table.c.ts).order_by(table.c.ts, table.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return {"user_id": np.array([], dtype=object), "item_id": np.array([], dtype=object),
                    "event": np.array([], dtype=object), "ts": np.array([], dtype=np.int64)}
        users, items, events, ts = zip(*rows)
        return {"user_id": np.array(users, dtype=object), "item_id": np.array(items, dtype=object),
                "event": np.array(events, dtype=object), "ts": np.array(ts, dtype=np.int64)}

    def existing_ids(self, table) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(table.c.id)).scalars())


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

    def upsert_items(self, rows: list[dict]) -> None:
        """Insert new items; replace the fields of items whose ID is already stored."""
        table = schema.Item.__table__
        ids = [r["id"] for r in rows]
        known = set()
        for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
            chunk = ids[start:start + 900]
            known.update(self.conn.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars())
        fresh = [r for r in rows if r["id"] not in known]
        for row in rows:
            if row["id"] in known:
                self.conn.execute(table.update().where(table.c.id == row["id"]).values(**row))
        self.insert(schema.Item, fresh)

    def attach_images(self, links: list[tuple[str, StoredImage, int]]) -> None:
        """Record (item_id, image, position) links, replacing those items' earlier photos."""
        image_table, link_table = schema.Image.__table__, schema.ItemImage.__table__
        shas = list({image.sha256: image for _, image, _ in links}.values())
        known = set()
        for start in range(0, len(shas), 900):
            chunk = [image.sha256 for image in shas[start:start + 900]]
            known.update(self.conn.execute(select(image_table.c.sha256).where(image_table.c.sha256.in_(chunk))).scalars())
        self.insert(schema.Image, [
            {"sha256": im.sha256, "path": im.path, "width": im.width, "height": im.height, "format": im.format}
            for im in shas if im.sha256 not in known])
        item_ids = list({item_id for item_id, _, _ in links})
        for start in range(0, len(item_ids), 900):
            self.conn.execute(delete(link_table).where(link_table.c.item_id.in_(item_ids[start:start + 900])))
        unique_links = {(item_id, image.sha256): position for item_id, image, position in links}
        self.insert(schema.ItemImage, [
            {"item_id": item_id, "image_sha256": sha, "position": position}
            for (item_id, sha), position in unique_links.items()])

    def set_meta(self, key: str, value) -> None:
        table = schema.Meta.__table__
        self.conn.execute(delete(table).where(table.c.key == key))
        self.conn.execute(insert(table).values(key=key, value=value))

    def clear(self) -> None:
        """Remove every row (children first); image files stay, being shared by content."""
        for model in (schema.GeneratedImage, schema.Interaction, schema.ItemImage, schema.Image,
                      schema.User, schema.Item, schema.Meta):
            self.conn.execute(delete(model.__table__))
