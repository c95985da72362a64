"""Reading the catalog: items, their facets, shoppers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from vitrine.storage import schema
from vitrine.storage.engine import chunks

SORTS = ("id", "new", "price", "-price")
CARD_COLUMNS = ("id", "title", "category", "colour", "pattern", "brand", "price", "is_new")
FACETS = ("category", "colour", "pattern", "brand")


@dataclass(frozen=True)
class ItemFilter:
    """What a listing asks for: any of the given values of each facet (an empty tuple: any), and a
    price range. Facets are combined with AND, values of one facet with OR."""

    category: tuple[str, ...] = ()
    colour: tuple[str, ...] = ()
    pattern: tuple[str, ...] = ()
    brand: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None

    def clauses(self, items, leave_out: str | None = None) -> list:
        """SQL conditions on the items table; `leave_out` a facet's own (for its counts)."""
        where = [items.c[name].in_(values) for name in FACETS
                 if (values := getattr(self, name)) and name != leave_out]
        if self.min_price is not None:
            where.append(items.c.price >= self.min_price)
        if self.max_price is not None:
            where.append(items.c.price <= self.max_price)
        return where

    def chosen(self, facet: str) -> set[str]:
        return set(getattr(self, facet))


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

    def browse_items(self, filters: ItemFilter = ItemFilter(), limit: int = 24, offset: int = 0,
                     sort: str = "id") -> tuple[list, int]:
        """A page of items (id, title, category, colour, pattern, brand, price, is_new) matching
        the filters, in one of SORTS (ID, newest launch first, cheapest, dearest), and how many
        match in all."""
        ids, total = self.browse_ids(filters, limit, offset, sort)
        return self.items_in_order(ids), total

    def browse_ids(self, filters: ItemFilter = ItemFilter(), limit: int = 24, offset: int = 0,
                   sort: str = "id") -> tuple[list[str], int]:
        """The IDs of a page of `browse_items`, and how many match in all."""
        items = schema.Item.__table__
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
        order = {"id": (items.c.id,), "new": (items.c.launched_at.desc().nulls_last(), items.c.id),
                 "price": (items.c.price.asc().nulls_last(), items.c.id),
                 "-price": (items.c.price.desc().nulls_last(), items.c.id)}[sort]
        where = filters.clauses(items)
        # from ix_items_facets alone when ordered by ID
        page = select(items.c.id).where(*where).order_by(*order).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(items).where(*where)).scalar_one()
            return list(conn.execute(page).scalars()), total

    def items_in_order(self, ids: list[str]) -> list:
        """The card columns of these items (id, title, category, colour, pattern, brand, price,
        is_new), in the order given; IDs no item has are left out."""
        items = schema.Item.__table__
        columns = [items.c[name] for name in CARD_COLUMNS]
        with self.engine.connect() as conn:
            rows = {r.id: r for chunk in chunks(list(ids))
                    for r in conn.execute(select(*columns).where(items.c.id.in_(chunk)))}
        return [rows[i] for i in ids if i in rows]

    def matching_ids(self, filters: ItemFilter = ItemFilter()) -> list[str]:
        """Every item ID matching the filters (a ranking of the caller's orders them)."""
        items = schema.Item.__table__
        with self.engine.connect() as conn:
            return list(conn.execute(select(items.c.id).where(*filters.clauses(items))).scalars())

    def facet_counts(self, column: str, filters: ItemFilter = ItemFilter()) -> list[tuple[str, int]]:
        """(value, items) of one item column (category, colour, pattern, brand), most items first,
        among the items the filters match — every filter but the column's own, so a shopper who
        ticked "red" still sees how many blue items there are."""
        items = schema.Item.__table__
        c = items.c[column]
        where = [c.is_not(None), *filters.clauses(items, leave_out=column)]
        with self.engine.connect() as conn:
            return [(v, n) for v, n in conn.execute(select(c, func.count()).where(*where).group_by(c)
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
