"""Recommendations for a shopper, with the items behind each; for an anonymous session; items
like an item; search. The routes are thin: vitrine.app.recommend does the work.

Hot routes return JSONResponse themselves (bench/service_speed.py); their response models
document the shapes in the OpenAPI schema."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vitrine.app import recommend
from vitrine.app.context import AppContext
from vitrine.service.deps import context
from vitrine.service.items import PICTURES, as_shown
from vitrine.service.errors import ServiceError
from vitrine.recommend.arms import ARMS
from vitrine.service.query import ChoiceParam, IntParam, ListParam
from vitrine.service.limits import MAX_FILTERS, MAX_K

router = APIRouter(tags=["recommendations"])


class Scored(BaseModel):
    id: str
    score: float
    title: str | None
    category: str | None
    price: float | None
    because: list[str] = Field(description="the shopper's items behind this one (recommendations only)")
    image: str | None = Field(description="URL of its photo, else of its generated preview, else null")
    generated: bool


class ForUser(BaseModel):
    user: str
    items: list[Scored]


class Found(BaseModel):
    items: list[Scored]


class Similar(Found):
    item: str


class Searched(Found):
    query: str


def _described(ctx: AppContext, scored: list[tuple[str, float, list[str]]], catalog: str | None = None,
               previews: bool = True) -> list[dict]:
    """Each (item, score, because) with the fields its card shows; `catalog`: the catalog version
    read with the items (read now when not given); `previews` False: an item without a photo shows
    no picture, even where it has a generated one."""
    if catalog is None:
        catalog = ctx.store.versions()[0]
    cards = ctx.cards.get([i for i, _, _ in scored], catalog)
    described = []
    for item_id, score, because in scored:
        card = cards[item_id] or {}
        described.append({"id": item_id, "score": round(score, 5), "title": card.get("title"),
                          "category": card.get("category"), "price": card.get("price"), "because": because,
                          **as_shown(card, previews)})
    return described


K = IntParam("k", 20, 1, MAX_K, "how many")
PER_CATEGORY = IntParam("per_category", None, 1, MAX_K, "at most this many of one category")
CATEGORY = ListParam("category", MAX_FILTERS, description="only these categories")
ARM = ChoiceParam("arm", "multimodal", ARMS, "which ranking: the recommender's own (default), or an A/B test's "
                  "baseline — implicit ALS alone, or recent popularity (no re-ranking, no reasons, no filters)")


@router.get("/users/{user_id:path}/recommendations", response_model=ForUser,
            openapi_extra={"parameters": [K.openapi(), PER_CATEGORY.openapi(), CATEGORY.openapi(), ARM.openapi(),
                                          PICTURES.openapi()]})
async def for_user(request: Request, user_id: str):
    """The shopper's top k (items they bought are left out), each with the history items behind
    it. Events posted since the fit count at once; a shopper new since the fit is recommended for
    from those events alone. `arm` serves an A/B test's baselines from the same fit; `pictures`
    its control for previews."""
    ctx, query = request.app.state.vitrine, request.query_params
    k, per_category, wanted, arm = K.read(query), PER_CATEGORY.read(query), CATEGORY.read(query), ARM.read(query)
    previews = PICTURES.read(query) == "previews"
    if arm != "multimodal":
        if per_category is not None or wanted:
            raise ServiceError(422, f"arm: the {arm} arm ranks plainly; per_category and category need the "
                                    "multimodal arm")
        suggestions = await run_in_threadpool(recommend.arm_list, ctx, user_id, k, arm)
        return JSONResponse({"user": user_id, "items": _described(ctx, [(s.item_id, s.score, s.because)
                                                                       for s in suggestions], previews=previews)})
    # On the event loop: the cached answer (one indexed read); a ranking, when one is needed, in a thread.
    found = recommend.shopper_list(ctx, user_id, k, per_category, wanted, rank=False)
    if found is None:
        found = await run_in_threadpool(recommend.shopper_list, ctx, user_id, k, per_category, wanted)
    suggestions, catalog = found
    return JSONResponse({"user": user_id, "items": _described(ctx, [(s.item_id, s.score, s.because)
                                                                   for s in suggestions], catalog, previews)})


class Session(BaseModel):
    item_ids: list[str] = Field(min_length=1, max_length=MAX_K, description="items the visitor looked at")
    k: int = Field(20, ge=1, le=MAX_K)
    per_category: int | None = Field(None, ge=1, le=MAX_K)
    category: list[str] | None = Field(None, max_length=MAX_FILTERS)


@router.post("/recommendations/anonymous", response_model=Found)
def for_session(session: Session, ctx: AppContext = Depends(context)):
    """Recommendations for a visitor with no user ID, from the items of their session."""
    suggestions = recommend.for_session(ctx, session.item_ids, session.k, session.per_category, session.category)
    return JSONResponse({"items": _described(ctx, [(s.item_id, s.score, s.because) for s in suggestions])})


@router.get("/items/{item_id:path}/similar", response_model=Similar)
def similar(item_id: str, k: int = Query(10, ge=1, le=MAX_K), ctx: AppContext = Depends(context)):
    found = recommend.similar(ctx, item_id, k)
    return JSONResponse({"item": item_id, "items": _described(ctx, [(i, s, []) for i, s in found])})


@router.get("/search", response_model=Searched)
def search(q: str = Query(..., min_length=1, max_length=200, description="what the shopper typed"),
           k: int = Query(20, ge=1, le=MAX_K), ctx: AppContext = Depends(context)):
    """Items nearest the query in meaning (sentence vectors of their descriptions, FAISS)."""
    found = recommend.search(ctx, q, k)
    return JSONResponse({"query": q, "items": _described(ctx, [(i, s, []) for i, s in found])})
