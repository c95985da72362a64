"""A summary of what a store holds: counts, splits, the popularity curve, cold-start items."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from vitrine.catalog.splits import split_of
from vitrine.results import Column, Table, write_report
from vitrine.storage import schema
from vitrine.storage.store import Store


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def summarize(store: Store) -> dict:
    counts = store.summary_counts()
    summary = {
        "data_dir": str(store.data_dir),
        "items": store.count(schema.Item.__table__), "items_with_photo": counts["with_photo"],
        "images": store.count(schema.Image.__table__),
        "users": store.count(schema.User.__table__),
        "events": store.event_counts(),
        "items_by": {k: {str(name): n for name, n in v.items()} for k, v in counts["by_column"].items()},
        "generated_images": store.count(schema.GeneratedImage.__table__),
    }
    if counts["first_ts"] is None:
        return summary
    per_item, per_user = counts["per_item"], counts["per_user"]
    summary["time_range"] = [_iso(counts["first_ts"]), _iso(counts["last_ts"])]
    ranked = np.sort(per_item)[::-1]
    top = max(len(ranked) // 100, 1)
    summary["popularity"] = {
        "items_with_events": int(len(per_item)),
        "top_1pct_item_share": round(float(ranked[:top].sum() / ranked.sum()), 4),
        "median_events_per_item": float(np.median(per_item)),
    }
    summary["users_events"] = {
        "median": float(np.median(per_user)),
        "p5": float(np.percentile(per_user, 5)), "p95": float(np.percentile(per_user, 95)),
        "users_with_at_most_5": int((per_user <= 5).sum()),
    }
    summary.update(_preference_check(store))
    try:
        split = split_of(store)
    except LookupError:
        return summary
    by_period, new_by_period = store.events_by_period(split.train_end_ms, split.valid_end_ms)
    summary["split"] = {"train_end": _iso(split.train_end_ms), "valid_end": _iso(split.valid_end_ms),
                        **{name: int(by_period.get(name, 0)) for name in ("train", "valid", "test")}}
    summary["new_items"] = {
        "count": len(store.new_item_ids()), "test_events": int(new_by_period.get("test", 0)),
        "train_or_valid_events": int(new_by_period.get("train", 0) + new_by_period.get("valid", 0)),
    }
    return summary


def _preference_check(store: Store) -> dict:
    """For simulated shoppers: how often a purchase falls in the buyer's true top category. Shops
    without true preferences (every imported one) get nothing."""
    top = {uid: max(p["category"], key=p["category"].get)
           for uid, p in store.true_preferences().items() if isinstance(p, dict) and p.get("category")}
    if not top:
        return {}
    bought = store.purchases_with_category()
    hits = [top[u] == c for u, c in bought if u in top]
    n_categories = len({c for _, c in bought}) or 1
    return {"purchases_in_true_top_category": round(sum(hits) / max(len(hits), 1), 4),
            "chance_rate": round(1 / n_categories, 4)}


def to_markdown(summary: dict) -> str:
    counts = [{"what": key.replace("_", " "), "count": summary[key]}
              for key in ("items", "items_with_photo", "images", "users", "generated_images")]
    counts += [{"what": f"{event_name} events", "count": n} for event_name, n in sorted(summary["events"].items())]
    lines = [f"# Store summary: {summary['data_dir']}", "",
             Table([Column("what"), Column("count", "count", "{:,}")], counts).markdown()]
    if "split" in summary:
        s = summary["split"]
        lines += ["", f"Temporal split: train before {s['train_end']}, valid to {s['valid_end']}, test after.",
                  "", Table([Column("split"), Column("events", "events", "{:,}")],
                            [{"split": name, "events": s[name]} for name in ("train", "valid", "test")]).markdown()]
    if "new_items" in summary:
        n = summary["new_items"]
        lines += ["", f"New (cold-start) items: {n['count']:,}, with {n['test_events']:,} test events "
                      f"and {n['train_or_valid_events']:,} earlier events."]
    if "popularity" in summary:
        p, u = summary["popularity"], summary["users_events"]
        lines += ["", f"Popularity: the top 1 % of items take {p['top_1pct_item_share']:.1%} of events; "
                      f"median item has {p['median_events_per_item']:g} events.",
                  f"Users: median {u['median']:g} events (5th pct {u['p5']:g}, 95th {u['p95']:g}); "
                  f"{u['users_with_at_most_5']:,} users have 5 events or fewer."]
    if "purchases_in_true_top_category" in summary:
        lines.append(f"Simulated shoppers: {summary['purchases_in_true_top_category']:.1%} of purchases fall in "
                     f"the buyer's true top category (chance: {summary['chance_rate']:.1%}).")
    for column, counts in summary["items_by"].items():
        shown = ", ".join(f"{name} {n:,}" for name, n in list(counts.items())[:13])
        lines.append(f"\nItems by {column}: {shown}")
    return "\n".join(lines) + "\n"


def write_summary(store: Store, folder: Path | None = None) -> tuple[Path, Path, dict]:
    folder = Path(folder or store.data_dir)
    summary = summarize(store)
    md_path = write_report(folder, "stats", summary, to_markdown(summary))
    return folder / "stats.json", md_path, summary
