"""Try-on as a job: POST a person (a picture, or one of the drawn people set) and a garment (a
description, or a catalog item) → a job whose pictures show the person wearing it.

Everything a job needs is checked before it is queued, so a bad request is a 4xx at once: the
picture decodes fully and is at most `max_upload_bytes` and 512 pixels a side (vitrine.app.tryon); a mask is the
picture's size; without a mask the segmenter must find a person and the garment's region. The
job row keeps the picture and the mask re-encoded as PNG (nothing of the upload's own bytes), and
GET /jobs/{id} shows their sizes, not their bytes. The results are stored as generated images.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from vitrine.app.context import AppContext
from vitrine.app.tryon import MAX_STEPS, prepare
from vitrine.service.deps import context
from vitrine.service.errors import ServiceError
from vitrine.service.jobs import Queued, queue_job
from vitrine.service.limits import Words

router = APIRouter(tags=["try-on"])
MAX_BASE64 = 3_000_000  # characters of a base64 picture (≈ 2.2 MB); max_upload_bytes bounds the bytes too


class TryOnRequest(BaseModel):
    description: Words | None = Field(None, min_length=1, max_length=500, description="the garment, in words")
    item_id: str | None = Field(None, min_length=1, max_length=128, description="or a catalog item to wear")
    person: int | None = Field(None, ge=0, le=10_000_000, description="a person of the drawn people set")
    picture: str | None = Field(None, min_length=1, max_length=MAX_BASE64, description="or a picture, base64")
    mask: str | None = Field(None, min_length=1, max_length=MAX_BASE64,
                             description="base64 picture of the picture's size, white where the garment goes")
    region: Literal["top", "bottom", "shoes"] | None = Field(None, description="what to replace, found by the "
                                                             "segmenter (default: what the description names)")
    n: int = Field(4, ge=1, le=8, description="pictures")
    steps: int | None = Field(None, ge=1, le=MAX_STEPS, description="sampling steps (default: the model's own, 20, or 4 for a distilled model)")
    seed: int = Field(0, ge=0, le=2**31 - 1)


def _decode(text: str, field: str, limit: int) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(422, f"{field}: not base64") from None
    if len(data) > limit:
        raise ServiceError(413, f"{field}: {len(data):,} bytes; at most {limit:,}")
    return data


@router.post("/tryon", status_code=202, response_model=Queued)
def tryon(request: Request, body: TryOnRequest, ctx: AppContext = Depends(context)):
    """Queue a try-on: a picture (base64 PNG/JPEG/WebP, optionally a mask) or a person of the
    drawn set, wearing a described garment or a catalog item; poll the returned URL."""
    limit = ctx.settings.max_upload_bytes
    job = prepare(ctx, picture=_decode(body.picture, "picture", limit) if body.picture else None,
                  mask=_decode(body.mask, "mask", limit) if body.mask else None, person=body.person,
                  description=body.description, item_id=body.item_id, region=body.region, n=body.n,
                  steps=body.steps, seed=body.seed)
    return queue_job(ctx, request, "tryon", job)


@router.get("/tryon/people/{index}.png", response_class=Response)
def person_picture(index: int, ctx: AppContext = Depends(context)):
    """A person of the drawn people set (64×64 PNG): who `POST /tryon` with `person` dresses."""
    from vitrine.storage.images import encode_png
    people = ctx.people()
    if not 0 <= index < len(people.images):
        raise ServiceError(404, f"no person {index} (the set has {len(people.images):,})")
    return Response(encode_png(people.images[index]), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})
