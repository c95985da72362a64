"""The shop owner's routes, behind a bearer token: add and delete items, upload a photo, launch a
product, make previews, refit or reload the recommender.

The token is compared in constant time; a missing or wrong one is 401 with WWW-Authenticate.
An uploaded photo is read up to the size bound and no further, must be at most `max_upload_pixels`
(read from its header, before decoding) and must decode as a picture.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from vitrine.app import studio
from vitrine.app.context import AppContext
from vitrine.catalog.prices import MAX_PRICE
from vitrine.service.deps import context, require_admin
from vitrine.service.errors import ServiceError
from vitrine.service.jobs import Queued, queue_job
from vitrine.service.limits import ID_PATTERN, Words



router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


class NewItem(BaseModel):
    id: str = Field(pattern=ID_PATTERN, description="any text but control characters (at most 128)")
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    category: str | None = Field(None, max_length=128)
    colour: str | None = Field(None, max_length=64)
    pattern: str | None = Field(None, max_length=64)
    brand: str | None = Field(None, max_length=128)
    price: float | None = Field(None, ge=0, le=MAX_PRICE)


@router.post("/items", status_code=201)
def add_item(item: NewItem, ctx: AppContext = Depends(context)):
    """A new item, on sale from now (no photo yet: upload one, or make a preview)."""
    from vitrine.storage import schema
    from vitrine.catalog.importers.base import item_row
    with ctx.write_lock, ctx.store.loading() as load:
        if load.items_by_id([item.id]):
            raise ServiceError(409, f"id: an item {item.id!r} exists already")
        load.insert(schema.Item, [item_row(item.id, item.title, "service", description=item.description,
                                           category=item.category, colour=item.colour, pattern=item.pattern,
                                           brand=item.brand, price=item.price, is_new=True,
                                           launched_at=int(time.time() * 1000))])
    return {"id": item.id, "url": f"/items/{item.id}"}


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ServiceError(413, f"the picture is {int(declared):,} bytes; at most {limit:,}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ServiceError(413, f"the picture is over {limit:,} bytes")
    return bytes(body)


@router.put("/items/{item_id:path}/photo", openapi_extra={"requestBody": {
    "required": True, "content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                                  "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
async def upload_photo(request: Request, item_id: str, ctx: AppContext = Depends(context)):
    """The item's photo (PNG, JPEG, WebP, GIF or BMP bytes as the body), replacing any earlier one."""
    from starlette.concurrency import run_in_threadpool

    from vitrine.storage.images import TooManyPixels, UnreadableImage, inspect
    data = await _bounded_body(request, ctx.settings.max_upload_bytes)
    if not data:
        raise ServiceError(422, "body: send the picture's bytes")
    try:  # decodes it fully: the content decides, not the header
        width, height, fmt = inspect(data, ctx.settings.max_upload_pixels)
    except TooManyPixels as exc:
        raise ServiceError(413, f"the picture is {exc} (max_upload_pixels)") from None
    except UnreadableImage as exc:
        raise ServiceError(422, f"body: not a picture this service reads ({exc})") from None

    def store_photo() -> str:
        with ctx.write_lock, ctx.store.loading() as load:
            if not load.items_by_id([item_id]):
                raise ServiceError(404, f"no item {item_id!r}")
            stored = load.images.put_verified(data, width, height, fmt)
            load.attach_images([(item_id, stored, 0)])
        return stored.sha256

    sha = await run_in_threadpool(store_photo)
    return {"id": item_id, "image": f"/images/{sha}", "width": width, "height": height, "format": fmt}


@router.delete("/items/{item_id:path}")
def delete_item(item_id: str, ctx: AppContext = Depends(context)):
    """Remove the item, its events and its picture links; it is never recommended again."""
    with ctx.write_lock, ctx.store.loading() as load:
        if not load.items_by_id([item_id]):
            raise ServiceError(404, f"no item {item_id!r}")
        removed = load.delete_item(item_id)
    ctx.forget_item(item_id)
    return {"id": item_id, "removed": removed}


class LaunchRequest(BaseModel):
    description: Words = Field(min_length=1, max_length=1000, description="the product not yet made")
    price: float | None = Field(None, ge=0, le=MAX_PRICE)
    n: int = Field(4, ge=1, le=8, description="candidate pictures; the one showing most of the description is kept")
    audience: int = Field(100, ge=1, le=1000, description="shoppers most likely to want it")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    steps: int | None = Field(None, ge=1, le=100, description="sampling steps (default: the model's own, 20, or 4 for a distilled model)")
    add: bool = Field(False, description="also add it to the catalog as a new item (its picture marked generated)")
    item_id: str | None = Field(None, pattern=ID_PATTERN, description="its ID when added (default studio-HASH)")


@router.post("/launch", status_code=202, response_model=Queued)
def launch(request: Request, body: LaunchRequest, ctx: AppContext = Depends(context)):
    """Queue `studio launch`: a picture from the description and the shoppers most likely to buy it."""
    item_id = studio.launch_item_id(body.description, body.seed, body.item_id) if body.add else None
    studio.check_launch(ctx, body.description, body.price, body.n, body.audience, item_id, body.steps)
    return queue_job(ctx, request, "launch", {**body.model_dump(exclude={"add", "item_id"}), "item_id": item_id})


class PreviewsRequest(BaseModel):
    limit: int = Field(16, ge=1, le=1000, description="items at most")
    n: int = Field(4, ge=1, le=8, description="candidates per item")
    steps: int | None = Field(None, ge=1, le=100, description="sampling steps (default: the model's own, 10, or 4 "
                                                                "for a distilled model)")


@router.post("/previews", status_code=202, response_model=Queued)
def previews(request: Request, body: PreviewsRequest, ctx: AppContext = Depends(context)):
    """Queue `studio previews`: generated pictures for items that have none (marked as generated)."""
    studio.check_steps(body.steps, ctx.settings.model)
    return queue_job(ctx, request, "previews", body.model_dump())


class FitRequest(BaseModel):
    epochs: int | None = Field(None, ge=1, le=200,
                               description="passes over the users (default: the chosen configuration's)")
    dim: int | None = Field(None, ge=8, le=512)


@router.post("/fit", status_code=202, response_model=Queued)
def fit(request: Request, body: FitRequest, ctx: AppContext = Depends(context)):
    """Queue a refit on every stored event; the new model is served once it is saved."""
    return queue_job(ctx, request, "fit", body.model_dump())


@router.post("/reload")
def reload(ctx: AppContext = Depends(context)):
    """Serve the recommender saved on disk now (after a `vitrine fit` from the command line)."""
    if not (ctx.settings.recommender_dir / "model.json").exists():
        raise ServiceError(404, f"no fitted recommender in {ctx.settings.recommender_dir.name}")
    try:
        ctx.load_recommender()
    except (OSError, ValueError) as exc:
        raise ServiceError(500, f"the recommender did not load: {exc}") from None
    return {"items": len(ctx.recs.item_ids), "users": len(ctx.recs.user_ids)}
