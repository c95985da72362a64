"""`vitrine eval tryon`'s run and report: reports/tryon/tryon.{json,md} and a picture of cases."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from vitrine.results import Column, Table, number, write_report
from vitrine.tryon import evaluate as ev

OVERLAY = "2D overlay of a matching photo into the mask (baseline)"
ITEM_PROMPT = "try-on model, the item's prompt (its colour, pattern and kind lead, as the service sends)"
KNOWING = "reference: the same photo pasted into the true cut (needs the drawn body)"
TARGETS = {"colour": 0.90, "category": 0.80, "seconds_per_picture": 0.5}


def run(store, people, tryon, evaluator, n: int = 500, steps: int | None = None, guidance: float = 3.0, seed: int = 0,
        compare_steps: int | None = None, progress: bool = True) -> tuple[dict, tuple]:
    """The figures, and beside them the pictures of the first 8 cases (cases, try-on, overlay, people);
    unset, steps are the model's default (20, or 4 for a distilled model)."""
    steps = tryon.pipeline.steps_or_default(steps, 20)
    from vitrine.evaluate.evaluator import accuracy, to_tensor
    from vitrine.evaluate.metrics import fid_kid
    start = time.perf_counter()
    labels = ev.item_labels(store)
    cases = ev.make_cases(store, people, n, seed, progress)
    truth_crops = ev._truth_crops(cases)
    truth_features = evaluator.embed(truth_crops)
    wanted = {name: np.array([labels[c.item][k] for c in cases]) for k, name in enumerate(("category", "colour",
                                                                                           "pattern"))}
    ceiling = accuracy(evaluator, truth_crops, wanted)
    # the floor of FID: the same people's own (old) garments, real renders too, against the truths
    first = len(people.images) - n
    worn_crops, _ = ev.garment_crops(people, labels, range(first, len(people.images)))
    floor = fid_kid(evaluator, truth_crops, to_tensor(worn_crops))["fid"]
    t0 = time.perf_counter()
    generated = ev.run_model(tryon, people, cases, steps, guidance, seed, progress=progress)
    generate_seconds = time.perf_counter() - t0
    overlaid = ev.overlay_baseline(store, people, cases, labels, seed)
    knowing = ev.overlay_baseline(store, people, cases, labels, seed, knows_body=True)
    rows = {"try-on model": ev.score(generated, cases, people, evaluator, labels, truth_features),
            OVERLAY: ev.score(overlaid, cases, people, evaluator, labels, truth_features),
            KNOWING: ev.score(knowing, cases, people, evaluator, labels, truth_features)}
    led = ev.run_model(tryon, people, cases, steps, guidance, seed, progress=progress, prompt="item_prompt")
    rows[ITEM_PROMPT] = ev.score(led, cases, people, evaluator, labels, truth_features)
    if compare_steps:
        fewer = ev.run_model(tryon, people, cases, compare_steps, guidance, seed, progress=progress)
        rows[f"try-on model, {compare_steps} steps"] = ev.score(fewer, cases, people, evaluator, labels, truth_features)
    speed = ev.speed(tryon, people, cases, steps, guidance)
    slots = {s: sum(c.slot == s for c in cases) for s in ("top", "bottom", "shoes")}
    return {"n": len(cases), "slots": slots, "item_prompt_differs": sum(c.item_prompt != c.description for c in cases), "steps": steps, "guidance": guidance, "seed": seed,
            "truth_accuracy": ceiling, "fid_floor_real_vs_real": floor, "rows": rows, "speed": speed,
            "batch_seconds_per_picture": generate_seconds / len(cases), "catvton_context": ev.CATVTON,
            "seconds": round(time.perf_counter() - start, 1)}, (cases[:8], generated[:8], overlaid[:8], people)


def write(result: dict, pictures: tuple, out_dir: str | Path, command: str) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    picture = out / "tryon.png"
    _sheet(*pictures, picture)
    result = {**result, "command": command, "targets": TARGETS, "checks": checks(result)}
    return write_report(out, "tryon", result, markdown(result, picture.name))


def checks(result: dict) -> dict[str, bool]:
    model, base = result["rows"]["try-on model"], result["rows"][OVERLAY]
    truth = result["truth_accuracy"]
    return {"colour ≥ 90 % of the evaluator's accuracy on true renders":
            model["colour_accuracy"] >= TARGETS["colour"] * truth["colour"],
            "category ≥ 80 % of the evaluator's accuracy on true renders":
            model["category_accuracy"] >= TARGETS["category"] * truth["category"],
            "SSIM above the overlay's": model["ssim"] > base["ssim"],
            "FID below the overlay's": model["fid"] < base["fid"],
            "no pixel changed outside the mask": model["changed_outside_mask"] == 0,
            "≤ 0.5 s per picture": result["speed"]["seconds_per_picture"] <= TARGETS["seconds_per_picture"]}


def _table(r: dict) -> str:
    """One row per method, then the evaluator's ceiling on the true renders."""
    truth = r["truth_accuracy"]
    ceiling = {"method": "true renders (the evaluator's ceiling; FID: the same people's own garments)", "ssim": "1",
               "psnr": "∞", "ssim_window": "1", "psnr_window": "∞", "perceptual": "0",
               "category_accuracy": truth["category"], "colour_accuracy": truth["colour"],
               "pattern_accuracy": truth["pattern"], "fid": r["fid_floor_real_vs_real"], "changed_outside_mask": 0}
    return Table([Column("method"), Column("SSIM", "ssim", number("{:.3f}")),
                  Column("PSNR dB", "psnr", number("{:.1f}")),
                  Column("SSIM window", "ssim_window", number("{:.3f}")),
                  Column("PSNR window", "psnr_window", number("{:.1f}")),
                  Column("perceptual ↓", "perceptual", number("{:.2f}")),
                  Column("category", "category_accuracy", "{:.1%}"),
                  Column("colour", "colour_accuracy", "{:.1%}"), Column("pattern", "pattern_accuracy", "{:.1%}"),
                  Column("FID ↓", "fid", "{:.1f}"), Column("pixels changed outside the mask", "changed_outside_mask")],
                 [{"method": name, **m} for name, m in r["rows"].items()] + [ceiling]).markdown()


def markdown(r: dict, picture: str) -> str:
    lines = [f"# Virtual try-on — {r['n']} held-out people, each in a new garment", "",
             f"`{r['command']}` ({r['seconds']:.0f} s). Cases: {r['slots']['top']} tops, {r['slots']['bottom']} "
             f"trousers, {r['slots']['shoes']} shoes; new garments from Fashion-MNIST's test split; "
             f"{r['steps']} sampling steps, guidance {r['guidance']}. The people are drawn, not photographed "
             "(docs/tryon.md). The first row prompts with the item's description alone; the item's-prompt row "
             "with what the service and `vitrine tryon --item` send (catalog.prompts.item_prompt), which differs from "
             f"the description in {r.get('item_prompt_differs', 0)} of the {r['n']} cases.", "",
             _table(r)]
    s = r["speed"]
    half = next((k for k in s if k.startswith("seconds_per_picture_at_")), None)
    lines += ["", f"Speed: {s['seconds_per_picture']:.3f} s per picture for one person's 4 at {r['steps']} steps "
              f"({s['seconds_for_4']:.2f} s, median of {s['repeats']}, {s['threads']} threads)"
              + (f"; {s[half]:.3f} s at {half.rsplit('_', 2)[1]} steps" if half else "")
              + f"; {r['batch_seconds_per_picture']:.3f} s per picture in batches of 50 at {r['steps']} steps.", "",
              "## Targets", ""]
    lines += [f"- {'met' if ok else '**not met**'}: {name}" for name, ok in r["checks"].items()]
    c = r["catvton_context"]
    lines += ["", "## Context, not a comparison",
              "", f"CatVTON (Chong et al. 2024) on VITON-HD photographs at 512×384: paired SSIM {c['ssim']}, "
              f"FID {c['fid']}, {c['seconds_per_image']} s per image on {c['hardware'].split(',')[0]}. Other data "
              "(real photographs, Inception features), another resolution and a GPU: the figures above are not "
              "comparable with these.", "",
              "SSIM and PSNR over the whole 64×64 picture count the unmasked pixels, identical by construction; "
              "the window columns score the square the model repaints (window.py). The perceptual distance is "
              "‖φ(a) − φ(b)‖ between garment crops in the garment evaluator's 256-dim feature space; category, "
              "colour and pattern are what that evaluator reads off the garment crop; FID is in the same space.",
              "", f"![person, region, overlay, try-on, truth]({picture})", ""]
    return "\n".join(lines)


def _sheet(cases, generated, overlaid, people, path: Path) -> None:
    from PIL import Image

    from vitrine.diffusion.grid import save_grid
    tiles, labels = [], []
    for case, g, o in zip(cases, generated, overlaid):
        person = people.images[case.person]
        shown = person.copy()
        shown[case.mask] = (0.5 * shown[case.mask] + [0, 0, 127]).astype(np.uint8)
        tiles += [person, shown, o, g, case.truth]
        labels += [f"person {case.person}", f"{case.category}", "overlay", "try-on", "truth"]
    save_grid([Image.fromarray(t) for t in tiles], path, columns=10, labels=labels,
              title="person · region · 2D overlay · try-on · true render (drawn people, not photographs)")
