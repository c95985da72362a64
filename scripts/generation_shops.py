"""Gather the outside-shop measurements into reports/generation-shops/report.md and summary.json.

Each row is one `vitrine eval generation` report already written under the folder (see the
commands in the report); this script only reads their metrics.json and puts the rows side by side.

    python scripts/generation_shops.py --folder reports/generation-shops
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vitrine.results import Column, Table, write_report

ROWS = (  # (sub-folder, what the row is)
    ("built-fixed", "built path: quick model on the built catalog, shipped evaluator, fixed prompts"),
    ("shop-fixed", "outside shop: quick model on the imported shop, shipped evaluator, fixed prompts"),
    ("built-heldout", "built path: quick model, shipped evaluator, the built catalog's held-out items' prompts"),
    ("shop-own-judge", "outside shop: quick model, the shop's own evaluator, its held-out items' prompts"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default="reports/generation-shops")
    folder = Path(parser.parse_args().folder)
    rows = []
    for name, what in ROWS:
        source = folder / name / "metrics.json"
        if not source.exists():
            continue
        metrics = json.loads(source.read_text())
        row = metrics["rows"][0]
        rows.append({"report": name, "what": what, "setting": row["setting"], "images": row["images"],
                     "accuracy": row["accuracy"], "ceiling": metrics["ceiling"], "fid": row["fid"],
                     "floor": metrics["floor"]["fid"], "diversity": row["diversity_ratio"],
                     "seconds_per_image": row["seconds_per_image"]})
    by_name = {r["report"]: r for r in rows}
    gap = None
    if "built-fixed" in by_name and "shop-fixed" in by_name:
        gap = by_name["shop-fixed"]["accuracy"]["category"] - by_name["built-fixed"]["accuracy"]["category"]
    table = Table([Column("row", lambda r: f"[{r['what']}]({r['report']}/report.md)", align="left"),
                   Column("images"),
                   *(Column(c, lambda r, c=c: r["accuracy"].get(c, float("nan")), "{:.1%}")
                     for c in ("category", "colour", "pattern")),
                   Column("category on real photos", lambda r: r["ceiling"]["category"], "{:.1%}"),
                   Column("eval-FID", "fid", "{:.1f}"), Column("real-vs-real FID", "floor", "{:.1f}"),
                   Column("diversity", "diversity", "{:.0%}")], rows)
    lines = ["# A shop's own generator: the outside shop's path against the built one", "",
             "The Fashion-MNIST catalog exported as a generic shop (`vitrine catalog export out/fm-shop --items "
             "70000`: images/ plus items.csv of title, description, category, colour, pattern, brand, price, and "
             "interactions.csv), imported into a fresh store (`vitrine import generic out/fm-shop --data-dir "
             "out/fm-shop-data`), trained with the `quick` recipe (`vitrine train --preset quick --data-dir "
             "out/fm-shop-data --out runs/shop-quick`), judged by an evaluator trained on that store "
             "(`vitrine evaluator train --data-dir out/fm-shop-data --epochs 12 --noise 0.1`, the shipped "
             "evaluator's recipe) — beside the built path with the same recipe (`vitrine train --preset quick "
             "--out runs/built-quick` on the built catalog). Every row: `vitrine eval generation --settings "
             "dpm++sde:20:3`, 52 prompts × 8 samples; the fixed prompts are novel text to both models.", "",
             table.markdown(), ""]
    if gap is not None:
        lines += [f"Category read-back, outside shop minus built path, same judge and prompts: **{gap * 100:+.1f} "
                  f"points** (target: within 5).", ""]
    write_report(folder, "summary", {"rows": rows, "category_gap_shop_minus_built": gap}, "\n".join(lines) + "\n",
                 "report")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
