"""Recommendations for a shopper, with the items behind each, and items like an item."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vitrine.service.errors import ServiceError
from vitrine.service.items import _filter, picture_fields
from vitrine.service.settings import MAX_FILTERS, MAX_K

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


def _ranked(state, k: int, per_category: int | None, wanted: list[str] | None, user_id: str | None = None,
            history: dict[int, float] | None = None, bought: set[int] | None = None):
    """Suggestions for a fitted shopper, a shopper with events since the fit, or a bare history;
    with a category filter, ranked deep enough to fill k from the wanted categories alone."""
    recs, deleted = state.recs, state.deleted
    depth = min(MAX_K * 10, len(recs.item_ids)) if wanted else k
    if history is None:
        suggestions = recs.for_user(user_id, k=depth, per_category=per_category, categories=state.categories,
                                    exclude=deleted)
    else:
        suggestions = recs.for_history(history, (bought or set()) | deleted, user_id, k=depth,
                                       per_category=per_category, categories=state.categories)
    if wanted:
        allowed = np.isin(state.categories, wanted)
        suggestions = [s for s in suggestions if allowed[recs.item_pos[s.item_id]]][:k]
    return suggestions


def present(state, lookup, k: int) -> list[tuple[str, float, list]]:
    """The first k (item, score, []) of `lookup(depth)` whose items are still in the store; the
    depth asked for covers the items deleted since the fit (within the recommender's bound)."""
    gone = {str(state.recs.item_ids[i]) for i in state.deleted}
    return [(i, s, []) for i, s in lookup(min(1000, k + len(gone))) if i not in gone][:k]


def for_shopper(state, user_id: str, k: int, per_category: int | None = None, wanted: list[str] | None = None,
                require_known_items: bool = False):
    """The shopper's suggestions: from their fitted history plus their events since the fit, or
    from those events alone for a shopper new since the fit. None for a shopper neither fitted nor
    with events (with require_known_items: nor with any event on an item the recommender knows)."""
    recent = state.since_fit(user_id)
    known = user_id in state.recs.user_pos
    if not known and (recent is None or (require_known_items and not recent[0])):
        return None
    if recent is None:
        return _ranked(state, k, per_category, wanted, user_id)
    return _ranked(state, k, per_category, wanted, user_id if known else None, *recent)


@router.get("/users/{user_id}/recommendations")
def for_user(request: Request, user_id: str, k: int = Query(20, ge=1, le=MAX_K),
             per_category: int | None = Query(None, ge=1, le=MAX_K, description="at most this many of one category"),
             category: list[str] | None = Query(None, description="only these categories")):
    """The shopper's top k (items they bought are left out), each with the history items behind
    it. Events posted since the fit count at once; a shopper new since the fit is recommended for
    from those events alone."""
    state = _recommender(request)
    suggestions = for_shopper(state, user_id, k, per_category, _filter(category, "category"))
    if suggestions is None:
        raise ServiceError(404, f"unknown user {user_id!r}")
    return JSONResponse({"user": user_id,
                         "items": _described(state.store, [(s.item_id, s.score, s.because) for s in suggestions])})


class Session(BaseModel):
    item_ids: list[str] = Field(min_length=1, max_length=MAX_K, description="items the visitor looked at")
    k: int = Field(20, ge=1, le=MAX_K)
    per_category: int | None = Field(None, ge=1, le=MAX_K)
    category: list[str] | None = Field(None, max_length=MAX_FILTERS)


@router.post("/recommendations/anonymous")
def for_session(request: Request, session: Session):
    """Recommendations for a visitor with no user ID, from the items of their session."""
    state = _recommender(request)
    unknown = [i for i in session.item_ids if i not in state.recs.item_pos]
    if unknown:
        raise ServiceError(422, f"item_ids: unknown to the fitted recommender: {', '.join(map(repr, unknown[:5]))}")
    history: dict[int, float] = {}
    for item_id in session.item_ids:
        history[state.recs.item_pos[item_id]] = history.get(state.recs.item_pos[item_id], 0.0) + 1.0
    suggestions = _ranked(state, session.k, session.per_category, session.category, None, history, set())
    return JSONResponse({"items": _described(state.store, [(s.item_id, s.score, s.because) for s in suggestions])})


@router.get("/items/{item_id}/similar")
def similar(request: Request, item_id: str, k: int = Query(10, ge=1, le=MAX_K)):
    state = _recommender(request)
    if item_id not in state.recs.item_pos:
        raise ServiceError(404, f"no item {item_id!r} in the fitted recommender")
    found = present(state, lambda depth: state.recs.similar(item_id, depth), k)
    return JSONResponse({"item": item_id, "items": _described(state.store, found)})


@router.get("/search")
def search(request: Request, q: str = Query(..., min_length=1, max_length=200, description="what the shopper typed"),
           k: int = Query(20, ge=1, le=MAX_K)):
    """Items nearest the query in meaning (sentence vectors of their descriptions, FAISS)."""
    state = _recommender(request)
    if not q.strip():
        raise ServiceError(422, "q: give some text to search for")
    try:
        found = present(state, lambda depth: state.recs.search(q, depth), k)
    except ValueError as exc:
        raise ServiceError(503, str(exc)) from None
    return JSONResponse({"query": q, "items": _described(state.store, found)})
