"""How good a launch is, measured on the held-out new items as if they were not yet photographed.

The recommender is fitted on the test fold's history (train + valid periods), where the new items
have none, so each new item's vector comes from its content alone. Each new item is then scored
three ways by the same fitted network: with its real photo, with the picture `studio launch`
generates from its description (best of `candidates`), and with no picture. Reported:
- new-item Recall@20 and NDCG@20 (only new items ranked) for each, and the generated picture's
  share of the real photo's gain over no picture;
- audience quality: of each new item's top-`audience` shoppers by ⟨u, v⟩, how many viewed, carted
  or bought it in the test period (precision and recall, averaged over the new items with any
  test event), against the most active shoppers and against the no-picture vector;
- the generated pictures' attribute agreement with the items' true attributes (by the evaluator).
Each item's stored category (for its price's category median) is used in all three, so only the
picture differs.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vitrine.results import Column, Table
from vitrine.studio.launch import agreement
from vitrine.studio.pictures import photos_of, save_pairs
from vitrine.catalog.read import read_attributes
from vitrine.studio.report import write_part

PROMPTS_PER_CALL = 16


def generate_best(pipe, evaluator, texts: list[str], candidates: int, seed: int, steps: int,
                  progress: bool) -> list:
    """The best of `candidates` generated pictures per text, as `studio launch` picks it."""
    chosen = []
    with tqdm(total=len(texts), desc="generate launch pictures", unit="item", disable=not progress) as bar:
        for start in range(0, len(texts), PROMPTS_PER_CALL):
            chunk = texts[start:start + PROMPTS_PER_CALL]
            gens = [torch.Generator().manual_seed(seed + (start + i) * candidates + j)
                    for i in range(len(chunk)) for j in range(candidates)]
            images = pipe(chunk, num_images_per_prompt=candidates, num_inference_steps=steps, generator=gens).images
            for i, text in enumerate(chunk):
                own = images[i * candidates:(i + 1) * candidates]
                chosen.append(own[int(np.argmax(agreement(evaluator, own, read_attributes(text))))])
            bar.update(len(chunk))
    return chosen


def _with_new_vectors(model, new: np.ndarray, vectors: np.ndarray, name: str):
    scored = copy.copy(model)
    scored.item_vectors = model.item_vectors.copy()
    scored.item_vectors[new] = vectors
    scored.name = name
    return scored


def audience_quality(user_vectors: np.ndarray, vectors: np.ndarray, viewers: list[set[int]], k: int,
                     fixed: np.ndarray | None = None) -> dict:
    """Mean precision@k and recall@k of each item's top-k users (or of one `fixed` list for all)."""
    precision, recall = [], []
    for j, who in enumerate(viewers):
        if not who:
            continue
        if fixed is None:
            scores = user_vectors @ vectors[j]
            top = np.argpartition(-scores, k - 1)[:k]
        else:
            top = fixed
        hits = len(who & set(top.tolist()))
        precision.append(hits / k)
        recall.append(hits / len(who))
    return {f"precision@{k}": float(np.mean(precision)), f"recall@{k}": float(np.mean(recall)),
            "items": len(precision)}


def run(store, pipe, evaluator, out_dir: str | Path, candidates: int = 4, audience: int = 100,
        steps: int | None = None, seed: int = 0, limit: int | None = None, config: dict | None = None,
        progress: bool = True) -> dict:
    steps = pipe.steps_or_default(steps, 20)
    from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
    from vitrine.evaluate.evaluator import to_tensor
    from vitrine.recommend.config import MultimodalConfig
    from vitrine.recommend.evaluate import evaluate_model
    from vitrine.recommend.features import load_fold
    from vitrine.recommend.multimodal import Multimodal
    start = time.perf_counter()
    log, fold, features = load_fold(store, "test", progress=progress)
    new = np.flatnonzero(log.is_new)
    if limit is not None:
        new = new[:limit]
    if len(new) == 0:
        raise LookupError(f"{store.data_dir}: no new items to launch (the split records none)")
    model = Multimodal(features, MultimodalConfig(**(config or {}))).fit(fold, progress=progress)
    ids = [str(log.item_ids[i]) for i in new]
    rows = {r.id: r for r in store.item_rows(("id", "title", "description", "price", "category", "colour",
                                               "pattern"), ids=ids)}
    texts = [rows[i].description or rows[i].title for i in ids]
    prices = [rows[i].price for i in ids]
    categories = [rows[i].category for i in ids]
    pictures = generate_best(pipe, evaluator, texts, candidates, seed, steps, progress)
    photos = photos_of(store, ids)
    real = [photos[item_id] for item_id in ids]

    vectors = {"real photo": model.vectors_from_content(texts, real, prices, categories),
               "generated picture": model.vectors_from_content(texts, pictures, prices, categories, generated=True),
               "no picture": model.vectors_from_content(texts, None, prices, categories)}
    rows_out = []
    for label, v in vectors.items():
        scored = _with_new_vectors(model, new, v, f"multimodal, new items with {label}")
        scored_fold = copy.copy(fold)
        if limit is not None:  # rank only the launched items
            scored_fold.log = copy.copy(fold.log)
            is_new = np.zeros_like(fold.log.is_new)
            is_new[new] = True
            scored_fold.log.is_new = is_new
        rows_out += evaluate_model(scored, scored_fold, segments=("new items",), filters=("none",))
    recall = {r["model"].split("with ")[1]: r["recall@20"] for r in rows_out}
    gain = recall["real photo"] - recall["no picture"]
    share = (recall["generated picture"] - recall["no picture"]) / gain if gain > 0 else float("nan")

    # the audience: who viewed, carted or bought each new item in the test period
    position = {int(i): j for j, i in enumerate(new)}
    viewers: list[set[int]] = [set() for _ in new]
    for u, targets in enumerate(fold.targets):
        for i in targets:
            if i in position:
                viewers[position[i]].add(u)
    users = model.user_vectors(np.arange(log.n_users))
    active = np.argsort(-fold.train_events)[:audience]
    audiences = {"generated picture": audience_quality(users, vectors["generated picture"], viewers, audience),
                 "real photo": audience_quality(users, vectors["real photo"], viewers, audience),
                 "no picture": audience_quality(users, vectors["no picture"], viewers, audience),
                 "most active shoppers": audience_quality(users, vectors["no picture"], viewers, audience, active)}

    # do the generated pictures show the item's true attributes?
    read = evaluator.predict(to_tensor(np.stack([np.asarray(p.resize((32, 32))) for p in pictures])))
    truth = {"category": [CATEGORY_NAMES.index(rows[i].category) for i in ids],
             "colour": [COLOUR_NAMES.index(rows[i].colour) for i in ids],
             "pattern": [PATTERN_NAMES.index(rows[i].pattern) for i in ids]}
    agreement_rates = {k: float(np.mean(read[k] == np.array(v))) for k, v in truth.items()}

    result = {"new_items": len(new), "candidates": candidates, "steps": steps, "audience": audience,
              "config": {**model.params()}, "rows": rows_out, "generated_share_of_photo_gain": share,
              "audience_quality": audiences, "picture_agreement": agreement_rates,
              "seconds": round(time.perf_counter() - start, 1)}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_part(out, "launch", result, markdown(result))
    save_pairs(out / "launch-examples.png", real[:8], pictures[:8], [rows[i].title for i in ids[:8]], "generated",
               "new items: real photo (top) and the launch picture from the description (bottom)")
    return result


ROW_COLUMNS = [Column("new items scored with", lambda r: r["model"].split("with ")[1]),
               Column("Recall@20", "recall@20", "{:.4f}"), Column("NDCG@20", "ndcg@20", "{:.4f}")]


def _audience_table(result: dict) -> Table:
    k = result["audience"]
    return Table([Column(f"audience of {k}", "name"), Column("precision", f"precision@{k}", "{:.4f}"),
                  Column("recall", f"recall@{k}", "{:.4f}"), Column("items", "items", "{:,}")],
                 [{"name": name, **q} for name, q in result["audience_quality"].items()])


def markdown(result: dict) -> str:
    lines = ["# Launch: new items as if not yet photographed", "",
             f"`vitrine eval studio` — {result['new_items']:,} held-out new items; the recommender fitted on the test "
             f"fold's history; each launch picture the best of {result['candidates']} by the evaluator "
             f"({result['steps']} sampling steps). Made in {result['seconds']:.0f} s.", "",
             Table(ROW_COLUMNS, result["rows"]).markdown()]
    lines += ["", f"Generated pictures recover {result['generated_share_of_photo_gain']:.0%} of the real photos' "
              "gain over the same network with no picture (against a separately fitted "
              "text-only model: docs/studio.md).", "",
              _audience_table(result).markdown()]
    a = result["picture_agreement"]
    lines += ["", f"The evaluator reads the launch pictures as the item's true category {a['category']:.1%}, "
              f"colour {a['colour']:.1%}, pattern {a['pattern']:.1%} of the time.", "",
              "![examples](launch-examples.png)"]
    return "\n".join(lines) + "\n"
