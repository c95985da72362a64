"""A product not yet made: its picture from its description, its item vector, and its audience.

1. Generate n candidate pictures from the description, each from its own seed.
2. Keep the one the evaluator reads as most consistent with what the description names: the
   number of agreeing heads (category, colour, pattern), ties broken by the summed
   log-probability of the named classes. With nothing named, the first candidate is kept.
3. (description, picture, price, category) → item vector through the fitted recommender's saved
   content encoders, exactly as a new catalog item with that content is scored.
4. The audience: the shoppers with the highest ⟨u, v⟩ (a new item has no popularity bias).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from vitrine.catalog.attributes import CATEGORY_NAMES
from vitrine.catalog.prices import MAX_PRICE
from vitrine.errors import Conflict, Invalid
from vitrine.catalog.read import Wanted, read_attributes

MAX_CANDIDATES = 64
MAX_AUDIENCE = 100_000
MAX_DESCRIPTION = 1000


@dataclass
class LaunchResult:
    description: str
    price: float | None
    category: str | None          # used for the price's category median
    candidates: list[Image.Image]
    agreement: list[float]        # per candidate: agreeing heads + a log-probability tie-break in (0, 1)
    chosen: int
    seeds: list[int]
    vector: np.ndarray            # (D,) the item vector
    audience: list[tuple[str, float]]

    @property
    def image(self) -> Image.Image:
        return self.candidates[self.chosen]


def check_launch(description: str, price: float | None, n: int, audience: int) -> None:
    """An Invalid error naming the argument at fault."""
    if not description or not description.strip() or len(description) > MAX_DESCRIPTION:
        raise Invalid(f"give 1 to {MAX_DESCRIPTION} characters of text", "description")
    if price is not None and (not math.isfinite(price) or not 0 <= price <= MAX_PRICE):
        raise Invalid(f"must be between 0 and {MAX_PRICE:,}, got {price}", "price")
    if not 1 <= n <= MAX_CANDIDATES:
        raise Invalid(f"must be between 1 and {MAX_CANDIDATES}, got {n}", "n")
    if not 1 <= audience <= MAX_AUDIENCE:
        raise Invalid(f"must be between 1 and {MAX_AUDIENCE:,}, got {audience}", "audience")


@torch.inference_mode()
def agreement(evaluator, images: list[Image.Image], wanted: Wanted) -> list[float]:
    """Per image: how many named attributes the evaluator reads back, plus a tie-break in (0, 1)
    that grows with the summed log-probability of the named classes. `wanted` names the built
    catalog's classes; each is looked up by name among the evaluator's own (a shop's evaluator may
    read other columns or classes; an attribute it cannot read does not count)."""
    from vitrine.evaluate.evaluator import BUILT_CLASSES, to_tensor
    pixels = np.stack([np.asarray(im.convert("RGB")) for im in images])  # the evaluator scales to its size
    logits = evaluator.eval().classify(to_tensor(pixels))
    named = {}
    for head, index in wanted.named().items():
        name = BUILT_CLASSES[head][index]
        if name in evaluator.classes.get(head, ()):
            named[head] = evaluator.classes[head].index(name)
    score = torch.zeros(len(images))
    log_p = torch.zeros(len(images))
    for head, index in named.items():
        score += (logits[head].argmax(1) == index).float()
        log_p += torch.log_softmax(logits[head], 1)[:, index]
    return (score + torch.sigmoid(log_p / max(len(named), 1))).tolist() if named else [0.0] * len(images)


def top_audience(recs, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
    """The k shoppers with the highest ⟨u, v⟩, best first."""
    scores = recs.user_matrix @ vector
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best])]
    return [(str(recs.user_ids[u]), float(scores[u])) for u in best]


def launch(pipe, evaluator, recs, description: str, price: float | None = None, n: int = 4, audience: int = 100,
           seed: int = 0, steps: int | None = None, guidance: float = 3.0) -> LaunchResult:
    check_launch(description, price, n, audience)
    steps = pipe.steps_or_default(steps, 20)
    seeds = [seed + i for i in range(n)]
    candidates = pipe(description, num_images_per_prompt=n, num_inference_steps=steps, guidance_scale=guidance,
                      generator=[torch.Generator().manual_seed(s) for s in seeds]).images
    wanted = read_attributes(description)
    scores = agreement(evaluator, candidates, wanted)
    chosen = int(np.argmax(scores))
    category = CATEGORY_NAMES[wanted.category] if wanted.category is not None else None
    vector = recs.model.vectors_from_content([description], [candidates[chosen]], [price], [category], generated=True)[0]
    return LaunchResult(description, price, category, candidates, scores, chosen, seeds, vector,
                        top_audience(recs, vector, audience))


def add_to_catalog(store, result: LaunchResult, item_id: str, model_id: str, params: dict) -> None:
    """Put the launched product in the catalog as a new item (source "studio", on sale from now),
    its picture stored as a generated image of it — never as a photo."""
    import io
    import time

    from vitrine.storage import schema
    from vitrine.catalog.importers.base import item_row
    if store.item_rows(("id",), ids=[item_id]):
        raise Conflict(f"an item {item_id!r} exists already", "item_id")
    buffer = io.BytesIO()
    result.image.save(buffer, format="PNG")
    with store.loading() as load:
        load.insert(schema.Item, [item_row(item_id, result.description[:200], "studio", description=result.description,
                                           category=result.category, price=result.price, is_new=True,
                                           launched_at=int(time.time() * 1000),
                                           attributes={"picture": "generated"})])
        image = load.images.put(buffer.getvalue())
        load.add_generated_image(image, result.description, result.seeds[result.chosen], model_id,
                                 {**params, "candidates": len(result.candidates)}, item_id=item_id)
