"""Events: a view, cart or purchase is stored, and the shopper's next recommendations read it."""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from vitrine.service.errors import ServiceError

router = APIRouter(tags=["events"])
LATEST_TS = 4_102_444_800_000  # 2100-01-01 in epoch ms


class Event(BaseModel):
    user_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")
    item_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")
    event: Literal["view", "cart", "purchase"]
    ts: int | None = Field(None, ge=0, le=LATEST_TS, description="epoch ms (default: now)")


def store_event(state, user_id: str, item_id: str, event: str, ts: int | None = None) -> None:
    """Store one event (a new shopper is created on their first)."""
    from vitrine.catalog import schema
    from vitrine.catalog.importers.base import event_row, user_row
    ts = ts if ts is not None else int(time.time() * 1000)
    with state.write_lock, state.store.loading() as load:  # one writer: a new shopper's first events race otherwise
        if not state.store.user_exists(user_id):
            load.insert(schema.User, [user_row(user_id)])
        load.insert(schema.Interaction, [event_row(user_id, item_id, event, ts)])


@router.post("/events", status_code=201)
def post_event(request: Request, event: Event):
    """Stores the event (a new shopper is created on their first); recommendations for the shopper
    reflect it at once, through the user tower, without a refit."""
    state = request.app.state.vitrine
    if not state.store.item_rows(("id",), ids=[event.item_id]):
        raise ServiceError(404, f"no item {event.item_id!r}")
    store_event(state, event.user_id, event.item_id, event.event, event.ts)
    counted = state.recs is not None and event.item_id in state.recs.item_pos
    return {"stored": True, "in_recommendations": counted}
