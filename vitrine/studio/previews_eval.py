"""How much previews give back when photos are missing, measured by hiding photos the shop has.

A random `hide` share of the catalog's items lose their photos. The recommender is fitted on the
test fold's history three times, the same in all but the hidden items' pictures:
(a) no picture for them; (b) their previews — generated from their descriptions, the best of
`candidates` by the evaluator's reading of their stated attributes, as `studio previews` makes
them — flagged as generated; (c) their real photos. In (a) and (b) the image encoder learns from
the visible photos only, as it would in such a shop; (c) is the shop as it is. Reported: warm-user
and new-item Recall@20 and NDCG@20 of each, the previews' share of the photos' gain, and how often
the evaluator reads a preview as its item's true category, colour and pattern.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vitrine.results import Column, Table
from vitrine.studio.pictures import photos_of, save_pairs
from vitrine.studio.previews import best_pictures, prompt_of, stated_attributes
from vitrine.studio.report import write_part

PROMPTS_PER_CALL = 64  # one candidate each: a larger batch samples faster per picture


def _without_photos(features, hidden: np.ndarray, encoder, pixels: torch.Tensor):
    """Features whose hidden items have no picture, every other photo embedded by `encoder`."""
    changed = copy.copy(features)
    changed.encoder = encoder
    has = features.has_image.clone()
    has[hidden] = False
    changed.has_image = has
    changed.image = torch.zeros_like(features.image)
    shown = torch.from_numpy(np.flatnonzero(has.numpy()))
    changed.image[shown] = encoder.embed(pixels[shown])
    changed.generated = torch.zeros(len(has), dtype=torch.bool)
    return changed


def run(store, pipe, evaluator, out_dir: str | Path, hide: float = 0.3, candidates: int = 1,
        steps: int | None = None, seed: int = 0, limit: int | None = None, config: dict | None = None,
        progress: bool = True) -> dict:
    steps = pipe.steps_or_default(steps, 10)
    from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
    from vitrine.recommend.config import MultimodalConfig
    from vitrine.recommend.evaluate import evaluate_model
    from vitrine.recommend.features import _item_photos, load_fold
    from vitrine.recommend.image_encoder import ImageEncoderConfig, train_image_encoder
    from vitrine.recommend.multimodal import Multimodal
    start = time.perf_counter()
    log, fold, features = load_fold(store, "test", progress=progress)
    with_photo = np.flatnonzero(features.has_image.numpy())
    rng = np.random.default_rng(seed)
    hidden = np.sort(rng.choice(with_photo, int(round(hide * len(with_photo))), replace=False))
    if limit is not None:
        hidden = hidden[:limit]
    if len(hidden) == 0:
        raise LookupError(f"{store.data_dir}: no photos to hide")
    ids = [str(log.item_ids[i]) for i in hidden]
    rows = {r.id: r for r in store.item_rows(("id", "title", "description", "category", "colour", "pattern"), ids=ids)}

    previews = []
    with tqdm(total=len(ids), desc="previews of the hidden items", unit="item", disable=not progress) as bar:
        for s in range(0, len(ids), PROMPTS_PER_CALL):
            chunk = [rows[i] for i in ids[s:s + PROMPTS_PER_CALL]]
            picked = best_pictures(pipe, evaluator, [prompt_of(r) for r in chunk],
                                   [stated_attributes(r) for r in chunk], candidates, steps, 3.0, seed)
            previews += [picture for picture, _, _ in picked]
            bar.update(len(chunk))

    pixels, _, _ = _item_photos(store, log.item_ids)
    visible = np.setdiff1d(with_photo, hidden)
    encoder, _ = train_image_encoder(pixels[visible], features.text[visible], ImageEncoderConfig(), progress)
    no_picture = _without_photos(features, hidden, encoder, pixels)
    with_previews = _without_photos(features, hidden, encoder, pixels)
    preview_pixels = torch.from_numpy(np.stack([np.asarray(p.convert("RGB").resize((32, 32))) for p in previews]))
    preview_pixels = preview_pixels.permute(0, 3, 1, 2).float() / 255.0
    with_previews.image[hidden] = encoder.embed(preview_pixels)
    with_previews.has_image[hidden] = True
    with_previews.generated[hidden] = True

    variants = {"no picture": no_picture, "generated previews": with_previews, "real photos": features}
    rows_out = []
    for label, variant in variants.items():
        model = Multimodal(variant, MultimodalConfig(**(config or {})), name=f"hidden items with {label}")
        rows_out += evaluate_model(model.fit(fold, progress=progress), fold, segments=("warm", "new items"),
                                   filters=("none",))
    recall = {(r["model"].split("with ")[1], r["segment"]): r["recall@20"] for r in rows_out}
    shares = {}
    for segment in ("warm", "new items"):
        gain = recall[("real photos", segment)] - recall[("no picture", segment)]
        shares[segment] = ((recall[("generated previews", segment)] - recall[("no picture", segment)]) / gain
                           if gain > 0 else None)

    read = evaluator.predict(preview_pixels)
    truth = {"category": [CATEGORY_NAMES.index(rows[i].category) for i in ids],
             "colour": [COLOUR_NAMES.index(rows[i].colour) for i in ids],
             "pattern": [PATTERN_NAMES.index(rows[i].pattern) for i in ids]}
    agreement_rates = {k: float(np.mean(read[k] == np.array(v))) for k, v in truth.items()}
    result = {"items": int(log.n_items), "hidden": len(hidden), "hide": hide, "candidates": candidates,
              "steps": steps, "seed": seed, "rows": rows_out, "preview_share_of_photo_gain": shares,
              "preview_agreement": agreement_rates, "seconds": round(time.perf_counter() - start, 1)}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_part(out, "previews", result, markdown(result))
    photos = photos_of(store, ids[:8])
    save_pairs(out / "previews-examples.png", [photos[i] for i in ids[:8]], previews[:8],
               [rows[i].title for i in ids[:8]], "preview",
               "items whose photo was hidden: the photo (upper row) and the preview from the text (lower row)")
    return result


def _by_label(rows: list[dict]) -> list[dict]:
    """One row per way the hidden items are shown, with its warm and new-item figures."""
    by = {(r["model"].split("with ")[1], r["segment"]): r for r in rows}
    return [{"label": label, "warm": by.get((label, "warm"), {}), "new": by.get((label, "new items"), {})}
            for label in ("no picture", "generated previews", "real photos")]


def _figure(segment: str, metric: str):
    return lambda row: row[segment].get(metric, float("nan"))


ROW_COLUMNS = [Column("hidden items have", "label"), Column("warm Recall@20", _figure("warm", "recall@20"), "{:.4f}"),
               Column("warm NDCG@20", _figure("warm", "ndcg@20"), "{:.4f}"),
               Column("new-item Recall@20", _figure("new", "recall@20"), "{:.4f}"),
               Column("new-item NDCG@20", _figure("new", "ndcg@20"), "{:.4f}")]


def markdown(result: dict) -> str:
    lines = ["# Previews for items without a photo", "",
             f"`vitrine eval studio --parts previews` — the photos of {result['hidden']:,} of {result['items']:,} items "
             f"({result['hide']:.0%}, seed {result['seed']}) hidden; each preview the best of {result['candidates']} "
             f"({result['steps']} sampling steps); the recommender fitted on the test fold's history three times. "
             f"Made in {result['seconds']:.0f} s.", "",
             Table(ROW_COLUMNS, _by_label(result["rows"])).markdown()]
    shares = result["preview_share_of_photo_gain"]
    lines += [""] + [f"Previews recover {shares[s]:.0%} of the real photos' {s} Recall@20 gain over no picture."
                     if shares[s] is not None else f"The real photos gain nothing over no picture on {s} Recall@20."
                     for s in ("warm", "new items")]
    a = result["preview_agreement"]
    lines += ["", f"The evaluator reads the previews as the item's true category {a['category']:.1%}, colour "
              f"{a['colour']:.1%}, pattern {a['pattern']:.1%} of the time.", "", "![examples](previews-examples.png)"]
    return "\n".join(lines) + "\n"
