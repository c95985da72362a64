"""Reading the catalog: items, their facets, shoppers."""

from __future__ import annotations

from sqlalchemy import func, select

from vitrine.storage import schema
from vitrine.storage.engine import chunks


class CatalogQueries:
    """Items and shoppers (the Store's part that reads them; `self.engine` is the store's)."""

    def item_rows(self, columns: tuple[str, ...], source: str | None = None, ids: list[str] | None = None) -> list:
        """Rows of the chosen item columns (ordered by ID), optionally of one source or these IDs."""
        items = schema.Item.__table__
        query = select(*(items.c[name] for name in columns)).order_by(items.c.id)
        if source is not None:
            query = query.where(items.c.source == source)
        with self.engine.connect() as conn:
            if ids is None:
                return conn.execute(query).all()
            return [row for chunk in chunks(list(ids)) for row in conn.execute(query.where(items.c.id.in_(chunk)))]

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

    def new_item_ids(self) -> list[str]:
        table = schema.Item.__table__
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(table.c.id).where(table.c.is_new.is_(True))).scalars())

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
