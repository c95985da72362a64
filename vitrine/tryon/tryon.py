"""Try-on, the Python API: a person's picture and a garment description → them wearing it.

    tryon = TryOn.load("models/vitrine-tryon")
    result = tryon.dress(picture, "a red striped t-shirt")            # region found by the segmenter
    result = tryon.dress(picture, "navy trousers", mask=my_mask)      # any picture, a hand-made mask
    result.pictures  # n pictures (H, W, 3) uint8; outside result.mask every pixel is the input's

The region to repaint is, in order: the given mask; else the given slot's (top, bottom, shoes)
pixels as the segmenter labels them, grown by a pixel; else the slot the description names
(a t-shirt → top, sneakers → shoes). For a person of the people set dressed in a catalog item
(`person_with_item`), the body is known: the person is drawn without the garment being replaced,
the mask is the new item's cut on that body, and the render of the same person wearing the item
is the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vitrine.catalog.prompts import item_prompt
from vitrine.tryon.model import grow
from vitrine.tryon.people import (BOTTOMS, DRAWN_OVER_GARMENTS, FOOTWEAR, GARMENT_LAYERS, SLOT_LABELS, TOPS, body_of,
                                  garment_region)
from vitrine.tryon.people_set import SLOTS, PeopleSet, person_of, redraw
from vitrine.tryon.segment import REGIONS, load_segmenter, region

SEGMENTER_FOLDER = "segmenter"  # inside the try-on model's folder


def slot_of_category(category: str | None) -> str | None:
    """top, bottom or shoes for a wearable category; None for anything else (bags)."""
    if category in TOPS:
        return "top"
    if category in BOTTOMS:
        return "bottom"
    if category in FOOTWEAR:
        return "shoes"
    return None


def slot_of_description(description: str) -> str | None:
    from vitrine.catalog.attributes import CATEGORY_NAMES
    from vitrine.catalog.read import read_attributes
    category = read_attributes(description).category
    return slot_of_category(CATEGORY_NAMES[category]) if category is not None else None


@dataclass
class TryOnResult:
    pictures: list[np.ndarray]
    mask: np.ndarray
    slot: str | None


class TryOn:
    def __init__(self, pipeline, segmenter=None):
        self.pipeline, self.segmenter = pipeline, segmenter

    @classmethod
    def load(cls, folder: str | Path, sampler: str | None = "default") -> "TryOn":
        from vitrine.tryon.pipeline import load_tryon
        folder = Path(folder)
        segmenter = load_segmenter(folder / SEGMENTER_FOLDER) if (folder / SEGMENTER_FOLDER).is_dir() else None
        return cls(load_tryon(folder, sampler), segmenter)

    def find_region(self, picture: np.ndarray, slot: str) -> np.ndarray:
        """The slot's pixels in the picture, grown by one; LookupError when there is no person or
        no such garment, RuntimeError when the model folder has no segmenter."""
        if self.segmenter is None:
            raise RuntimeError("this try-on model has no segmenter to find regions; give a mask")
        return region(self.segmenter.labels(picture[None])[0], slot)

    def region_for(self, picture: np.ndarray, description: str, slot: str | None = None) -> np.ndarray:
        """The mask to repaint: the slot's region, or that of the garment the description names."""
        slot = slot or slot_of_description(description)
        if slot is None:
            raise ValueError(f"the description names no garment to find ({', '.join(REGIONS)}); "
                             "give a region or a mask")
        return self.find_region(picture, slot)

    def dress(self, picture: np.ndarray, description: str, slot: str | None = None, mask: np.ndarray | None = None,
              n: int = 4, seed: int = 0, steps: int | None = None, guidance: float = 3.0) -> TryOnResult:
        """n pictures of `picture` wearing `description`; unset, steps are the model's default (20, or
        4 for a distilled model)."""
        if not description or not description.strip():
            raise ValueError("the garment description is empty")
        if mask is None:
            slot = slot or slot_of_description(description)
            mask = self.region_for(picture, description, slot)
        generators = [torch.Generator().manual_seed(seed + k) for k in range(n)]
        steps = self.pipeline.steps_or_default(steps, 20)
        pictures = self.pipeline(picture, mask, description, num_images_per_prompt=n, num_inference_steps=steps,
                                 guidance_scale=guidance, generator=generators)
        return TryOnResult(pictures, mask, slot)


def drawn_over(body, labels: np.ndarray, slot: str) -> np.ndarray:
    """The pixels of a drawn person that lie over a garment of `slot`: the garments people.dress
    paints after it, and the body parts it paints after every garment."""
    later = GARMENT_LAYERS[GARMENT_LAYERS.index(slot) + 1:]
    over = np.isin(labels, [SLOT_LABELS[s] for s in later])
    for part in DRAWN_OVER_GARMENTS:
        over |= body.parts[part]
    return over


def person_with_item(store, people: PeopleSet, index: int, item_id: str) -> dict:
    """Person `index` of the set and catalog item `item_id`: the picture to dress, the mask to
    repaint, the prompt (catalog.prompts.item_prompt) and the ground truth (the same person drawn wearing the
    item). The body is known, so the picture is the person drawn without the garment being
    replaced — skin, trousers or background where it was, as the truth shows them — and the mask
    is only the new item's cut on that body, less other garments drawn over it, grown by a pixel:
    a top in place of a dress does not repaint the legs."""
    if not 0 <= index < len(people.images):
        raise IndexError(f"no person {index}: the people set has {len(people.images):,} (0–{len(people.images) - 1})")
    rows = store.item_rows(("id", "title", "category", "colour", "pattern", "description"), ids=[item_id])
    if not rows:
        raise KeyError(f"no item {item_id!r} in the catalog")
    item = rows[0]
    slot = slot_of_category(item.category)
    if slot is None:
        raise ValueError(f"item {item_id} is a {item.category}, not something to wear (a top, trousers or shoes)")
    if slot == "bottom" and not people.worn[index][SLOTS.index(slot)]:
        raise ValueError(f"person {index} wears a dress: no trousers to replace")
    body = body_of(person_of(people.persons[index]))
    taken_off = {slot: None} | ({"bottom": None} if item.category == "dress" else {})  # a dress leaves no trousers
    undressed, labels = redraw(store, people, index, taken_off)
    mask = grow(garment_region(body, item.category) & ~drawn_over(body, labels, slot))
    truth, _ = redraw(store, people, index, {slot: item_id})
    return {"picture": undressed, "mask": mask, "truth": truth, "slot": slot, "category": item.category,
            "description": item_prompt(item.description, item.category, item.colour, item.pattern, item.title)}


def read_picture(data: bytes, max_side: int = 2048) -> np.ndarray:
    """(H, W, 3) uint8 of encoded image bytes; transparency laid on white. A ValueError saying
    what is wrong (not an image, truncated, too large)."""
    import io

    from PIL import Image

    from vitrine.storage.images import UnreadableImage, inspect
    try:
        width, height, _ = inspect(data)
    except UnreadableImage as exc:
        raise ValueError(f"not a readable picture ({exc})") from None
    if max(width, height) > max_side:
        raise ValueError(f"{width}×{height} is larger than {max_side} pixels a side")
    with Image.open(io.BytesIO(data)) as im:
        rgba = im.convert("RGBA")
    white = Image.new("RGBA", rgba.size, "white")
    return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))


def read_mask(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool of a mask picture: pixels brighter than mid-grey (or opaque, for a mask drawn
    on a transparent layer) are repainted. A ValueError when unreadable or of another size."""
    import io

    from PIL import Image

    from vitrine.storage.images import UnreadableImage, inspect
    try:
        width, height, _ = inspect(data)
    except UnreadableImage as exc:
        raise ValueError(f"not a readable picture ({exc})") from None
    if (height, width) != tuple(shape):
        raise ValueError(f"the mask is {width}×{height}; the picture is {shape[1]}×{shape[0]}")
    with Image.open(io.BytesIO(data)) as im:
        if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
            rgba = np.asarray(im.convert("RGBA"))
            return (rgba[..., 3] > 127) & (rgba[..., :3].mean(axis=2) > 127)
        return np.asarray(im.convert("L")) > 127
