"""Reading the event log: whole (in batches), per shopper, per period, by attribute."""

from __future__ import annotations

import numpy as np
from sqlalchemy import case, func, select

from vitrine.storage import schema
from vitrine.storage.engine import READ_CHUNK, chunks


class EventQueries:
    """The log of views, carts and purchases (the Store's part that reads it)."""

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

    def event_counts(self) -> dict[str, int]:
        table = schema.Interaction.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.event, func.count()).group_by(table.c.event)).all()
        return {event_name: n for event_name, n in rows}

    def last_event_id(self) -> int:
        """The newest event's row ID (0 for none): events after it are newer than what a fit read."""
        table = schema.Interaction.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()

    def events_after(self, user_id: str, after_id: int) -> list[tuple[int, str, str]]:
        """(row, item_id, event) of the shopper's events stored after row `after_id`, oldest first."""
        table = schema.Interaction.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(table.c.id, table.c.item_id, table.c.event)
                                .where(table.c.user_id == user_id, table.c.id > after_id)
                                .order_by(table.c.id)).all()

    def events_by_user(self, user_ids: list[str]) -> dict[str, int]:
        """How many events each of these shoppers has (those with none are absent)."""
        inter = schema.Interaction.__table__
        counts: dict[str, int] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(list(user_ids)):
                counts.update(conn.execute(select(inter.c.user_id, func.count()).where(inter.c.user_id.in_(chunk))
                                           .group_by(inter.c.user_id)).all())
        return counts

    def last_items(self, user_ids: list[str], event: str | None = None) -> dict[str, str]:
        """Each of these users' most recent item (of one event type when given); users without one are absent."""
        inter = schema.Interaction.__table__
        query = select(inter.c.user_id, inter.c.item_id).order_by(inter.c.ts, inter.c.id)
        if event is not None:
            query = query.where(inter.c.event == event)
        last = {}
        with self.engine.connect() as conn:
            for chunk in chunks(list(user_ids)):
                for user_id, item_id in conn.execute(query.where(inter.c.user_id.in_(chunk))):
                    last[user_id] = item_id  # time order: the final assignment is the latest
        return last

    def recent_items(self, user_id: str, event: str, limit: int = 12) -> list[str]:
        """The shopper's distinct items of one event type (view, cart, purchase), latest first."""
        inter = schema.Interaction.__table__
        last = func.max(inter.c.id)
        with self.engine.connect() as conn:
            return list(conn.execute(select(inter.c.item_id).where(inter.c.user_id == user_id, inter.c.event == event)
                                     .group_by(inter.c.item_id).order_by(last.desc()).limit(limit)).scalars())

    def _cart(self, user_id: str):
        """Items the shopper added to the cart and has not bought since, with the ID of the last add."""
        inter = schema.Interaction.__table__
        bought = inter.alias("bought")
        bought_after = (select(bought.c.id).where(bought.c.user_id == user_id, bought.c.item_id == inter.c.item_id,
                                                  bought.c.event == "purchase", bought.c.id > inter.c.id).exists())
        return (select(inter.c.item_id, func.max(inter.c.id).label("last_added"))
                .where(inter.c.user_id == user_id, inter.c.event == "cart", ~bought_after).group_by(inter.c.item_id))

    def cart(self, user_id: str, limit: int | None = None) -> list[str]:
        """The shopper's cart: items added to it and not bought since, latest added first."""
        rows = self._cart(user_id).subquery()
        query = select(rows.c.item_id).order_by(rows.c.last_added.desc()).limit(limit)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def cart_size(self, user_id: str) -> int:
        """How many distinct items the shopper's cart holds."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(self._cart(user_id).subquery())).scalar_one()

    def purchase_counts(self) -> dict[str, int]:
        """Purchases per item (items never bought are absent): the shop's best sellers."""
        inter = schema.Interaction.__table__
        with self.engine.connect() as conn:
            return dict(conn.execute(select(inter.c.item_id, func.count()).where(inter.c.event == "purchase")
                                     .group_by(inter.c.item_id)).all())

    def most_active_users(self, n: int) -> list[str]:
        """The n shoppers with the most events, most first (ties by ID)."""
        inter = schema.Interaction.__table__
        count = func.count().label("n")
        with self.engine.connect() as conn:
            return list(conn.execute(select(inter.c.user_id).group_by(inter.c.user_id)
                                     .order_by(count.desc(), inter.c.user_id).limit(n)).scalars())

    def active_user_ids(self, since_ms: int) -> list[str]:
        """Users with any event at or after `since_ms`, sorted."""
        inter = schema.Interaction.__table__
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(inter.c.user_id).where(inter.c.ts >= since_ms).distinct()).scalars())

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

    def events_by_period(self, train_end_ms: int, valid_end_ms: int) -> tuple[dict, dict]:
        """Event counts per period (train / valid / test), for all items and for new items."""
        items, inter = schema.Item.__table__, schema.Interaction.__table__
        part = case((inter.c.ts < train_end_ms, "train"), (inter.c.ts < valid_end_ms, "valid"), else_="test")
        new_item = inter.c.item_id.in_(select(items.c.id).where(items.c.is_new.is_(True)))
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(part, func.count()).group_by(part)).all())
            new_counts = dict(conn.execute(select(part, func.count()).where(new_item).group_by(part)).all())
        return counts, new_counts

    def remove_events_after(self, after_id: int, user_ids: list[str]) -> int:
        """Delete these shoppers' events stored after row `after_id`, and their cached
        recommendations (computed with those events), in one transaction; how many events."""
        from sqlalchemy import delete
        events, cache = schema.Interaction.__table__, schema.CachedRecommendations.__table__
        removed = 0
        with self.engine.begin() as conn:
            for chunk in chunks(list(user_ids)):
                removed += conn.execute(delete(events).where(events.c.id > after_id,
                                                             events.c.user_id.in_(chunk))).rowcount
                conn.execute(delete(cache).where(cache.c.user_id.in_(chunk)))
        return removed
