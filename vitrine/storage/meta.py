"""Counts and the small JSON facts about the data set (`meta`: split boundaries, build settings)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from vitrine.storage import schema


class MetaQueries:
    """Counts, holdings, the stats summary and meta values."""

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

    def get_meta(self, key: str, default=None):
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.Meta.value).where(schema.Meta.key == key)).first()
        return row[0] if row else default
