"""Items: a filtered, paginated list; one item's detail; pictures by content hash.

Hot routes return JSONResponse themselves: a returned dict would go through FastAPI's
jsonable_encoder, a tenth of a recommendation's time (bench/service_speed.py)."""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from vitrine.catalog.prices import MAX_PRICE
from vitrine.service.errors import ServiceError
from vitrine.storage.catalog import SORTS, ItemFilter
from vitrine.service.limits import MAX_FILTERS, MAX_PAGE
from vitrine.service.query import ChoiceParam

router = APIRouter(tags=["items"])
SHA256 = re.compile(r"[0-9a-f]{64}")
LISTED = ("id", "title", "category", "colour", "pattern", "brand", "price", "is_new", "image", "generated")
MEDIA = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif", "BMP": "image/bmp"}


def picture_fields(pictures: dict, item_id: str) -> dict:
    """{"image": URL or None, "generated": bool}: a photo, else a generated picture (flagged)."""
    sha, generated = pictures.get(item_id, (None, False))
    return {"image": f"/images/{sha}" if sha else None, "generated": generated}


PICTURES = ChoiceParam("pictures", "previews", ("previews", "photos"), "which pictures the items show: photos, and "
                       "generated previews for items without one (default); or photos only, an item without one "
                       "showing none (an A/B test's control for previews)")


def as_shown(card: dict, previews: bool) -> dict:
    """{"image", "generated"} of a card as the page shows it: with `previews` False, an item
    without a photo shows no picture even where it has a generated one."""
    generated = card.get("generated", False)
    if generated and not previews:
        return {"image": None, "generated": False}
    return {"image": card.get("image"), "generated": generated}


def _filter(values: list[str] | None, name: str) -> tuple[str, ...]:
    if values and len(values) > MAX_FILTERS:
        raise ServiceError(422, f"{name}: at most {MAX_FILTERS} values, got {len(values)}")
    return tuple(values or ())


@router.get("/items", openapi_extra={"parameters": [PICTURES.openapi()]})
async def list_items(request: Request, category: list[str] | None = Query(None, description="any of these categories"),
                     colour: list[str] | None = Query(None, description="any of these colours"),
                     pattern: list[str] | None = Query(None, description="any of these patterns"),
                     brand: list[str] | None = Query(None, description="any of these brands"),
                     min_price: float | None = Query(None, ge=0, le=MAX_PRICE),
                     max_price: float | None = Query(None, ge=0, le=MAX_PRICE),
                     sort: Literal[SORTS] = Query("id", description="id, new (newest launch first), price, -price"),
                     limit: int = Query(24, ge=1, le=MAX_PAGE), offset: int = Query(0, ge=0, le=10_000_000)):
    """A page of items matching every filter, in the order asked for, with the total that match."""
    ctx = request.app.state.vitrine
    previews = PICTURES.read(request.query_params) == "previews"
    filters = ItemFilter(_filter(category, "category"), _filter(colour, "colour"), _filter(pattern, "pattern"),
                         _filter(brand, "brand"), min_price, max_price)
    catalog = ctx.store.versions()[0]  # before the page: the page and its cards are at least as new as this
    key = (filters, sort, limit, offset)
    page = ctx.pages.get(key, catalog)
    if page is None:  # counted and paged in a thread: a wide filter scans many index entries
        page = await run_in_threadpool(ctx.store.browse_ids, filters, limit, offset, sort)
        ctx.pages.put(key, catalog, page)
    ids, total = page
    cards = ctx.cards.get(ids, catalog)
    return JSONResponse({"total": total, "limit": limit, "offset": offset,
                         "items": [{**{name: cards[i][name] for name in LISTED}, **as_shown(cards[i], previews)}
                                   for i in ids if cards[i] is not None]})


@router.get("/items/{item_id:path}")
async def item_detail(request: Request, item_id: str):
    """One item: its fields and its picture. On the event loop: a held card after one version read."""
    ctx = request.app.state.vitrine
    card = ctx.cards.get([item_id], ctx.store.versions()[0])[item_id]
    if card is None:
        raise ServiceError(404, f"no item {item_id!r}")
    return JSONResponse(card)


@router.get("/images/{sha256}", response_class=FileResponse)
def image(request: Request, sha256: str):
    """A stored picture by its content hash: the hash names the bytes, so it is cached for good.
    Only files the store lists under its images folder are ever served."""
    if not SHA256.fullmatch(sha256):
        raise ServiceError(404, "an image is named by the 64 hex digits of its SHA-256")
    store = request.app.state.vitrine.store
    found = store.image_file(sha256)
    if found is None:
        raise ServiceError(404, f"no image {sha256}")
    try:
        path = store.images.resolve(found[0])
    except ValueError:
        raise ServiceError(404, f"no image {sha256}") from None
    if not path.is_file():
        raise ServiceError(404, f"image {sha256} is listed but its file is missing (vitrine store check)")
    return FileResponse(path, media_type=MEDIA.get(found[1], "application/octet-stream"),
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})
