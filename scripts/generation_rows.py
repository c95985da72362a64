"""Gather `vitrine eval generation` reports side by side: the outside shop's path against the built
one (reports/generation-shops), and the 64-px latent model against the 32-px pixel one
(reports/generation-sizes), into the folder's report.md and summary.json.

Each row is one report already written under the folder (see the commands in the report); this
script only reads their metrics.json.

    python scripts/generation_rows.py --folder reports/generation-shops  (or reports/generation-sizes)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vitrine.results import Column, Table, write_report

SHOP_ROWS = (  # (sub-folder, what the row is)
    ("built-fixed", "built path: quick model on the built catalog, shipped evaluator, fixed prompts"),
    ("shop-fixed", "outside shop: quick model on the imported shop, shipped evaluator, fixed prompts"),
    ("built-heldout", "built path: quick model, shipped evaluator, the built catalog's held-out items' prompts"),
    ("shop-own-judge", "outside shop: quick model, the shop's own evaluator, its held-out items' prompts"),
)
SHOP_INTRO = (
    "# A shop's own generator: the outside shop's path against the built one\n\n"
    "The Fashion-MNIST catalog exported as a generic shop (`vitrine catalog export out/fm-shop --items "
    "70000`: images/ plus items.csv of title, description, category, colour, pattern, brand, price, and "
    "interactions.csv), imported into a fresh store (`vitrine import generic out/fm-shop --data-dir "
    "out/fm-shop-data`), trained with the `quick` recipe (`vitrine train --preset quick --init-from none --data-dir "
    "out/fm-shop-data --out runs/shop-quick`), judged by an evaluator trained on that store "
    "(`vitrine evaluator train --data-dir out/fm-shop-data --epochs 12 --noise 0.1`, the shipped "
    "evaluator's recipe) — beside the built path with the same recipe (`vitrine train --preset quick "
    "--out runs/built-quick` on the built catalog). Every row: `vitrine eval generation --settings "
    "dpm++sde:20:3`, 52 prompts × 8 samples; the fixed prompts are novel text to both models.")
SIZE_ROWS = (
    ("pixel32", "32 px, pixel space: the shipped models/vitrine-fashion-32 on the 32-px catalog"),
    ("latent64", "64 px, latent space: the default recipe on the 64-px catalog, through its autoencoder"),
    ("latent64-own-judge", "64 px, latent space, judged by an evaluator trained on the 64-px catalog"),
)
SIZE_INTRO = (
    "# 64 px through a latent space against the shipped 32-px pixel model\n\n"
    "The same catalog drawn at 64 px (`vitrine catalog build --size 64 --data-dir out/fm64`), its "
    "autoencoder (`vitrine autoencoder train --data-dir out/fm64 --out runs/ae64 --steps 2500`: 64×64×3 ↔ "
    "16×16×4, its held-out figures in `autoencoder.json`), and the shipped model's recipe on its latents "
    "(`vitrine train --preset default --data-dir out/fm64 --size 64 --out runs/latent64`: mini U-Net, "
    "10,000 steps of batch 32, the descriptions as prompts) — beside the shipped 32-px model, trained with "
    "that recipe on the 32-px photos. Both judged by the shipped evaluator (it scales 64-px pictures down "
    "to its 32 px, antialiased) on the fixed prompts against real photos of the model's own catalog: "
    "`vitrine eval generation --settings dpm++sde:20:3 --prompt-set fixed`, 52 prompts × 8 samples. "
    "The last row's judge: `vitrine evaluator train --data-dir out/fm64 --epochs 12 --noise 0.1` (the shipped "
    "evaluator's recipe on the 64-px photos; the shipped one learnt the 32-px render, and reads the 64-px "
    "render's real photos less well: its 'on real photos' figures). s/image here is each eval's own "
    "timing; `bench/latent_speed.py` times both side by side (docs/bench-latent.md).")


def size_notes(folder: Path) -> list[str]:
    """The autoencoder's held-out figures and the side-by-side cost, for the sizes report."""
    lines = []
    figures = folder / "autoencoder.json"
    if figures.exists():
        held = json.loads(figures.read_text())["held_out"]
        reads = ", ".join(f"{k} {v:.1%}" for k, v in held["read_back"].items())
        lines += [f"The autoencoder on {held['photos']:,} held-out photos: PSNR {held['psnr']:.2f} dB, SSIM "
                  f"{held['ssim']:.3f}; the shipped evaluator reads the same off the reconstruction as off the "
                  f"photo: {reads}.", ""]
    for name, what in (("pixel32", "32 px, pixel space"), ("latent64", "64 px, latent space")):
        if (folder / name / "samples-dpmppsde-20-g3.png").exists():
            lines += [f"![{what}: the same prompts and seeds]({name}/samples-dpmppsde-20-g3.png)", ""]
    speed = Path("bench/results/latent_speed.json")
    if speed.exists():
        data = json.loads(speed.read_text())
        by = {r["row"]: r["median"] for r in data["rows"]}
        lines += [f"Cost, side by side in one run (`python bench/latent_speed.py`): sampling {by['latent sample']:.3f} "
                  f"s/image at 64 px (decode {by['latent decode']:.4f}) vs {by['pixel sample']:.3f} at 32 px, "
                  f"**{data['sample_ratio_latent_over_pixel']:.2f}×**; a training step of batch {data['train_batch']} "
                  f"{by['latent train']:.3f} s vs {by['pixel train']:.3f} s, "
                  f"**{data['train_ratio_latent_over_pixel']:.2f}×**.", ""]
    return lines
SETS = {"generation-shops": (SHOP_ROWS, SHOP_INTRO, lambda folder: []),
        "generation-sizes": (SIZE_ROWS, SIZE_INTRO, size_notes)}


def read_rows(folder: Path, wanted) -> list[dict]:
    """The first row of each `vitrine eval generation` report under `folder` named in `wanted`."""
    rows = []
    for name, what in wanted:
        source = folder / name / "metrics.json"
        if not source.exists():
            continue
        metrics = json.loads(source.read_text())
        row = metrics["rows"][0]
        rows.append({"report": name, "what": what, "setting": row["setting"], "images": row["images"],
                     "accuracy": row["accuracy"], "ceiling": metrics["ceiling"], "fid": row["fid"],
                     "floor": metrics["floor"]["fid"], "diversity": row["diversity_ratio"],
                     "seconds_per_image": row["seconds_per_image"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default="reports/generation-shops",
                        help=f"one of {', '.join('reports/' + name for name in SETS)}")
    folder = Path(parser.parse_args().folder)
    if folder.name not in SETS:
        parser.error(f"--folder {folder}: choose one of {', '.join('reports/' + name for name in SETS)}")
    wanted, intro, notes = SETS[folder.name]
    rows = read_rows(folder, wanted)
    by_name = {r["report"]: r for r in rows}
    table = Table([Column("row", lambda r: f"[{r['what']}]({r['report']}/report.md)", align="left"),
                   Column("images"),
                   *(Column(c, lambda r, c=c: r["accuracy"].get(c, float("nan")), "{:.1%}")
                     for c in ("category", "colour", "pattern")),
                   Column("real photos read: category / colour / pattern",
                          lambda r: " / ".join(f"{r['ceiling'][c]:.1%}" if c in r["ceiling"] else "–"
                                               for c in ("category", "colour", "pattern"))),
                   Column("eval-FID", "fid", "{:.1f}"), Column("real-vs-real FID", "floor", "{:.1f}"),
                   Column("diversity", "diversity", "{:.0%}"), Column("s/image", "seconds_per_image", "{:.3f}")],
                  rows)
    lines = [intro, "", table.markdown(), "", *notes(folder)]
    summary = {"rows": rows}
    if "built-fixed" in by_name and "shop-fixed" in by_name:
        gap = by_name["shop-fixed"]["accuracy"]["category"] - by_name["built-fixed"]["accuracy"]["category"]
        summary["category_gap_shop_minus_built"] = gap
        lines += [f"Category read-back, outside shop minus built path, same judge and prompts: **{gap * 100:+.1f} "
                  f"points** (target: within 5).", ""]
    write_report(folder, "summary", summary, "\n".join(lines) + "\n", "report")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
