"""The shop owner's routes, behind a bearer token: add and delete items, upload a photo, launch a
product, make previews, refit or reload the recommender.

The token is compared in constant time; a missing or wrong one is 401 with WWW-Authenticate.
An uploaded photo is read up to the size bound and no further, and must decode as a picture.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from vitrine.service.errors import ServiceError
from vitrine.service.jobs import _queue

bearer = HTTPBearer(auto_error=False, description="the service's admin token")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


def require_admin(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
    token = request.app.state.vitrine.settings.token
    given = credentials.credentials if credentials is not None else ""
    if not token or not secrets.compare_digest(given.encode(), token.encode()):
        raise ServiceError(401, "admin route: send the service's token as 'Authorization: Bearer TOKEN'",
                           headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


class NewItem(BaseModel):
    id: str = Field(pattern=ID_PATTERN, description="letters, digits and . _ : - (at most 128)")
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    category: str | None = Field(None, max_length=128)
    colour: str | None = Field(None, max_length=64)
    pattern: str | None = Field(None, max_length=64)
    brand: str | None = Field(None, max_length=128)
    price: float | None = Field(None, ge=0, le=1e7)


@router.post("/items", status_code=201)
def add_item(request: Request, item: NewItem):
    """A new item, on sale from now (no photo yet: upload one, or make a preview)."""
    from vitrine.catalog import schema
    from vitrine.catalog.importers.base import item_row
    state = request.app.state.vitrine
    with state.write_lock, state.store.loading() as load:
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


@router.put("/items/{item_id}/photo", openapi_extra={"requestBody": {
    "required": True, "content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                                  "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
async def upload_photo(request: Request, item_id: str):
    """The item's photo (PNG, JPEG, WebP, GIF or BMP bytes as the body), replacing any earlier one."""
    from starlette.concurrency import run_in_threadpool

    from vitrine.catalog.images import UnreadableImage, inspect
    state = request.app.state.vitrine
    data = await _bounded_body(request, state.settings.max_upload_bytes)
    if not data:
        raise ServiceError(422, "body: send the picture's bytes")
    try:
        width, height, fmt = inspect(data)  # decodes it fully: the content decides, not the header
    except UnreadableImage as exc:
        raise ServiceError(422, f"body: not a picture this service reads ({exc})") from None

    def store_photo() -> str:
        with state.write_lock, state.store.loading() as load:
            if not load.items_by_id([item_id]):
                raise ServiceError(404, f"no item {item_id!r}")
            stored = load.images.put_verified(data, width, height, fmt)
            load.attach_images([(item_id, stored, 0)])
        return stored.sha256

    sha = await run_in_threadpool(store_photo)
    return {"id": item_id, "image": f"/images/{sha}", "width": width, "height": height, "format": fmt}


@router.delete("/items/{item_id}")
def delete_item(request: Request, item_id: str):
    """Remove the item, its events and its picture links; it is never recommended again."""
    state = request.app.state.vitrine
    with state.write_lock, state.store.loading() as load:
        if not load.items_by_id([item_id]):
            raise ServiceError(404, f"no item {item_id!r}")
        removed = load.delete_item(item_id)
    state.forget_item(item_id)
    return {"id": item_id, "removed": removed}


class LaunchRequest(BaseModel):
    description: str = Field(min_length=1, max_length=1000, description="the product not yet made")
    price: float | None = Field(None, ge=0, le=1e7)
    n: int = Field(4, ge=1, le=8, description="candidate pictures; the one showing most of the description is kept")
    audience: int = Field(100, ge=1, le=1000, description="shoppers most likely to want it")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    steps: int = Field(20, ge=1, le=100)
    add: bool = Field(False, description="also add it to the catalog as a new item (its picture marked generated)")
    item_id: str | None = Field(None, pattern=ID_PATTERN, description="its ID when added (default studio-HASH)")


@router.post("/launch", status_code=202)
def launch(request: Request, body: LaunchRequest):
    """Queue `studio launch`: a picture from the description and the shoppers most likely to buy it."""
    state = request.app.state.vitrine
    if state.recs is None:
        raise ServiceError(503, "no fitted recommender yet (run `vitrine fit`)")
    if not body.description.strip():
        raise ServiceError(422, "description: give some text")
    item_id = None
    if body.add:
        digest = hashlib.sha256(f"{body.description}\x00{body.seed}".encode()).hexdigest()
        item_id = body.item_id or f"studio-{digest[:10]}"
        if state.store.item_rows(("id",), ids=[item_id]):
            raise ServiceError(409, f"item_id: an item {item_id!r} exists already")
    return _queue(request, "launch", {**body.model_dump(exclude={"add", "item_id"}), "item_id": item_id})


class PreviewsRequest(BaseModel):
    limit: int = Field(16, ge=1, le=1000, description="items at most")
    n: int = Field(4, ge=1, le=8, description="candidates per item")
    steps: int = Field(10, ge=1, le=100)


@router.post("/previews", status_code=202)
def previews(request: Request, body: PreviewsRequest):
    """Queue `studio previews`: generated pictures for items that have none (marked as generated)."""
    return _queue(request, "previews", body.model_dump())


class FitRequest(BaseModel):
    epochs: int | None = Field(None, ge=1, le=200,
                               description="passes over the users (default: the chosen configuration's)")
    dim: int | None = Field(None, ge=8, le=512)


@router.post("/fit", status_code=202)
def fit(request: Request, body: FitRequest):
    """Queue a refit on every stored event; the new model is served once it is saved."""
    return _queue(request, "fit", body.model_dump())


@router.post("/reload")
def reload(request: Request):
    """Serve the recommender saved on disk now (after a `vitrine fit` from the command line)."""
    state = request.app.state.vitrine
    if not (state.settings.recommender_dir / "model.json").exists():
        raise ServiceError(404, f"no fitted recommender in {state.settings.recommender_dir.name}")
    try:
        state.load_recommender()
    except (OSError, ValueError) as exc:
        raise ServiceError(500, f"the recommender did not load: {exc}") from None
    return {"items": len(state.recs.item_ids), "users": len(state.recs.user_ids)}
