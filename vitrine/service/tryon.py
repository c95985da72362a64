"""Try-on as a job: POST a person (a picture, or one of the drawn people set) and a garment (a
description, or a catalog item) → a job whose pictures show the person wearing it.

Everything a job needs is checked before it is queued, so a bad request is a 4xx at once: the
picture decodes fully and is at most `max_upload_bytes` and MAX_SIDE pixels a side; a mask is the
picture's size; without a mask the segmenter must find a person and the garment's region. The
job row keeps the picture and the mask re-encoded as PNG (nothing of the upload's own bytes), and
GET /jobs/{id} shows their sizes, not their bytes. The results are stored as generated images.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from vitrine.service.errors import ServiceError
from vitrine.service.jobs import _queue

router = APIRouter(tags=["try-on"])
MAX_SIDE = 512          # pixels a side of an uploaded person's picture
MAX_BASE64 = 3_000_000  # characters of a base64 picture (≈ 2.2 MB); max_upload_bytes bounds the bytes too


class TryOnRequest(BaseModel):
    description: str | None = Field(None, min_length=1, max_length=500, description="the garment, in words")
    item_id: str | None = Field(None, min_length=1, max_length=128, description="or a catalog item to wear")
    person: int | None = Field(None, ge=0, le=10_000_000, description="a person of the drawn people set")
    picture: str | None = Field(None, min_length=1, max_length=MAX_BASE64, description="or a picture, base64")
    mask: str | None = Field(None, min_length=1, max_length=MAX_BASE64,
                             description="base64 picture of the picture's size, white where the garment goes")
    region: Literal["top", "bottom", "shoes"] | None = Field(None, description="what to replace, found by the "
                                                             "segmenter (default: what the description names)")
    n: int = Field(4, ge=1, le=8, description="pictures")
    steps: int = Field(20, ge=1, le=50, description="sampling steps")
    seed: int = Field(0, ge=0, le=2**31 - 1)


def _png(pixels: np.ndarray) -> str:
    from vitrine.catalog.images import encode_png
    return base64.b64encode(encode_png(pixels)).decode()


def _decode(text: str, field: str, limit: int) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(422, f"{field}: not base64") from None
    if len(data) > limit:
        raise ServiceError(413, f"{field}: {len(data):,} bytes; at most {limit:,}")
    return data


def prepare(state, *, picture: bytes | None = None, mask: bytes | None = None, person: int | None = None,
            description: str | None = None, item_id: str | None = None, region: str | None = None,
            n: int = 4, steps: int = 20, seed: int = 0) -> dict:
    """A checked try-on job: {picture, mask (base64 PNG), description, truth, …} or a ServiceError."""
    from vitrine.tryon.tryon import person_with_item, read_mask, read_picture
    if (picture is None) == (person is None):
        raise ServiceError(422, "give a picture or a person of the people set (one of them)")
    if (description is None) == (item_id is None):
        raise ServiceError(422, "give a garment description or a catalog item_id (one of them)")
    if description is not None and not description.strip():
        raise ServiceError(422, "description: empty")
    truth = None
    if person is not None:
        if item_id is None:
            raise ServiceError(422, "a person of the set tries on a catalog item: give item_id")
        try:
            case = person_with_item(state.store, state.people(), person, item_id)
        except (IndexError, KeyError) as exc:
            raise ServiceError(404, str(exc).strip("\"'")) from None
        except ValueError as exc:
            raise ServiceError(422, str(exc)) from None
        pixels, region_mask, description, truth = case["picture"], case["mask"], case["description"], case["truth"]
    else:
        if item_id is not None:
            from vitrine.tryon.tryon import slot_of_category
            rows = state.store.item_rows(("id", "description", "category"), ids=[item_id])
            if not rows:
                raise ServiceError(404, f"no item {item_id!r}")
            description, region = rows[0].description or "", region or slot_of_category(rows[0].category)
        try:
            pixels = read_picture(picture, MAX_SIDE)
            region_mask = read_mask(mask, pixels.shape[:2]) if mask is not None else None
        except ValueError as exc:
            raise ServiceError(422, f"{'mask' if mask is not None and 'mask' in str(exc) else 'picture'}: {exc}") \
                from None
        if region_mask is None:
            try:
                region_mask = state.tryon().region_for(pixels, description, region)
            except (LookupError, ValueError, RuntimeError) as exc:
                raise ServiceError(422, str(exc)) from None
    if int(region_mask.sum()) < 4:
        raise ServiceError(422, "mask: mark at least 4 pixels to repaint")
    return {"picture": _png(pixels), "mask": _png(region_mask.astype(np.uint8) * 255), "description": description,
            "truth": _png(truth) if truth is not None else None, "item_id": item_id, "person": person,
            "n": n, "steps": steps, "seed": seed}


def shown_request(request: dict) -> dict:
    """A try-on job's request as GET /jobs shows it: the pictures' sizes, not their bytes."""
    return {k: (f"{len(v) * 3 // 4:,} bytes (PNG)" if k in ("picture", "mask", "truth") and v else v)
            for k, v in request.items()}


@router.post("/tryon", status_code=202)
def tryon(request: Request, body: TryOnRequest):
    """Queue a try-on: a picture (base64 PNG/JPEG/WebP, optionally a mask) or a person of the
    drawn set, wearing a described garment or a catalog item; poll the returned URL."""
    state = request.app.state.vitrine
    limit = state.settings.max_upload_bytes
    job = prepare(state, picture=_decode(body.picture, "picture", limit) if body.picture else None,
                  mask=_decode(body.mask, "mask", limit) if body.mask else None, person=body.person,
                  description=body.description, item_id=body.item_id, region=body.region, n=body.n,
                  steps=body.steps, seed=body.seed)
    return _queue(request, "tryon", job)


@router.get("/tryon/people/{index}.png", response_class=Response)
def person_picture(request: Request, index: int):
    """A person of the drawn people set (64×64 PNG): who `POST /tryon` with `person` dresses."""
    from vitrine.catalog.images import encode_png
    people = request.app.state.vitrine.people()
    if not 0 <= index < len(people.images):
        raise ServiceError(404, f"no person {index} (the set has {len(people.images):,})")
    return Response(encode_png(people.images[index]), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


def run_job(state, request: dict, model_id: str) -> dict:
    """The worker's part: dress, store the pictures as generated images."""
    from vitrine.tryon.tryon import read_mask, read_picture
    picture = read_picture(base64.b64decode(request["picture"]))
    mask = read_mask(base64.b64decode(request["mask"]), picture.shape[:2])
    result = state.tryon().dress(picture, request["description"], mask=mask, n=request["n"], seed=request["seed"],
                                 steps=request["steps"])
    from vitrine.catalog.images import encode_png
    shas = []
    with state.write_lock, state.store.loading() as load:
        for k, pixels in enumerate(result.pictures):
            stored = load.images.put(encode_png(pixels))
            load.add_generated_image(stored, request["description"], request["seed"] + k, model_id,
                                     {"steps": request["steps"], "use": "tryon", "person": request.get("person"),
                                      "item_id": request.get("item_id")})
            shas.append(stored.sha256)
    return {"images": shas, "pixels_repainted": int(mask.sum())}
