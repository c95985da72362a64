"""How good designs for one shopper are, judged against the simulated shoppers' true preferences.

Every candidate prompt (all 520 category × colour × pattern combinations) gets `per_prompt`
pictures once, from the seeds `studio design` uses, so each method below picks from the same
pictures a design for that shopper would show. Each picture is read by the evaluator (category,
colour, pattern) — a design is judged by what it shows, not by what its prompt asked for — and
its true utility for shopper u is the simulator's preference part of U(u, i) plus the log of
their affinity for its category (docs/shoppers.md):

    utility(c, k, p) = log θ_u[c] + w_k · log(φ_u[k] + ε) + w_p · log(ψ_u[p] + ε)

(θ is stored to four decimals; a stored 0 counts as 0.00005). Its percentile is the mid-rank of
that utility among all 520 combinations for the shopper. Per method, averaged over the shoppers:
the mean percentile, the share of designs in the shopper's true top category, and the personal
similarity (DiFashion, Xu et al. 2024): the cosine between a design's item vector and the mean
of the shopper's history item vectors in the recommender's space.

Methods: personalised designs (`studio design`); the same prompts without the picture rerank
(each prompt's picture the one the evaluator reads as closest to it, as the baselines get); the
prompts scored from text alone (an empty picture part); the shop's best-selling combinations;
random combinations; the shopper's last purchase re-described; oracle prompts from the true
preferences (the ceiling).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
from vitrine.results import Column, Table
from vitrine.studio.design import Designer, combinations, pick
from vitrine.studio.launch import agreement
from vitrine.studio.pictures import photos_of
from vitrine.catalog.read import Wanted
from vitrine.studio.report import write_part

THETA_FLOOR = 0.00005  # half the stored rounding step


def utility_table(preferences: dict, colour_weight: float = 1.0, pattern_weight: float = 0.8,
                  floor: float = 0.02) -> np.ndarray:
    """(10, 13, 4) the shopper's true utility of every category × colour × pattern."""
    theta = np.maximum([preferences["category"][n] for n in CATEGORY_NAMES], THETA_FLOOR)
    phi = np.array([preferences["colour"][n] for n in COLOUR_NAMES])
    psi = np.array([preferences["pattern"][n] for n in PATTERN_NAMES])
    return (np.log(theta)[:, None, None] + colour_weight * np.log(phi + floor)[None, :, None]
            + pattern_weight * np.log(psi + floor)[None, None, :])


def percentiles(utilities: np.ndarray) -> np.ndarray:
    """Each entry's mid-rank percentile among all entries: 100 · (#below + ½ · #equal) / N."""
    flat = utilities.ravel()
    below = (flat[:, None] > flat[None, :]).sum(1)
    equal = (flat[:, None] == flat[None, :]).sum(1)
    return (100.0 * (below + 0.5 * equal) / len(flat)).reshape(utilities.shape)


def _combination_index(category: str | None, colour: str | None, pattern: str | None) -> int | None:
    """Position in design.combinations() (category-major), None when an attribute is unknown."""
    try:
        c, k, p = CATEGORY_NAMES.index(category), COLOUR_NAMES.index(colour), PATTERN_NAMES.index(pattern)
    except ValueError:
        return None
    return (c * len(COLOUR_NAMES) + k) * len(PATTERN_NAMES) + p


def _sample_shoppers(store, recs, n: int, seed: int) -> list[str]:
    split = store.get_meta("split")
    if not split:
        raise LookupError(f"{store.data_dir}: no split recorded (simulate shoppers or import a log first)")
    truth = store.true_preferences()
    active = [u for u in store.active_user_ids(split["valid_end_ms"]) if u in recs.user_pos and truth.get(u)]
    if not active:
        raise LookupError(f"{store.data_dir}: no test-period shopper with true preferences that the recommender knows")
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(active, min(n, len(active)), replace=False).tolist())


class Bank:
    """Every prompt's pictures, their item vectors, what the evaluator reads in them, and per prompt
    the picture the evaluator reads as closest to it."""

    def __init__(self, designer: Designer, evaluator, per_prompt: int, progress: bool):
        from vitrine.evaluate.evaluator import to_tensor
        n = len(designer.prompts)
        self.per_prompt = per_prompt
        self.images = []
        with tqdm(total=n, desc="pictures of every prompt", unit="prompt", disable=not progress) as bar:
            for start in range(0, n, 16):
                chunk = list(range(start, min(start + 16, n)))
                self.images += designer.pictures(chunk, per_prompt)
                bar.update(len(chunk))
        self.prompt_of = np.repeat(np.arange(n), per_prompt)
        self.vectors = np.concatenate([designer.picture_vectors(self.prompt_of[s:s + 512].tolist(),
                                                                self.images[s:s + 512])
                                       for s in range(0, len(self.images), 512)])
        pixels = np.stack([np.asarray(im.convert("RGB").resize((32, 32))) for im in self.images])
        read = evaluator.predict(to_tensor(pixels))
        self.read = np.array([_combination_index(CATEGORY_NAMES[c], COLOUR_NAMES[k], PATTERN_NAMES[p])
                              for c, k, p in zip(read["category"], read["colour"], read["pattern"])])
        self.read_category = read["category"]
        faithful = np.array([agreement(evaluator, self.images[i * per_prompt:(i + 1) * per_prompt],
                                       Wanted(c.category, c.colour, c.pattern))
                             for i, c in enumerate(designer.combinations)])
        self.closest = np.arange(n) * per_prompt + faithful.argmax(1)  # per prompt, its most faithful picture
        self.faithfulness = float(np.mean(self.read[self.closest] == np.arange(n)))


def method_picks(designer: Designer, bank: Bank, u: np.ndarray, table: np.ndarray, popular: list[int],
                 last: int | None, text_scores: np.ndarray, rng, n: int, prompts: int, max_per_prompt: int
                 ) -> dict[str, list[int]]:
    """Per method, the bank pictures it shows this shopper."""
    def reranked(prompt_scores: np.ndarray) -> list[int]:
        best = np.argsort(-prompt_scores, kind="stable")[:prompts]
        pictures = (best[:, None] * bank.per_prompt + np.arange(bank.per_prompt)[None, :]).ravel()
        chosen = pick(bank.vectors[pictures] @ u, bank.prompt_of[pictures], n, max_per_prompt)
        return pictures[chosen].tolist()

    personal = designer.prompt_vectors @ u
    return {"personalised designs": reranked(personal),
            "personalised prompts, no picture rerank": bank.closest[np.argsort(-personal, kind="stable")[:n]].tolist(),
            "prompts scored from text alone": reranked(text_scores @ u),
            "best-selling combinations": bank.closest[popular[:n]].tolist(),
            "random combinations": bank.closest[rng.choice(len(designer.prompts), n, replace=False)].tolist(),
            "last purchase re-described": [] if last is None else [int(bank.closest[last])],
            "oracle: true top combinations": bank.closest[np.argsort(-table.ravel(), kind="stable")[:n]].tolist()}


def run(store, pipe, evaluator, recs, out_dir: str | Path, shoppers: int = 500, n: int = 8, prompts: int = 8,
        per_prompt: int = 4, max_per_prompt: int = 2, steps: int | None = None, seed: int = 0,
        progress: bool = True) -> dict:
    steps = pipe.steps_or_default(steps, 10)
    start = time.perf_counter()
    users = _sample_shoppers(store, recs, shoppers, seed)
    config = store.get_meta("split").get("config", {})
    weights = {"colour_weight": config.get("colour_weight", 1.0), "pattern_weight": config.get("pattern_weight", 0.8),
               "floor": config.get("preference_floor", 0.02)}
    truth = store.true_preferences()
    designer = Designer(pipe, recs, steps=steps, seed=seed)
    bank = Bank(designer, evaluator, per_prompt, progress)
    text_vectors = recs.model.vectors_from_content(designer.prompts, None, None, designer.categories)
    popular = [i for i in (_combination_index(*row[:3]) for row in store.purchase_counts_by_attributes())
               if i is not None]
    last = store.last_items(users, "purchase")
    last.update({u: i for u, i in store.last_items([u for u in users if u not in last]).items()})
    last_rows = {r.id: r for r in store.item_rows(("id", "category", "colour", "pattern"), ids=sorted(set(last.values())))}
    last_combo = {u: _combination_index(last_rows[i].category, last_rows[i].colour, last_rows[i].pattern)
                  for u, i in last.items()}

    rng = np.random.default_rng(seed)
    scores: dict[str, dict[str, list[float]]] = {}
    examples = {}
    for user_id in tqdm(users, desc="designs per shopper", unit="shopper", disable=not progress):
        table = utility_table(truth[user_id], **weights)
        percentile = percentiles(table).ravel()
        top_category = int(np.argmax(table.max((1, 2))))
        position = recs.user_pos[user_id]
        u = recs.user_matrix[position]
        history = recs.model.item_vectors[recs.model.history[position].indices]
        taste = history.mean(0) if len(history) else np.zeros_like(u)
        picks = method_picks(designer, bank, u, table, popular, last_combo.get(user_id), text_vectors, rng, n,
                             prompts, max_per_prompt)
        examples[user_id] = picks["personalised designs"]
        for method, chosen in picks.items():
            if not chosen:
                continue
            v = bank.vectors[chosen]
            cosine = v @ taste / (np.linalg.norm(v, axis=1) * np.linalg.norm(taste)).clip(1e-9)
            row = scores.setdefault(method, {"percentile": [], "asked_percentile": [], "top_category": [],
                                             "similarity": []})
            row["percentile"].append(float(percentile[bank.read[chosen]].mean()))
            row["asked_percentile"].append(float(percentile[bank.prompt_of[chosen]].mean()))
            row["top_category"].append(float(np.mean(bank.read_category[chosen] == top_category)))
            row["similarity"].append(float(cosine.mean()))
    methods = {m: {k: float(np.mean(v)) for k, v in row.items()} | {"shoppers": len(row["percentile"])}
               for m, row in scores.items()}
    result = {"shoppers": len(users), "designs": n, "prompts": prompts, "per_prompt": per_prompt,
              "max_per_prompt": max_per_prompt, "steps": steps, "seed": seed, "combinations": len(designer.prompts),
              "pictures": len(bank.images), "picture_faithfulness": bank.faithfulness, "methods": methods,
              "seconds": round(time.perf_counter() - start, 1)}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_part(out, "design", result, markdown(result))
    shown = users[:3]
    _shoppers_picture(out / "design-shoppers.png", store, recs, bank, shown, [examples[u] for u in shown], n)
    return result


def _shoppers_picture(path: Path, store, recs, bank: Bank, users: list[str], designs: list[list[int]], n: int) -> None:
    """Per shopper, a row of photos of items in their history and a row of their designs."""
    from PIL import Image

    from vitrine.diffusion.grid import save_grid
    blank = Image.new("RGB", (32, 32), "white")
    images, labels = [], []
    for user_id, chosen in zip(users, designs):
        position = recs.user_pos[user_id]
        recent = [str(recs.item_ids[i]) for i in recs.model.history[position].indices[-n:]]
        photos = photos_of(store, recent)
        for k in range(n):
            images.append(photos.get(recent[k], blank) if k < len(recent) else blank)
            labels.append(f"{user_id} history" if k == 0 else "")
        for k in range(n):
            images.append(bank.images[chosen[k]] if k < len(chosen) else blank)
            labels.append(_label(bank, chosen[k]) if k < len(chosen) else "")
    save_grid(images, path, columns=n, labels=labels,
              title="three shoppers: photos of items in their history (upper row), their designs (lower row)")


def _label(bank: Bank, picture: int) -> str:
    """"navy coat": what the design's prompt asked for, short enough for a 96-pixel cell."""
    c = combinations()[bank.prompt_of[picture]]
    return f"{COLOUR_NAMES[c.colour]} {CATEGORY_NAMES[c.category]}"[:22]


METHOD_COLUMNS = [Column("method"), Column("utility percentile", "percentile", "{:.1f}"),
                  Column("asked percentile", "asked_percentile", "{:.1f}"),
                  Column("in true top category", "top_category", "{:.1%}"),
                  Column("personal similarity", "similarity", "{:.3f}")]


def markdown(result: dict) -> str:
    lines = ["# Designs for one shopper", "",
             f"`vitrine eval studio --parts design` — {result['shoppers']} test-period shoppers (seed {result['seed']}); "
             f"{result['designs']} designs each; every one of the {result['combinations']} combinations drawn "
             f"{result['per_prompt']} times ({result['pictures']:,} pictures, {result['steps']} sampling steps); "
             f"designs chosen from the {result['prompts']} best prompts × {result['per_prompt']} pictures, at most "
             f"{result['max_per_prompt']} per prompt. Made in {result['seconds']:.0f} s.", "",
             "Utility percentile: of what the evaluator reads in the design, among all combinations for that "
             "shopper (50 = chance, 100 = their favourite); asked: of what the prompt asked for.", "",
             Table(METHOD_COLUMNS, [{"method": name, **m} for name, m in result["methods"].items()]).markdown()]
    lines += ["", f"The evaluator reads {result['picture_faithfulness']:.1%} of the prompts' most faithful pictures "
              "as exactly the combination asked for.", "", "![three shoppers](design-shoppers.png)"]
    return "\n".join(lines) + "\n"
