"""Does the shipped model draw better with 1,000 DDPM steps than with the 20 DPM-Solver++ steps it
uses? The generation report's DDPM-1000 row had 64 pictures, too few to tell; this settles it
with ≥ 1,000 pictures a row.

The built catalog's 52 fixed prompts × `--samples` pictures (image j of every prompt from seed j,
the same in every row, so the rows are paired picture by picture), read back by the shipped
evaluator, eval-FID against as many real held-out photos with the prompts' labels. FID's
interval: ± 1.96 standard errors over bootstrap rounds that resample the real photos and, with
one shared draw, every row's pictures; the difference of each row from the first is paired the
same way.

DDPM-1000 costs 2,000 U-Net calls a picture (~1.5 h for 1,040 pictures on 2 cores), so the
pictures are made one prompt at a time into `--cache` (uint8, compressed, each file written whole
or not at all) and a rerun picks up where the last stopped; `--minutes` stops cleanly after that
long.

    python scripts/sampler_question.py [--samples 20] [--minutes M] [--out reports/generation/sampler-question]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ROWS = "dpm++sde:20:3,dpm++:20:3,ddpm:1000:3"  # the shipped default first: the others are compared with it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(REPO / "models" / "vitrine-fashion-32"))
    parser.add_argument("--data-dir", default="vitrine-data", help="the built catalog (`make data`)")
    parser.add_argument("--rows", default=ROWS, help=f"sampler:steps:guidance, comma-separated (default {ROWS})")
    parser.add_argument("--prompts", type=int, default=52)
    parser.add_argument("--samples", type=int, default=20, help="pictures per prompt (default 20: 1,040 a row)")
    parser.add_argument("--rounds", type=int, default=200, help="bootstrap rounds of the FID intervals")
    parser.add_argument("--cache", default=str(REPO / "runs" / "sampler-question"),
                        help="where each prompt's pictures are kept until every row is made")
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long (rerun to go on)")
    parser.add_argument("--out", default=str(REPO / "reports" / "generation" / "sampler-question"))
    args = parser.parse_args()

    from vitrine.evaluate.generation import parse_settings
    from vitrine.evaluate.prompts import prompt_set
    settings = parse_settings(args.rows)
    prompts = prompt_set(args.prompts, 0)
    done = make_pictures(args, settings, prompts)
    if not done:
        left = sum(not chunk_path(args.cache, s, p).exists() for s in settings for p in range(len(prompts)))
        print(f"stopped after {args.minutes:g} minutes; {left} prompt chunks left: rerun the same command to go on")
        return
    result = measure(args, settings, prompts)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
    pictures = sample_grids(args, settings, out)
    (out / "report.md").write_text(report(result, args, pictures))
    print((out / "report.md").read_text())


def chunk_path(cache: str, setting, prompt: int) -> Path:
    return Path(cache) / setting.name.replace("@", "-g") / f"{prompt:03d}.npz"


def sample_grids(args, settings, out: Path, shown: int = 8, seeds: int = 2) -> list[str]:
    """One PNG per row: the first `shown` prompts' pictures from seeds 0 … seeds − 1, the same
    pictures of every row, so the rows can be compared by eye."""
    import numpy as np
    from PIL import Image

    from vitrine.diffusion.grid import save_grid
    names = []
    for setting in settings:
        chunks = [np.load(chunk_path(args.cache, setting, p))["images"] for p in range(shown)]
        # the cache holds CHW arrays; PIL takes HWC
        images = [Image.fromarray(chunks[p][j].transpose(1, 2, 0)) for j in range(seeds) for p in range(shown)]
        name = f"samples-{setting.name.replace('@', '-g').replace('+', 'p')}.png"
        title = f"{setting.name}: prompts 1-{shown}, seeds 0-{seeds - 1}"  # hyphens: the grid's font has no en dash
        save_grid(images, out / name, columns=shown, title=title)
        names.append(name)
    return names


def make_pictures(args, settings, prompts) -> bool:
    """Every row's pictures into the cache, one prompt at a time; False when `--minutes` ran out."""
    import numpy as np
    import torch
    from tqdm import tqdm

    from vitrine.atomic import replacing
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.generation import generate
    pipe = load_pipeline(args.model)
    start = time.monotonic()
    todo = [(s, p) for s in settings for p in range(len(prompts)) if not chunk_path(args.cache, s, p).exists()]
    for setting, p in tqdm(todo, desc="pictures", unit="prompt"):
        if args.minutes is not None and time.monotonic() - start > 60 * args.minutes:
            return False
        images = generate(pipe, [prompts[p]], args.samples, setting, seed=0, progress=False)
        path = chunk_path(args.cache, setting, p)
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, images=(images.clamp(0, 1) * 255).round().to(torch.uint8).numpy())
    return True


def measure(args, settings, prompts) -> dict:
    import numpy as np
    import torch

    from vitrine.evaluate.evaluator import COLUMNS, MISSING, attribute_accuracy, load_evaluator, to_tensor
    from vitrine.evaluate.cli import judged_prompts
    from vitrine.evaluate.metrics import bootstrap_fids, fid_kid
    from vitrine.storage.store import Store
    store = Store(args.data_dir, create=False)
    evaluator = load_evaluator(REPO / "models" / "evaluator")
    pool, _ = judged_prompts(store, evaluator, "fixed", args.prompts, 0, progress=False)
    rng = np.random.default_rng(0)
    real = to_tensor(pool.images[np.concatenate([pool.sample(p, "test", args.samples, rng) for p in prompts])])
    wanted = {c: np.repeat([getattr(p, c) for p in prompts], args.samples) for c in COLUMNS
              if c in evaluator.heads}
    sets = []
    for setting in settings:
        chunks = [np.load(chunk_path(args.cache, setting, p))["images"] for p in range(len(prompts))]
        sets.append(torch.from_numpy(np.concatenate(chunks)).float() / 255.0)
    boots = bootstrap_fids(evaluator, real, sets, rounds=args.rounds, seed=0)
    rows = []
    for k, (setting, images) in enumerate(zip(settings, sets)):
        fid = fid_kid(evaluator, real, images, kid_subset=min(100, len(images)))["fid"]
        se = boots[:, k].std(ddof=1)
        row = {"setting": setting.name, "images": len(images), "unet_calls": 2 * setting.steps,
               "accuracy": attribute_accuracy(evaluator.predict(images), wanted),
               "fid": fid, "fid_low": fid - 1.96 * se, "fid_high": fid + 1.96 * se}
        if k:
            diff = boots[:, k] - boots[:, 0]
            row["fid_minus_first"] = fid - rows[0]["fid"]
            row["diff_low"] = row["fid_minus_first"] - 1.96 * diff.std(ddof=1)
            row["diff_high"] = row["fid_minus_first"] + 1.96 * diff.std(ddof=1)
        rows.append(row)
    ceiling = attribute_accuracy(evaluator.predict(real), wanted)
    return {"model": str(Path(args.model).name), "prompts": len(prompts), "samples_per_prompt": args.samples,
            "rounds": args.rounds, "ceiling": ceiling, "rows": rows, "missing_label": MISSING}


def report(result: dict, args, pictures: list[str]) -> str:
    from vitrine.results import Column, Table
    rows = [{**r, **{f"acc_{k}": v for k, v in r["accuracy"].items()},
             "interval": f"{r['fid_low']:.2f}–{r['fid_high']:.2f}",
             "diff": (f"{r['fid_minus_first']:+.2f} ({r['diff_low']:+.2f} to {r['diff_high']:+.2f})"
                      if "fid_minus_first" in r else "—")} for r in result["rows"]]
    table = Table([Column("setting"), Column("pictures", "images", "{:d}"), Column("U-Net calls", "unet_calls", "{:d}"),
                   Column("category", "acc_category", "{:.1%}"), Column("colour", "acc_colour", "{:.1%}"),
                   Column("pattern", "acc_pattern", "{:.1%}"), Column("eval-FID", "fid", "{:.2f}"),
                   Column("95 % interval", "interval"), Column(f"− {rows[0]['setting']}'s (paired 95 %)", "diff")],
                  rows)
    first = result["rows"][0]
    verdicts = []
    for r in result["rows"][1:]:
        if r["diff_high"] < 0:
            verdicts.append(f"- {r['setting']} has the lower eval-FID than {first['setting']}: the paired interval "
                            "lies below 0.")
        elif r["diff_low"] > 0:
            verdicts.append(f"- {r['setting']} has the higher eval-FID than {first['setting']}: the paired interval "
                            "lies above 0.")
        else:
            verdicts.append(f"- {r['setting']} and {first['setting']} cannot be told apart by eval-FID at "
                            f"{r['images']:,} pictures: the paired interval spans 0.")
    return "\n".join([
        f"# 20 DPM-Solver++ steps or 1,000 DDPM steps? ({result['model']})", "",
        f"`python scripts/sampler_question.py --samples {args.samples}`: the built catalog's {result['prompts']} fixed "
        f"prompts × {result['samples_per_prompt']} pictures a row (picture j of every prompt from seed j in every "
        "row), read back by the shipped evaluator (its accuracy on the matching real photos: " +
        ", ".join(f"{k} {v:.1%}" for k, v in result["ceiling"].items()) + "), eval-FID against as many real "
        f"held-out photos; intervals ± 1.96 standard errors over {result['rounds']} paired bootstrap rounds.", "",
        table.markdown(), "", *verdicts, "",
        *(f"![{r['setting']}]({name})" for r, name in zip(result["rows"], pictures)), ""])


if __name__ == "__main__":
    main()
