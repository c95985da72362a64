"""Events: a view, cart or purchase is stored, and the shopper's next recommendations read it
(AppContext.since_fit) without a refit: their cached list is recomputed at once."""

from __future__ import annotations

import time

from vitrine.app.context import AppContext
from vitrine.errors import Invalid, NotFound

KINDS = ("view", "cart", "purchase")


def record_event(ctx: AppContext, user_id: str, item_id: str, event: str, ts: int | None = None) -> bool:
    """Store one event (a new shopper is created on their first) and recompute the shopper's cached
    recommendations. True when the fitted recommender knows the item, so the shopper's next list
    reflects it at once."""
    from vitrine.app.recommend import refresh_cached
    from vitrine.storage import schema
    from vitrine.catalog.importers.base import event_row, user_row
    if event not in KINDS:
        raise Invalid(f"one of {', '.join(KINDS)}, got {event!r}", "event")
    if not ctx.store.item_rows(("id",), ids=[item_id]):
        raise NotFound(f"no item {item_id!r}", "item_id")
    ts = ts if ts is not None else int(time.time() * 1000)
    with ctx.write_lock, ctx.store.loading() as load:  # one writer: a new shopper's first events race otherwise
        if not ctx.store.user_exists(user_id):
            load.insert(schema.User, [user_row(user_id)])
        load.insert(schema.Interaction, [event_row(user_id, item_id, event, ts)])
    counted = ctx.recs is not None and item_id in ctx.recs.item_pos
    if counted:
        refresh_cached(ctx, user_id)
    return counted
