"""What a load writes through: bulk inserts on one connection, images into one batch."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select

from vitrine.storage import schema
from vitrine.storage.engine import INSERT_CHUNK, chunks
from vitrine.storage.images import ImageBatch, StoredImage


# Tables whose change a served page shows: a write to one gives the catalog a new version, so every
# API process drops the item cards it holds (vitrine.app.cards).
CATALOG_TABLES = frozenset({"items", "images", "item_images", "generated_images"})


class Loader:
    """What a load writes through: bulk inserts on one connection, images into one batch."""

    def __init__(self, conn: Connection, images: ImageBatch):
        self.conn = conn
        self.images = images
        self.catalog_changed = False

    def finish(self) -> None:
        """Before the commit: a new catalog version if the load changed items or their pictures."""
        if self.catalog_changed:
            from vitrine.storage.served import CATALOG_VERSION, new_version
            self.set_meta(CATALOG_VERSION, new_version())

    def insert(self, model, rows: list[dict], progress=None) -> None:
        table = model.__table__
        self.catalog_changed |= table.name in CATALOG_TABLES and bool(rows)
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start:start + INSERT_CHUNK]
            self.conn.execute(insert(table), chunk)
            if progress is not None:
                progress.update(len(chunk))

    def items_by_id(self, ids: list[str]) -> dict[str, dict]:
        table = schema.Item.__table__
        found = {}
        for chunk in chunks(ids):
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
                self.catalog_changed = True
                self.conn.execute(table.update().where(table.c.id == row["id"]).values(**values))
                changes[row["id"]] = changed
        self.insert(schema.Item, [r for r in rows if r["id"] not in stored])
        return changes

    def attach_images(self, links: list[tuple[str, StoredImage, int]]) -> None:
        """Record (item_id, image, position) links, replacing those items' earlier photos."""
        image_table, link_table = schema.Image.__table__, schema.ItemImage.__table__
        shas = list({image.sha256: image for _, image, _ in links}.values())
        known = set()
        for chunk in chunks([image.sha256 for image in shas]):
            known.update(self.conn.execute(select(image_table.c.sha256).where(image_table.c.sha256.in_(chunk))).scalars())
        self.insert(schema.Image, [
            {"sha256": im.sha256, "path": im.path, "width": im.width, "height": im.height, "format": im.format}
            for im in shas if im.sha256 not in known])
        self.catalog_changed |= bool(links)
        for chunk in chunks(list({item_id for item_id, _, _ in links})):
            self.conn.execute(delete(link_table).where(link_table.c.item_id.in_(chunk)))
        unique_links = {(item_id, image.sha256): position for item_id, image, position in links}
        self.insert(schema.ItemImage, [
            {"item_id": item_id, "image_sha256": sha, "position": position}
            for (item_id, sha), position in unique_links.items()])

    def detach_photos(self, item_ids: list[str]) -> int:
        """Unlink these items' photos (the items stay; the image files stay, being shared by content,
        and are no longer served for them). Returns the links removed."""
        table = schema.ItemImage.__table__
        removed = sum(self.conn.execute(delete(table).where(table.c.item_id.in_(chunk))).rowcount
                      for chunk in chunks(list(item_ids)))
        self.catalog_changed |= removed > 0
        return removed

    def item_sources(self) -> dict[str, str]:
        table = schema.Item.__table__
        return dict(self.conn.execute(select(table.c.id, table.c.source)).all())

    def user_ids(self) -> list[str]:
        """Every shopper's ID, sorted (as Store.user_ids), as this transaction sees them."""
        return sorted(self.conn.execute(select(schema.User.__table__.c.id)).scalars())

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
        self.catalog_changed = True
        self.conn.execute(table.update().values(is_new=False, **({"launched_at": None} if clear_launch_times else {})))
        by_time: dict[int | None, list[str]] = {}
        for item_id, ts in launched.items():
            by_time.setdefault(None if ts is None else int(ts), []).append(item_id)
        for ts, ids in by_time.items():
            for chunk in chunks(ids):
                self.conn.execute(table.update().where(table.c.id.in_(chunk)).values(is_new=True, launched_at=ts))

    def replace_users_and_events(self) -> None:
        for model in (schema.CachedRecommendations, schema.Interaction, schema.User):
            self.conn.execute(model.__table__.delete())

    def add_generated_image(self, image: StoredImage, prompt: str, seed: int, model_id: str, params: dict,
                            item_id: str | None = None, user_id: str | None = None) -> None:
        """Record a generated picture: never an item photo (item_images), always its own row."""
        from datetime import datetime, timezone
        self.catalog_changed = True
        self.conn.execute(insert(schema.GeneratedImage.__table__).values(
            prompt=prompt, negative_prompt=None, seed=seed, model_id=model_id, path=image.path, sha256=image.sha256,
            params=params, item_id=item_id, user_id=user_id, created_at=datetime.now(timezone.utc)))

    def delete_item(self, item_id: str) -> dict[str, int]:
        """Remove an item with its events, photo links and generated pictures' rows (image files
        stay until `vitrine store check --repair`, being shared by content). Returns rows removed."""
        removed = {}
        self.catalog_changed = True
        for model, column in ((schema.Interaction, "item_id"), (schema.ItemImage, "item_id"),
                              (schema.GeneratedImage, "item_id"), (schema.Item, "id")):
            table = model.__table__
            removed[table.name] = self.conn.execute(delete(table).where(table.c[column] == item_id)).rowcount
        return removed

    def set_meta(self, key: str, value) -> None:
        """Set a meta value: an update of its row (concurrent writers of one key wait for each other
        on the row, where a delete-and-insert would collide on the key), an insert when it has none."""
        table = schema.Meta.__table__
        if not self.conn.execute(table.update().where(table.c.key == key).values(value=value)).rowcount:
            self.conn.execute(insert(table).values(key=key, value=value))

    def clear(self) -> None:
        """Remove every row (children first); image files stay, being shared by content."""
        self.catalog_changed = True
        for model in (schema.CachedRecommendations, schema.GeneratedImage, schema.Interaction, schema.ItemImage,
                      schema.Image, schema.User, schema.Item, schema.Meta):
            self.conn.execute(delete(model.__table__))
