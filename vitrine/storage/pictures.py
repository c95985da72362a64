"""Reading pictures: items' photos and the generated pictures, by item or by content hash."""

from __future__ import annotations

from sqlalchemy import select

from vitrine.storage import schema
from vitrine.storage.engine import chunks


class PictureQueries:
    """Photos (images + item_images) and generated pictures (generated_images)."""

    def main_photos(self, item_ids: list[str] | None = None) -> list[tuple[str, str]]:
        """(item_id, image path) of each item's main photo (position 0)."""
        links, files = schema.ItemImage.__table__, schema.Image.__table__
        query = (select(links.c.item_id, files.c.path).join(files, links.c.image_sha256 == files.c.sha256)
                 .where(links.c.position == 0).order_by(links.c.item_id))
        with self.engine.connect() as conn:
            if item_ids is None:
                return [tuple(r) for r in conn.execute(query)]
            return [tuple(r) for chunk in chunks(list(item_ids)) for r in conn.execute(query.where(links.c.item_id.in_(chunk)))]

    def item_pictures(self, item_ids: list[str]) -> dict[str, tuple[str, bool]]:
        """Per item, (sha256 of its picture, generated?): its main photo, else its newest generated
        picture; items with neither are absent."""
        links, generated = schema.ItemImage.__table__, schema.GeneratedImage.__table__
        out: dict[str, tuple[str, bool]] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(list(item_ids)):
                for item_id, sha in conn.execute(select(generated.c.item_id, generated.c.sha256)
                                                 .where(generated.c.item_id.in_(chunk)).order_by(generated.c.id)):
                    out[item_id] = (sha, True)  # id order: the newest wins
                for item_id, sha in conn.execute(select(links.c.item_id, links.c.image_sha256)
                                                 .where(links.c.item_id.in_(chunk), links.c.position == 0)):
                    out[item_id] = (sha, False)  # a photo always wins over a generated picture
        return out

    def image_file(self, sha256: str) -> tuple[str, str] | None:
        """(relative path, format as PIL names it) of an item's photo or a generated picture by its
        content hash. A photo no item links to any more (its items deleted) is not served."""
        images, links, generated = schema.Image.__table__, schema.ItemImage.__table__, schema.GeneratedImage.__table__
        linked = select(links.c.item_id).where(links.c.image_sha256 == images.c.sha256).exists()
        with self.engine.connect() as conn:
            row = conn.execute(select(images.c.path, images.c.format).where(images.c.sha256 == sha256, linked)).first()
            if row is None:
                path = conn.execute(select(generated.c.path).where(generated.c.sha256 == sha256).limit(1)).scalar()
                return (path, "PNG") if path else None  # generated pictures are saved as PNG
        return tuple(row)

    def generated_images(self, item_id: str | None = None) -> list:
        """Rows of generated pictures, of one item when given, oldest first."""
        table = schema.GeneratedImage.__table__
        query = select(table).order_by(table.c.id)
        if item_id is not None:
            query = query.where(table.c.item_id == item_id)
        with self.engine.connect() as conn:
            return conn.execute(query).all()

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

    def items_without_photo(self) -> list[str]:
        """IDs of the items with no photo (whether or not they have a generated picture), sorted."""
        items, links = schema.Item.__table__, schema.ItemImage.__table__
        query = select(items.c.id).where(~items.c.id.in_(select(links.c.item_id))).order_by(items.c.id)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def items_with_photo_path(self, item_ids: list[str]) -> list:
        """Rows (id, title, category, colour, pattern, price, path) of these items, path None
        where an item has no photo, ordered by ID."""
        items, links, images = schema.Item.__table__, schema.ItemImage.__table__, schema.Image.__table__
        query = (select(items.c.id, items.c.title, items.c.category, items.c.colour, items.c.pattern, items.c.price,
                        images.c.path)
                 .join(links, (links.c.item_id == items.c.id) & (links.c.position == 0), isouter=True)
                 .join(images, images.c.sha256 == links.c.image_sha256, isouter=True).order_by(items.c.id))
        with self.engine.connect() as conn:
            rows = [r for chunk in chunks(list(item_ids)) for r in conn.execute(query.where(items.c.id.in_(chunk)))]
        return sorted(rows, key=lambda r: r.id)
