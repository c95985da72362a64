"""Recommendations for a shopper, with the items behind each, and items like an item."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Query, Request

from vitrine.service.errors import ServiceError
from vitrine.service.items import _filter, picture_fields
from vitrine.service.settings import MAX_K

router = APIRouter(tags=["recommendations"])


def _recommender(request: Request):
    state = request.app.state.vitrine
    if state.recs is None:
        raise ServiceError(503, "no fitted recommender yet (run `vitrine fit`)")
    return state


def _described(store, scored: list[tuple[str, float, list[str]]]) -> list[dict]:
    ids = [i for i, _, _ in scored]
    rows = {r.id: r for r in store.item_rows(("id", "title", "category", "price"), ids=ids)}
    pictures = store.item_pictures(ids)
    return [{"id": i, "score": round(s, 5), "title": rows[i].title if i in rows else None,
             "category": rows[i].category if i in rows else None, "price": rows[i].price if i in rows else None,
             "because": because, **picture_fields(pictures, i)} for i, s, because in scored]


@router.get("/users/{user_id}/recommendations")
def for_user(request: Request, user_id: str, k: int = Query(20, ge=1, le=MAX_K),
             per_category: int | None = Query(None, ge=1, le=MAX_K, description="at most this many of one category"),
             category: list[str] | None = Query(None, description="only these categories")):
    """The shopper's top k (items they bought are left out), each with the history items behind it."""
    state = _recommender(request)
    wanted = _filter(category, "category")
    if user_id not in state.recs.user_pos:
        raise ServiceError(404, f"unknown user {user_id!r}")
    categories = state.categories
    if wanted:  # other categories are never shown: a cap of 0
        allowed = np.isin(categories, wanted)
        suggestions = state.recs.for_user(user_id, k=min(MAX_K * 10, len(state.recs.item_ids)), categories=categories,
                                          per_category=per_category)
        suggestions = [s for s in suggestions if allowed[state.recs.item_pos[s.item_id]]][:k]
    else:
        suggestions = state.recs.for_user(user_id, k=k, per_category=per_category, categories=categories)
    return {"user": user_id, "items": _described(state.store, [(s.item_id, s.score, s.because) for s in suggestions])}


@router.get("/items/{item_id}/similar")
def similar(request: Request, item_id: str, k: int = Query(10, ge=1, le=MAX_K)):
    state = _recommender(request)
    if item_id not in state.recs.item_pos:
        raise ServiceError(404, f"no item {item_id!r} in the fitted recommender")
    return {"item": item_id, "items": _described(state.store, [(i, s, []) for i, s in state.recs.similar(item_id, k)])}
