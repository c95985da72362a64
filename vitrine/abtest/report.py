"""An A/B test's figures: per arm, each metric with a 95 % bootstrap interval over shoppers, each
arm's lift over the baselines, and the latency and errors the simulated traffic met.

Metrics are ratios of sums over an arm's shoppers (CTR = clicks / tiles shown; conversion =
purchases / visits; revenue per visit; new items' share of purchases; catalog coverage = the
share of the catalog shown at least once). Shoppers are the unit of the split, so the bootstrap
resamples shoppers (with replacement, within each arm; arms apart, as the split made them
independent) and recomputes every ratio; an interval is the 2.5th–97.5th percentile of the
rounds, a lift's interval that of (arm ÷ baseline − 1) over paired rounds of the two arms.
Coverage is the exception: a resample repeats shoppers, so it shows fewer distinct items and its
rounds sit below the estimate; its interval is the estimate ± 1.96 standard errors of the rounds.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from vitrine.abtest.experiment import Outcome
from vitrine.abtest.traffic import Request

# metric → (numerator field, denominator field); coverage is computed apart
RATIOS = {"ctr": ("clicks", "impressions"), "conversion": ("purchases", "visits"),
          "revenue_per_visit": ("revenue", "visits"), "new_item_share": ("new_item_purchases", "purchases")}
METRICS = (*RATIOS, "coverage")
LIFT_METRICS = ("ctr", "conversion", "revenue_per_visit")
# each arm's lift is given over these, where they ran; over multimodal, only for the arms that add
# something to its page (designs, previews)
BASELINES = ("popularity", "als", "multimodal")
FIELDS = ("visits", "impressions", "clicks", "purchases", "revenue", "new_item_purchases")
OK_STATUSES = (200, 201, 202)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(np.shape(num), np.nan, dtype=float), where=np.asarray(den) > 0)


def bootstrap_arm(outcomes: list[Outcome], n_items: int, rounds: int, rng: np.random.Generator) -> dict:
    """{metric: (value, rounds' values)} for one arm's shoppers."""
    sums = np.array([[getattr(o, f) for f in FIELDS] for o in outcomes], dtype=float)
    column = {f: k for k, f in enumerate(FIELDS)}
    shown = sp.csr_matrix((np.ones(sum(len(o.shown) for o in outcomes)),
                           (np.repeat(np.arange(len(outcomes)), [len(o.shown) for o in outcomes]),
                            [i for o in outcomes for i in sorted(o.shown)])), shape=(len(outcomes), n_items))
    picks = rng.integers(len(outcomes), size=(rounds, len(outcomes)))
    resampled = sums[picks].sum(axis=1)  # (rounds, fields)
    total = sums.sum(axis=0)
    out = {}
    for metric, (num, den) in RATIOS.items():
        out[metric] = (float(_ratio(total[column[num]], total[column[den]])),
                       _ratio(resampled[:, column[num]], resampled[:, column[den]]))
    coverage = [np.count_nonzero(np.asarray(shown[p].sum(axis=0))) / n_items for p in picks]
    out["coverage"] = (shown.getnnz(axis=0).astype(bool).sum() / n_items, np.array(coverage))
    return out


def interval(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return float("nan"), float("nan")
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


def normal_interval(value: float, rounds_values: np.ndarray) -> tuple[float, float]:
    se = float(np.std(rounds_values, ddof=1))
    return value - 1.96 * se, value + 1.96 * se


def photo_less_tiles(outcomes: list[Outcome], rounds: int, rng: np.random.Generator) -> dict:
    """Tiles of items without a photo, by what they showed (a preview, or text alone): how many were
    shown, clicked, and their CTR with a bootstrap interval over shoppers; {} when none were shown."""
    out = {}
    for shows in ("preview", "text"):
        shown = np.array([getattr(o, f"{shows}_impressions") for o in outcomes], dtype=float)
        clicked = np.array([getattr(o, f"{shows}_clicks") for o in outcomes], dtype=float)
        if not shown.sum():
            continue
        picks = rng.integers(len(outcomes), size=(rounds, len(outcomes)))
        out[shows] = {"impressions": int(shown.sum()), "clicks": int(clicked.sum()),
                      "ctr": {"value": float(clicked.sum() / shown.sum()),
                              "interval": interval(_ratio(clicked[picks].sum(axis=1), shown[picks].sum(axis=1)))}}
    return out


def latency(requests: list[Request], arm: str) -> dict:
    """Per request kind: count, errors, p50 and p99 in ms (the arm's requests)."""
    out = {}
    for kind in sorted({r.kind for r in requests if r.arm == arm}):
        rows = [r for r in requests if r.arm == arm and r.kind == kind]
        ms = np.array([r.seconds for r in rows]) * 1000
        out[kind] = {"requests": len(rows), "errors": sum(r.status not in OK_STATUSES for r in rows),
                     "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}
    return out


def summarise(outcomes: list[Outcome], requests: list[Request], arms: tuple[str, ...], n_items: int,
              rounds: int = 1000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    boots, result = {}, {"arms": {}, "lifts": {}}
    for arm in arms:
        mine = [o for o in outcomes if o.arm == arm]
        if not mine:
            continue
        boots[arm] = bootstrap_arm(mine, n_items, rounds, rng)
        row = {"shoppers": len(mine), **{f: float(sum(getattr(o, f) for o in mine)) for f in FIELDS},
               "failed_pages": sum(o.failed_pages for o in mine),
               "design_impressions": sum(o.design_impressions for o in mine),
               "design_clicks": sum(o.design_clicks for o in mine),
               "photo_less": photo_less_tiles(mine, rounds, rng),
               "latency": latency(requests, arm)}
        for metric, (value, rounds_values) in boots[arm].items():
            row[metric] = {"value": value, "interval": (normal_interval(value, rounds_values) if metric == "coverage"
                                                        else interval(rounds_values))}
        result["arms"][arm] = row
    for baseline in BASELINES:
        if baseline not in boots:
            continue
        for arm in boots:
            if arm == baseline or (baseline == "multimodal" and not arm.startswith("multimodal+")):
                continue
            for metric in LIFT_METRICS:
                with np.errstate(divide="ignore", invalid="ignore"):  # a round without clicks: not a number
                    value = np.float64(boots[arm][metric][0]) / boots[baseline][metric][0] - 1
                    rounds_values = boots[arm][metric][1] / boots[baseline][metric][1] - 1
                result["lifts"].setdefault(baseline, {}).setdefault(arm, {})[metric] = {
                    "value": float(value), "interval": interval(rounds_values)}
    return result


def plot_lifts(result: dict, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    baselines = list(result["lifts"])
    fig, axes = plt.subplots(1, len(baselines), figsize=(6 * len(baselines), 3.8), squeeze=False)
    names = {"ctr": "CTR", "conversion": "conversion", "revenue_per_visit": "revenue / visit"}
    for ax, baseline in zip(axes[0], baselines):
        arms = list(result["lifts"][baseline])
        for m, metric in enumerate(LIFT_METRICS):
            ys = np.arange(len(arms)) + (m - 1) * 0.22
            values = [100 * result["lifts"][baseline][a][metric]["value"] for a in arms]
            lows = [100 * result["lifts"][baseline][a][metric]["interval"][0] for a in arms]
            highs = [100 * result["lifts"][baseline][a][metric]["interval"][1] for a in arms]
            ax.errorbar(values, ys, xerr=[np.subtract(values, lows), np.subtract(highs, values)], fmt="o",
                        capsize=3, label=names[metric])
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(np.arange(len(arms)), arms)
        ax.set_xlabel(f"lift over {baseline}, % (95 % bootstrap interval)")
        ax.invert_yaxis()
    axes[0][0].legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


NAMES = {"ctr": "CTR", "conversion": "purchases / visit", "revenue_per_visit": "revenue / visit (EUR)",
         "new_item_share": "new items' share of purchases", "coverage": "catalog coverage"}
FORMATS = {"ctr": "{:.2%}", "conversion": "{:.3f}", "revenue_per_visit": "{:.2f}", "new_item_share": "{:.1%}",
           "coverage": "{:.2%}"}


def _with_interval(cell: dict, fmt: str) -> str:
    low, high = cell["interval"]
    return f"{fmt.format(cell['value'])} ({fmt.format(low)}–{fmt.format(high)})"


def markdown(result: dict, meta: dict) -> str:
    """The report: per-arm table, lifts, latency and errors, and what the simulation can and cannot show."""
    from vitrine.results import Column, Table
    arms = result["arms"]
    rows = [{"arm": arm, "shoppers": a["shoppers"], "visits": int(a["visits"]),
             **{m: _with_interval(a[m], FORMATS[m]) for m in METRICS}} for arm, a in arms.items()]
    table = Table([Column("arm"), Column("shoppers", "shoppers", "{:,}"), Column("visits", "visits", "{:,}"),
                   *(Column(NAMES[m], m) for m in METRICS)], rows)
    lift_rows = [{"arm": arm, "baseline": baseline,
                  **{m: _with_interval(cell[m], "{:+.1%}") for m in LIFT_METRICS}}
                 for baseline, by_arm in result["lifts"].items() for arm, cell in by_arm.items()]
    lifts = Table([Column("arm"), Column("over", "baseline"), *(Column(NAMES[m], m) for m in LIFT_METRICS)],
                  lift_rows)
    traffic = [{"arm": arm, "kind": kind, **row} for arm, a in arms.items() for kind, row in a["latency"].items()]
    latency_table = Table([Column("arm"), Column("request", "kind"), Column("requests", "requests", "{:,}"),
                           Column("errors", "errors", "{:,}"), Column("p50 ms", "p50_ms", "{:.1f}"),
                           Column("p99 ms", "p99_ms", "{:.1f}")], traffic)
    photo_less = [{"arm": arm, "shows": {"preview": "its preview", "text": "no picture (its text)"}[shows], **cell,
                   "ctr_text": _with_interval(cell["ctr"], "{:.2%}")}
                  for arm, a in arms.items() for shows, cell in a.get("photo_less", {}).items()]
    photo_less_table = Table([Column("arm"), Column("an item without a photo shows", "shows"),
                              Column("tiles", "impressions", "{:,}"), Column("clicks", "clicks", "{:,}"),
                              Column("CTR", "ctr_text")], photo_less)
    cfg = meta["config"]
    with_designs = any("designs" in a for a in arms)
    lines = [
        "# Does it sell? A simulated A/B test through the running service", "",
        f"`{meta['command']}` ({meta['seconds']:.0f} s{', stopped by --minutes' if meta['stopped_early'] else ''}): "
        f"{sum(a['shoppers'] for a in arms.values()):,} simulated shoppers of the test period, each in one arm by a "
        f"seeded hash of their ID, {cfg['visits_per_shopper']} visits each to {meta['url']} (the service itself "
        f"serves every arm's list: `GET /users/ID/recommendations?arm=…`), {cfg['k']} recommendations a page"
        + (f" and {cfg['designs']} designs below them in the designs arm" if with_designs else "")
        + (f", then the \"new in\" shelf of the {cfg['new_in']} newest items (the same in every arm)"
           if cfg.get("new_in") else "")
        + f". Intervals: 95 % bootstrap over shoppers ({meta['rounds']} rounds).", "",
        table.markdown(), "", "## Lifts", "", lifts.markdown(), "", "![lifts with 95 % intervals](lifts.png)", "",
        *(["## Items without a photo", "",
           f"{meta.get('without_photo', 0):,} of the shop's items have no photo. Each tile shows its "
           "item's photo where it has one; otherwise its generated preview (the previews arm) or no picture (every "
           "other arm). A click opens the item itself, so a preview that shows the item wrongly wins clicks that "
           "do not sell.", "", photo_less_table.markdown(), ""] if photo_less else []),
        "## What the traffic met", "",
        f"Errors: {sum(r['errors'] for a in arms.values() for r in a['latency'].values()):,} of "
        f"{sum(r['requests'] for a in arms.values() for r in a['latency'].values()):,} requests; pages that did not "
        f"load: {sum(a['failed_pages'] for a in arms.values()):,}. An error is any answer but 200/201/202 (a 429 is "
        "waited out and retried, not counted).", "", latency_table.markdown(), "",
        "## What a simulation can and cannot show", "",
        "- It shows how each arm does for shoppers who behave exactly as the simulator says — the same model that "
        "wrote the log every recommender learnt from. A ranking that recovers that model's preferences wins here "
        "by construction; real shoppers follow no such model, so the lifts are an upper-bound-shaped sanity check, "
        "not a forecast of a real shop's lift.",
        "- The click model's position bias (1/log2(rank + 1)) and its click bias "
        f"({cfg['click_bias']:+g}) are assumptions, not measurements; they scale CTR and conversion in every arm "
        "alike, but not necessarily the lifts.",
        *(["- Shoppers judge a design by what the shop's evaluator reads in its picture, and buy \"like this\" as its "
           "closest stock item; real shoppers see more in a picture (and less) than three attributes. A design's tile "
           "carries its closest item's price and popularity (what a click opens): mostly little-known items, while "
           "the recommendations lean to popular ones, and the simulator's appeal counts popularity fully. Whether a "
           "real shopper discounts an unfamiliar item in a picture so is what this cannot tell."]
          if with_designs else []),
        *([f"- A shopper sees in a generated preview what the evaluator reads in it (category, colour, pattern) and in "
           "an item without a picture what its text names, expecting the category's usual colour or pattern where "
           f"the text is silent; beyond that, a tile without a picture loses {cfg.get('no_picture_penalty', 1):g} in "
           "appeal (--no-picture-penalty). That cost is an assumption, not a measurement: the previews arm's lift "
           "grows with it, and at 0 a preview can add only what the text leaves unsaid."] if photo_less else []),
        "- The simulated shoppers do not tire, come back for new reasons or react to prices outside their fixed "
        "sensitivity; the test covers a few visits per shopper, not retention.",
        "- It does show, through the service a shop runs, what each arm costs: the latency and errors above were met "
        "by this traffic on this machine.", ""]
    return "\n".join(lines)


def save_run_data(path, outcomes: list[Outcome], requests: list[Request], n_items: int) -> None:
    """Every shopper's outcome and every request's timing (gzipped JSON), so the figures can be
    recomputed without sending the traffic again (`simulate-ab --report-only`)."""
    import gzip
    import json
    from dataclasses import asdict

    from vitrine.atomic import replacing
    data = {"n_items": n_items,
            "outcomes": [{**asdict(o), "shown": sorted(o.shown)} for o in outcomes],
            "requests": [[r.arm, r.kind, round(r.seconds, 6), r.status] for r in requests]}
    with replacing(path) as tmp, gzip.open(tmp, "wt") as f:
        json.dump(data, f)


def load_run_data(path) -> tuple[list[Outcome], list[Request], int]:
    import gzip
    import json
    with gzip.open(path, "rt") as f:
        data = json.load(f)
    outcomes = [Outcome(**{**o, "shown": set(o["shown"])}) for o in data["outcomes"]]
    return outcomes, [Request(*r) for r in data["requests"]], int(data["n_items"])
