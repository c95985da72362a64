"""Try-on: a person (a picture, or one of the drawn people set) wearing a garment (a description,
or a catalog item). `prepare` checks everything before any drawing — the picture decodes and is
at most MAX_SIDE a side, a mask is the picture's size, without a mask the segmenter finds the
person and the garment's region — and returns the job as plain data (pictures as base64 PNG);
`dress` draws it and stores the pictures as generated images."""

from __future__ import annotations

import base64

import numpy as np

from vitrine.app.context import AppContext
from vitrine.app.pictures import store_generated
from vitrine.app.studio import check_steps
from vitrine.errors import Invalid, NotFound

MAX_SIDE = 512   # pixels a side of a person's picture
MAX_STEPS = 50
PICTURE_FIELDS = ("picture", "mask", "truth")


def _png(pixels: np.ndarray) -> str:
    from vitrine.storage.images import encode_png
    return base64.b64encode(encode_png(pixels)).decode()


def prepare(ctx: AppContext, *, picture: bytes | None = None, mask: bytes | None = None, person: int | None = None,
            description: str | None = None, item_id: str | None = None, region: str | None = None,
            n: int = 4, steps: int | None = None, seed: int = 0) -> dict:
    """A checked try-on: {picture, mask, truth (base64 PNG), description, item_id, person, n, steps, seed}."""
    from vitrine.catalog.prompts import item_prompt
    from vitrine.tryon.tryon import person_with_item, read_mask, read_picture, slot_of_category
    if (picture is None) == (person is None):
        raise Invalid("give a picture or a person of the people set (one of them)", "person")
    if (description is None) == (item_id is None):
        raise Invalid("give a garment description or a catalog item_id (one of them)", "description")
    if description is not None and not description.strip():
        raise Invalid("empty", "description")
    if not 1 <= n <= 8:
        raise Invalid(f"from 1 to 8 pictures, got {n}", "n")
    check_steps(steps, ctx.settings.tryon_model, MAX_STEPS)
    truth = None
    if person is not None:
        if item_id is None:
            raise Invalid("a person of the set tries on a catalog item: give item_id", "item_id")
        try:
            case = person_with_item(ctx.store, ctx.people(), person, item_id)
        except (IndexError, KeyError) as exc:
            raise NotFound(str(exc).strip("\"'"), "person" if isinstance(exc, IndexError) else "item_id") from None
        except ValueError as exc:
            raise Invalid(str(exc), "item_id") from None
        pixels, region_mask, description, truth = case["picture"], case["mask"], case["description"], case["truth"]
    else:
        if item_id is not None:
            rows = ctx.store.item_rows(("id", "title", "description", "category", "colour", "pattern"), ids=[item_id])
            if not rows:
                raise NotFound(f"no item {item_id!r}", "item_id")
            item = rows[0]
            description = item_prompt(item.description, item.category, item.colour, item.pattern, item.title)
            region = region or slot_of_category(item.category)
        try:
            pixels = read_picture(picture, MAX_SIDE)
        except ValueError as exc:
            raise Invalid(str(exc), "picture") from None
        try:
            region_mask = read_mask(mask, pixels.shape[:2]) if mask is not None else None
        except ValueError as exc:
            raise Invalid(str(exc), "mask") from None
        if region_mask is None:
            try:
                region_mask = ctx.tryon().region_for(pixels, description, region)
            except (LookupError, ValueError, RuntimeError) as exc:
                raise Invalid(str(exc), "picture") from None
    if int(region_mask.sum()) < 4:
        raise Invalid("mark at least 4 pixels to repaint", "mask")
    return {"picture": _png(pixels), "mask": _png(region_mask.astype(np.uint8) * 255), "description": description,
            "truth": _png(truth) if truth is not None else None, "item_id": item_id, "person": person,
            "n": n, "steps": steps, "seed": seed}


def people_to_offer(ctx: AppContext, category: str | None, shown: int = 6) -> list[int]:
    """The people of the drawn set to try an item of this category on (the set's last, never
    trained on); none when the item is not worn, or the shop has no people set or try-on model."""
    from vitrine.tryon.tryon import slot_of_category
    if slot_of_category(category) is None or not (ctx.settings.tryon_model / "model_index.json").is_file():
        return []
    try:
        people = ctx.people()
    except NotFound:
        return []
    n = len(people.images)
    return [i for i in range(max(n - shown, 0), n) if category not in ("trousers",) or people.worn[i][1]]


def shown(request: dict) -> dict:
    """A prepared try-on as a job listing shows it: the pictures' sizes, not their bytes."""
    return {k: (f"{len(v) * 3 // 4:,} bytes (PNG)" if k in PICTURE_FIELDS and v else v) for k, v in request.items()}


def dress(ctx: AppContext, request: dict) -> dict:
    """Draw a prepared try-on and store its pictures as generated images."""
    from vitrine.tryon.tryon import read_mask, read_picture
    picture = read_picture(base64.b64decode(request["picture"]))
    mask = read_mask(base64.b64decode(request["mask"]), picture.shape[:2])
    tryon = ctx.tryon()
    steps = tryon.pipeline.steps_or_default(request["steps"], 20)
    result = tryon.dress(picture, request["description"], mask=mask, n=request["n"], seed=request["seed"], steps=steps)
    params = {"steps": steps, "use": "tryon", "person": request.get("person"),
              "item_id": request.get("item_id")}
    seeds = [request["seed"] + k for k in range(len(result.pictures))]
    shas = store_generated(ctx, result.pictures, request["description"], seeds, params, model=ctx.settings.tryon_model)
    return {"images": shas, "pixels_repainted": int(mask.sum())}
