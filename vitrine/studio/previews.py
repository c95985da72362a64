"""Previews: a generated picture for every item that has no photo.

Per item: n candidates from its description (its title when it has none), each from its own seed;
the one the evaluator reads as most consistent with the item's stated attributes (its category,
colour and pattern columns; where a column is empty, what the text names) is kept and stored as a
generated image linked to the item — the `generated_images` table with its prompt, seed, model and
sampler — never as a photo. The recommender's features then use it as the item's image, flagged
as generated (vitrine.recommend.features). Items are committed a batch at a time, so a stopped run
keeps what it finished and the next run carries on with the rest.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
from vitrine.studio.launch import agreement
from vitrine.catalog.read import Wanted, read_attributes

ITEMS_PER_CALL = 16
EXAMPLES = 32


def _index(value: str | None, names: tuple[str, ...], fallback: int | None) -> int | None:
    return names.index(value) if value in names else fallback


def stated_attributes(row) -> Wanted:
    """The item's category, colour and pattern columns, each filled from its text where empty."""
    text = read_attributes(" ".join(t for t in (row.title, row.description) if t))
    return Wanted(_index(row.category, CATEGORY_NAMES, text.category), _index(row.colour, COLOUR_NAMES, text.colour),
                  _index(row.pattern, PATTERN_NAMES, text.pattern))


@dataclass
class PreviewRun:
    items: int              # items given a preview
    agreement: float        # mean number of stated attributes the kept pictures show (by the evaluator)
    stated: float           # mean number of attributes stated per item
    examples: list          # (title, picture) of the first EXAMPLES items


def best_pictures(pipe, evaluator, prompts: list[str], wanted: list[Wanted], n: int, steps: int, guidance: float,
                  seed: int) -> list[tuple[object, int, float]]:
    """Per prompt, (picture, seed, agreement) of the best of n candidates from seeds seed … seed + n − 1."""
    seeds = [seed + j for j in range(n)]
    images = pipe(prompts, num_images_per_prompt=n, num_inference_steps=steps, guidance_scale=guidance,
                  generator=[torch.Generator().manual_seed(s) for _ in prompts for s in seeds]).images
    out = []
    for k, want in enumerate(wanted):
        own = images[k * n:(k + 1) * n]
        scores = agreement(evaluator, own, want)
        best = int(np.argmax(scores))
        out.append((own[best], seeds[best], float(scores[best])))
    return out


def prompt_of(row) -> str:
    return (row.description or row.title or row.id)[:1000]


def make_previews(store, pipe, evaluator, model_id: str, limit: int | None = None, n: int = 4, steps: int | None = None,
                  guidance: float = 3.0, seed: int = 0, progress: bool = True, write_lock=None) -> PreviewRun:
    """Previews for up to `limit` items with no picture, ITEMS_PER_CALL at a time: each batch drawn
    outside any transaction, then stored in one short one (under `write_lock` when given), so a
    long run never keeps other writers waiting for more than a batch's commit."""
    from contextlib import nullcontext
    steps = pipe.steps_or_default(steps, 10)
    rows = store.items_without_picture(limit)
    shown, stated, examples = [], [], []
    params = {"use": "preview", "sampler": type(pipe.scheduler).__name__, "steps": steps, "guidance": guidance,
              "candidates": n}
    with tqdm(total=len(rows), desc="previews", unit="item", disable=not progress) as bar:
        for start in range(0, len(rows), ITEMS_PER_CALL):
            chunk = rows[start:start + ITEMS_PER_CALL]
            wanted = [stated_attributes(r) for r in chunk]
            picked = best_pictures(pipe, evaluator, [prompt_of(r) for r in chunk], wanted, n, steps, guidance, seed)
            with write_lock or nullcontext(), store.loading() as load:
                for row, want, (picture, picture_seed, score) in zip(chunk, wanted, picked):
                    buffer = io.BytesIO()
                    picture.save(buffer, format="PNG")
                    load.add_generated_image(load.images.put(buffer.getvalue()), prompt_of(row), picture_seed,
                                             model_id, params, item_id=row.id)
                    shown.append(int(score))  # the integer part counts the agreeing attributes
                    stated.append(len(want.named()))
                    if len(examples) < EXAMPLES:
                        examples.append((row.title or row.id, picture))
            bar.update(len(chunk))
    return PreviewRun(len(rows), float(np.mean(shown)) if shown else 0.0, float(np.mean(stated)) if stated else 0.0,
                      examples)
