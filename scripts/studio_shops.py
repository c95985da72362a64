"""The studio's launch on an imported shop: its own generator beside the shipped one, one table.

Reads two `vitrine eval studio --parts launch` reports made on the same store, recommender recipe,
evaluator, items and seed — one drawing with the shop's generator, one with `--model
models/vitrine-fashion-32` — and writes FOLDER/studio.md and studio.json.

    python scripts/studio_shops.py [--own reports/generation-shops/studio-own]
                                   [--shipped reports/generation-shops/studio-shipped]
                                   [--folder reports/generation-shops]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vitrine.results import Column, Table  # noqa: E402

GENERATED = "multimodal, new items with generated picture"


def launch_row(name: str, report: dict) -> dict:
    """One generator's row: new items scored with its pictures, its audiences, what the judge reads."""
    scored = next(r for r in report["rows"] if r["model"].startswith(GENERATED) and r["segment"] == "new items")
    audience = report["audience_quality"]["generated picture"]
    return {"generator": name, "recall": scored["recall@20"], "ndcg": scored["ndcg@20"],
            "share": report["generated_share_of_photo_gain"], "precision": audience["precision@100"],
            "audience_recall": audience["recall@100"], **{k: v for k, v in report["picture_agreement"].items()}}


def reference_rows(report: dict) -> list[dict]:
    """The rows no generator draws: the real photos and no picture at all (the same in both reports)."""
    rows = []
    for label, model in (("real photo", "multimodal, new items with real photo"),
                         ("no picture", "multimodal, new items with no picture")):
        scored = next(r for r in report["rows"] if r["model"].startswith(model) and r["segment"] == "new items")
        audience = report["audience_quality"][label]
        rows.append({"generator": f"*{label}*", "recall": scored["recall@20"], "ndcg": scored["ndcg@20"],
                     "precision": audience["precision@100"], "audience_recall": audience["recall@100"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--own", default="reports/generation-shops/studio-own")
    parser.add_argument("--shipped", default="reports/generation-shops/studio-shipped")
    parser.add_argument("--folder", default="reports/generation-shops")
    args = parser.parse_args()
    own, shipped = (json.loads((Path(f) / "launch.json").read_text()) for f in (args.own, args.shipped))
    if own["new_items"] != shipped["new_items"]:
        sys.exit("studio_shops: the two reports launched different items")
    rows = [launch_row("the shop's own (quick recipe on its photos)", own),
            launch_row("shipped models/vitrine-fashion-32", shipped)] + reference_rows(own)
    def drawn(key: str, form: str) -> Column:  # a column only the generators' rows fill
        return Column(key, lambda row: row.get(key), lambda v: "—" if v is None else form.format(v))
    table = Table([Column("new items drawn by", "generator", align="left"),
                   Column("Recall@20", "recall", "{:.4f}"), Column("NDCG@20", "ndcg", "{:.4f}"),
                   Column("audience precision@100", "precision", "{:.4f}"),
                   Column("audience recall@100", "audience_recall", "{:.4f}"),
                   drawn("share", "{:.0%}"), drawn("category", "{:.1%}"), drawn("colour", "{:.1%}"),
                   drawn("pattern", "{:.1%}")], rows)
    markdown = (
        "# The studio's launch on an imported shop: its own generator against the shipped one\n\n"
        f"The generic-imported Fashion-MNIST shop, imported with 14-day test and valid periods so its "
        f"new items are the simulator's. The export without the 100 events that `bench/service_speed.py` had "
        f"posted into the demo store months after its simulated log ends (they would set the import's test "
        f"period to their last 14 days): `mkdir out/fm-shop-clean; cp out/fm-shop/items.csv out/fm-shop-clean/; "
        f"ln -s ../fm-shop/images out/fm-shop-clean/images; awk -F, 'NR==1 || $4+0 <= 1783296000000' "
        f"out/fm-shop/interactions.csv > out/fm-shop-clean/interactions.csv`; then "
        f"`vitrine import generic out/fm-shop-clean --data-dir "
        f"out/fm-shop-data14 --test-days 14 --valid-days 14`. Its generator, trained on its own photos "
        f"with the new items held out (`vitrine train --preset quick --init-from none`), is its default. The judge is the "
        f"shop's evaluator trained on the same export imported with 7-day periods (`out/fm-shop-data`, "
        f"copied into `out/fm-shop-data14/models/evaluator`): it learnt from the new items' real photos, which "
        f"no generator saw. Each row: `vitrine eval studio --parts launch --limit {own['new_items']}` ({own['new_items']:,} new items, "
        f"the best of {own['candidates']} pictures by the shop's evaluator, {own['steps']} steps, audiences of "
        f"{own['audience']}); the second with `--model models/vitrine-fashion-32`. Category / colour / "
        f"pattern: how often the evaluator reads the launch picture as the item's own labels; share: the "
        f"share of the real photo's gain over no picture that the generated picture recovers. The real-photo "
        f"and no-picture rows are the same network scoring the items with their real photos and with none.\n\n"
        f"{table.markdown()}\n\n"
        f"![the shop's own generator](studio-own/launch-examples.png)\n\n"
        f"![the shipped generator](studio-shipped/launch-examples.png)\n")
    out = Path(args.folder)
    (out / "studio.md").write_text(markdown)
    (out / "studio.json").write_text(json.dumps({"rows": rows, "new_items": own["new_items"]}, indent=2) + "\n")
    print(markdown)


if __name__ == "__main__":
    main()
