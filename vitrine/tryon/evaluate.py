"""`vitrine eval tryon`: held-out people dressed in new garments, scored against the true renders.

The cases: the last `n` people of the set (never trained on), each given one new garment of a
slot they wear (top, trousers or shoes in turn; tops are t-shirts, shirts, pullovers and coats,
so a dress never has to take trousers away), drawn from the test split's photos, so never seen
in training. The mask is the worn garment's pixels together with the new cut's region on that
body, grown by a pixel (tryon.person_with_item); the prompt is the new item's description (and, in
a row of its own, the prompt the service sends: the description led by the item's colour, pattern
and category columns where it does not name them, catalog.prompts.item_prompt); the ground truth is the same person drawn wearing the item (people_set.redraw).

Measured for the try-on model and for the 2D-overlay baseline (a catalog photo of the same
category, colour and pattern pasted into the mask, overlay.py; and, as a reference that knows
more than any try-on is given, the same photo pasted into exactly the new cut's region):
- paired: SSIM and PSNR against the truth, over the whole picture and over the mask's window
  (window.py; the pixels that can differ), and the perceptual distance ‖φ(a) − φ(b)‖ between
  the garment crops in the garment evaluator's feature space φ (no LPIPS weights offline);
- unpaired: category / colour / pattern of the garment crop as the garment evaluator reads them,
  against its accuracy on the true renders; FID in its feature space against the true renders;
- pixels changed outside the mask (the put-back is exact: must be 0);
- seconds per try-on picture (one person, 4 pictures, as `vitrine tryon` makes them).
A garment crop is the window around the new garment's true region at 32×32, every pixel outside
that region white: the garment alone, as a catalog photo shows it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from vitrine.tryon.people import TOPS, BOTTOMS, FOOTWEAR, body_of, garment_region
from vitrine.tryon.people_set import SLOTS, PeopleSet, PhotoCache, item_categories, person_of, redraw
from vitrine.tryon.segment import REGIONS
from vitrine.catalog.prompts import item_prompt
from vitrine.tryon.model import grow
from vitrine.tryon.window import MODEL_SIZE, window_of

CASE_CATEGORIES = {"top": tuple(c for c in TOPS if c != "dress"), "bottom": BOTTOMS, "shoes": FOOTWEAR}
# CatVTON (Chong et al. 2024, Table 1 and §4.4), VITON-HD at 512×384 — other data, for context only
CATVTON = {"ssim": 0.870, "fid": 5.43, "seconds_per_image": 2.58, "hardware": "one A100, 512×384"}


@dataclass
class Case:
    person: int
    slot: str
    item: str          # the new garment
    category: str
    mask: np.ndarray   # (64, 64) bool
    truth: np.ndarray  # (64, 64, 3) uint8
    region: np.ndarray  # the new garment's visible pixels in the truth
    description: str
    item_prompt: str   # what the service and `vitrine tryon --item` send: the description led by the item's columns


def garment_crop(picture: np.ndarray, region: np.ndarray) -> np.ndarray:
    """(32, 32, 3) uint8: the window around `region`, white outside it (see the module's docstring)."""
    import torch.nn.functional as F
    window = window_of(region)
    crop = np.where(window.crop(region)[..., None], window.crop(picture), 255).astype(np.uint8)
    if window.side != MODEL_SIZE:
        x = torch.from_numpy(crop).permute(2, 0, 1).float()[None]
        crop = F.interpolate(x, size=(MODEL_SIZE, MODEL_SIZE), mode="area")[0].permute(1, 2, 0).round().byte().numpy()
    return crop


def item_labels(store) -> dict[str, tuple[int, int, int, str]]:
    """item → (category, colour, pattern indices, Fashion-MNIST split) from the catalog's arrays."""
    from vitrine.catalog.save import load_catalog_arrays
    a = load_catalog_arrays(store)
    return {str(i): (int(c), int(k), int(p), str(o))
            for i, c, k, p, o in zip(a["item_ids"], a["category"], a["colour"], a["pattern"], a["origin"])}


def garment_crops(people: PeopleSet, labels: dict, people_range: range) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Crops of every garment worn by these people, with their item's attributes: the garment
    evaluator's training (and scoring) set of real renders."""
    crops, found = [], {"category": [], "colour": [], "pattern": []}
    for i in people_range:
        for s, slot in enumerate(SLOTS):
            item = str(people.worn[i][s])
            region = people.labels[i] == REGIONS[slot]
            if item and item in labels and region.sum() >= 4:
                crops.append(garment_crop(people.images[i], region))
                for name, value in zip(found, labels[item][:3]):
                    found[name].append(value)
    return np.stack(crops), {k: np.asarray(v) for k, v in found.items()}


def make_cases(store, people: PeopleSet, n: int, seed: int = 0, progress: bool = True) -> list[Case]:
    rng = np.random.default_rng(seed)
    categories = item_categories(store)
    photo = PhotoCache(store)
    rows = {r.id: r for r in store.item_rows(("id", "title", "description", "attributes", "category", "colour", "pattern"))}
    pool = {c: sorted(i for i, cat in categories.items() if cat == c and i in photo.paths
                      and (rows[i].attributes or {}).get("fmnist_split") == "test")
            for cats in CASE_CATEGORIES.values() for c in cats}
    cases = []
    first = len(people.images) - n
    for k, person in enumerate(tqdm(range(first, len(people.images)), desc="cases", unit="person",
                                    disable=not progress)):
        worn = {slot: str(people.worn[person][s]) for s, slot in enumerate(SLOTS)}
        order = [SLOTS[(k + j) % 3] for j in range(3)]
        slot = next((s for s in order if worn[s] and (s != "top" or categories.get(worn[s]) != "dress")
                     and any(pool[c] for c in CASE_CATEGORIES[s])), None)
        if slot is None:  # a small catalog may have no test photo to put on this person
            continue
        choices = [c for c in CASE_CATEGORIES[slot] if pool[c]]
        category = choices[rng.integers(len(choices))]
        item = pool[category][rng.integers(len(pool[category]))]
        body = body_of(person_of(people.persons[person]))
        mask = grow((people.labels[person] == REGIONS[slot]) | garment_region(body, category))
        truth, truth_labels = redraw(store, people, person, {slot: item}, categories, photo)
        row = rows[item]
        cases.append(Case(person, slot, item, category, mask, truth, truth_labels == REGIONS[slot],
                          row.description or "", item_prompt(row.description, row.category, row.colour,
                                                             row.pattern, row.title)))
    return cases


def matching_photo(labels: dict, photo: PhotoCache, item: str, rng: np.random.Generator) -> np.ndarray:
    """The baseline's photo: another train-split item of the same category, colour and pattern
    (what a shop search for the description finds), or of the same category if none."""
    want = labels[item][:3]
    same = [i for i, v in labels.items() if v[:3] == want and v[3] == "train" and i != item and i in photo.paths]
    if not same:
        same = [i for i, v in labels.items() if v[0] == want[0] and v[3] == "train" and i in photo.paths]
    return photo(same[rng.integers(len(same))])


def overlay_baseline(store, people: PeopleSet, cases: list[Case], labels: dict, seed: int = 0,
                     knows_body: bool = False) -> list[np.ndarray]:
    """The matching photo pasted into the mask (the model's own input), or — `knows_body` — into
    exactly the region the new cut covers on the drawn body, which only a renderer knows."""
    from vitrine.tryon.overlay import overlay
    rng = np.random.default_rng(seed)
    photo = PhotoCache(store)
    out = []
    for case in cases:
        region = case.mask
        if knows_body:
            region = garment_region(body_of(person_of(people.persons[case.person])), case.category) & case.mask
        out.append(overlay(people.images[case.person], region, matching_photo(labels, photo, case.item, rng)))
    return out


def run_model(tryon, people: PeopleSet, cases: list[Case], steps: int, guidance: float, seed: int = 0,
              batch: int = 50, progress: bool = True, prompt: str = "description") -> list[np.ndarray]:
    """The model's picture for each case, prompted with its `description` or its `item_prompt`."""
    out = []
    for start in tqdm(range(0, len(cases), batch), desc="try on", unit="batch", disable=not progress):
        chunk = cases[start:start + batch]
        generators = [torch.Generator().manual_seed(seed + start + k) for k in range(len(chunk))]
        out += tryon.pipeline.inpaint([people.images[c.person] for c in chunk], [c.mask for c in chunk],
                                      [getattr(c, prompt) for c in chunk], steps, guidance, generators)
    return out


def _ssim_psnr(a: list[np.ndarray], b: list[np.ndarray]) -> tuple[float, float]:
    """Mean SSIM (Gaussian window σ = 1.5, 11 px; Wang et al. 2004) and PSNR over pairs of
    same-sized uint8 pictures, through torchmetrics."""
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure
    ssim, psnr = [], []
    for x, y in zip(a, b):
        tx = torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1).float()[None] / 255
        ty = torch.from_numpy(np.ascontiguousarray(y)).permute(2, 0, 1).float()[None] / 255
        kernel = min(11, 2 * (min(tx.shape[2:]) // 2) - 1)
        ssim.append(float(structural_similarity_index_measure(tx, ty, data_range=1.0, kernel_size=kernel)))
        psnr.append(float(peak_signal_noise_ratio(tx, ty, data_range=1.0)) if not np.array_equal(x, y) else 100.0)
    return float(np.mean(ssim)), float(np.mean(psnr))


def score(method: list[np.ndarray], cases: list[Case], people: PeopleSet, evaluator, labels: dict,
          truth_features: torch.Tensor) -> dict:
    from vitrine.evaluate.evaluator import to_tensor
    from vitrine.evaluate.metrics import attribute_accuracy, fid_kid
    windows = [window_of(c.mask) for c in cases]
    ssim, psnr = _ssim_psnr(method, [c.truth for c in cases])
    ssim_w, psnr_w = _ssim_psnr([w.crop(m) for w, m in zip(windows, method)], [w.crop(c.truth) for w, c in
                                                                              zip(windows, cases)])
    crops = to_tensor(np.stack([garment_crop(m, c.region) for m, c in zip(method, cases)]))
    features = evaluator.embed(crops)
    wanted = {name: np.array([labels[c.item][k] for c in cases]) for k, name in enumerate(("category", "colour",
                                                                                           "pattern"))}
    changed = sum(int((m != people.images[c.person])[~c.mask].any(axis=-1).sum()) for m, c in zip(method, cases))
    return {"ssim": ssim, "psnr": psnr, "ssim_window": ssim_w, "psnr_window": psnr_w,
            "perceptual": float((features - truth_features).norm(dim=1).mean()),
            **{f"{k}_accuracy": v for k, v in attribute_accuracy(evaluator.predict(crops), wanted).items()},
            "fid": fid_kid(evaluator, _truth_crops(cases), crops)["fid"], "changed_outside_mask": changed}


def _truth_crops(cases: list[Case]) -> torch.Tensor:
    from vitrine.evaluate.evaluator import to_tensor
    return to_tensor(np.stack([garment_crop(c.truth, c.region) for c in cases]))


def speed(tryon, people: PeopleSet, cases: list[Case], steps: int, guidance: float, repeats: int = 5) -> dict:
    """Median seconds for one person's 4 pictures (what `vitrine tryon` makes), per picture, at
    `steps` and at half as many."""
    case = cases[0]
    out = {"repeats": repeats, "threads": torch.get_num_threads()}
    for n_steps in (steps, max(steps // 2, 1)):
        times = []
        for k in range(repeats + 1):
            start = time.perf_counter()
            tryon.pipeline.inpaint([people.images[case.person]] * 4, [case.mask] * 4, [case.description] * 4,
                                   n_steps, guidance, [torch.Generator().manual_seed(k * 4 + j) for j in range(4)])
            times.append(time.perf_counter() - start)
        median = float(np.median(times[1:]))  # the first call warms up
        key = "" if n_steps == steps else f"_at_{n_steps}_steps"
        out.update({f"seconds_per_picture{key}": median / 4, f"seconds_for_4{key}": median})
    return out
