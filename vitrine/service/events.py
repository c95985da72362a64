"""Events: a view, cart or purchase is stored, and the shopper's next recommendations read it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, Strict, field_validator

from vitrine.app.context import AppContext
from vitrine.app.events import KINDS, record_event
from vitrine.service.deps import context
from vitrine.service.limits import ID_PATTERN

router = APIRouter(tags=["events"])
LATEST_TS = 4_102_444_800_000  # 2100-01-01 in epoch ms


class Event(BaseModel):
    user_id: str = Field(pattern=ID_PATTERN)
    item_id: str = Field(pattern=ID_PATTERN)
    event: Literal["view", "cart", "purchase"]
    ts: Annotated[int, Strict()] | None = Field(None, ge=0, le=LATEST_TS,
                                                description="epoch ms, a whole number (default: now)")

    @field_validator("event", mode="before")
    @classmethod
    def known_kind(cls, value):
        if value not in KINDS:
            raise ValueError(f"unknown event type {value!r}; one of {', '.join(KINDS)}")
        return value


class Stored(BaseModel):
    stored: bool
    in_recommendations: bool = Field(description="the fitted recommender knows the item, so the next list reads it")


@router.post("/events", status_code=201, response_model=Stored)
def post_event(event: Event, ctx: AppContext = Depends(context)):
    """Stores the event (a new shopper is created on their first); recommendations for the shopper
    reflect it at once, through the user tower, without a refit."""
    counted = record_event(ctx, event.user_id, event.item_id, event.event, event.ts)
    return {"stored": True, "in_recommendations": counted}
