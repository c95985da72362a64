"""Markdown tables from the committed benchmark JSON (bench/results/*.json → docs/bench-*.md).

    python bench/tables.py
"""

from __future__ import annotations

import json
from pathlib import Path

from vitrine.results import Column, Table, number

RESULTS = Path("bench/results")


def train_table(data: dict) -> str:
    first = data["first_preset"]
    lines = ["# Training step benchmark", "",
             f"`python bench/train_step.py` — batch {data['batch']}, {data['threads']} threads, "
             f"fp32 GEMM measured in the same run: {data['gemm_fp32_flops'] / 1e9:.0f} GFLOP/s. "
             "All rows timed in one run, one step per row per round in a random order; medians of the "
             "timed steps. The reference is the loop "
             "of diffusers' train_text_to_image.py on the same model and batch (fp32, no compile, text encoder "
             "every step); × reference compares with the same preset's reference row, "
             f"× {first} reference with {first}'s. % of GEMM: the U-Net's training FLOPs per second against "
             "the GEMM rate.", "",
             Table([Column("preset"), Column("recipe", align="left"), Column("s/step", "median_s", "{:.3f}"),
                    Column("img/s", "img_s", "{:.1f}"), Column("× reference", "speedup_vs_reference", "{:.2f}"),
                    Column(f"× {first} reference", f"speedup_vs_{first}_reference", "{:.2f}"),
                    Column("U-Net GFLOP/step", lambda r: r["unet_flops_per_step"] / 1e9, "{:.1f}"),
                    Column("% of GEMM rate", "utilisation_of_gemm", "{:.0%}")], data["runs"]).markdown()]
    return "\n".join(lines) + "\n"


def sample_table(data: dict) -> str:
    rates = data.get("gemm_flops", {})
    lines = ["# Sampling benchmark", "",
             f"`python bench/sample_speed.py` — preset {data['preset']}"
             + (f" (weights: `{data['model']}`)" if data.get("model") else "")
             + f", classifier-free guidance {data['guidance']}, {data['threads']} threads"
             + (f"; GEMM measured in the same run: fp32 {rates['fp32'] / 1e9:.0f} GFLOP/s, "
                f"bf16 {rates['bf16'] / 1e9:.1f} GFLOP/s" if rates else "")
             + ". Seconds per image, median of timed calls.", "",
             Table([Column("sampler"), Column("steps"),
                    Column("variant", lambda r: r.get("variant", r.get("precision", "")), align="left"),
                    Column("images per call", "images_per_call"), Column("s/image", "seconds_per_image", "{:.3f}"),
                    Column("× fp32", lambda r: r.get("speedup_vs_fp32", ""), number("{:.2f}")),
                    Column("mean abs pixel diff vs fp32", lambda r: r.get("mean_abs_pixel_diff_vs_fp32", ""),
                           number("{:.4f}"))], data["rows"]).markdown()]
    return "\n".join(lines) + "\n"


def recommend_table(data: dict) -> str:
    lines = ["# Recommender speed", "",
             f"`python bench/recommend_speed.py` — {data['items']:,} items, {data['users']:,} users, in process.", "",
             Table([Column("model"), Column("fit seconds")],
                   [{"model": n, "fit seconds": s} for n, s in data["fit_seconds"].items()]).markdown(), "",
             Table([Column("index"), Column("explanations"), Column("p50 ms", "p50_ms", "{:.2f}"),
                    Column("p99 ms", "p99_ms", "{:.2f}"), Column("users timed", "users")], data["latency"]).markdown(),
             "", Table([Column("index"), Column("batch users/s", "users_per_second", "{:,.0f}")],
                       data["throughput"]).markdown()]
    return "\n".join(lines) + "\n"


def service_table(data: dict) -> str:
    lines = ["# Service benchmark", "",
             f"`python bench/service_speed.py` — `vitrine serve` (one process, or two where the row says so) over "
             f"the demo shop, on loopback, "
             f"{data['cpus']} cores shared by the server and the load generator (wrk); medians of {data['runs']} "
             f"runs of {data['seconds_per_run']:.0f} s. Recommendations: a random one of 2,000 warm shoppers "
             "per request, k = 20, each with its two \"because\" items, every shopper's list cached after the fit. "
             "The item detail and the filtered page ask for one item and one query throughout: after the first "
             "request they come from what the process holds (item cards, the query's page of IDs), as a popular "
             "page does; a change to the catalog drops both.", "",
             Table([Column("endpoint"), Column("connections"), Column("req/s", "rps", "{:.0f}"),
                    Column("p50 ms", "p50_ms", "{:.1f}"), Column("p99 ms", "p99_ms", "{:.1f}"),
                    Column("non-2xx", "non_2xx")], data["rows"]).markdown()]
    event = data["event_to_recommendation_ms"]
    job = data["generation_job_4_images_s"]
    row = {(r["endpoint"], r["connections"]): r for r in data["rows"]}
    ours, ceiling = row.get(("recommendations (k=20)", 16)), row.get(("ceiling: the same response precomputed, same stack", 16))
    two = row.get(("recommendations (k=20), 2 server processes", 16))
    if ours and ceiling:
        met = lambda ok: "met" if ok else "not met"  # noqa: E731
        lines += ["", f"Targets at 16 connections, one process: recommendations {ours['rps']:,.0f} req/s (≥ 2,000: "
                  f"{met(ours['rps'] >= 2000)}), p99 {ours['p99_ms']:.1f} ms (≤ 20: {met(ours['p99_ms'] <= 20)}), "
                  f"{ours['rps'] / ceiling['rps']:.2f} × the ceiling row's {ceiling['rps']:,.0f} req/s (≥ 0.3: "
                  f"{met(ours['rps'] >= 0.3 * ceiling['rps'])})"
                  + (f"; two server processes {two['rps'] / ours['rps']:.2f} × one" if two else "") + "."]
    memory = data["memory_mb"]
    lines += ["", f"- Event → updated recommendation (POST a purchase of the top item, then GET until it is gone): "
              f"median {event['median']:.1f} ms, max {event['max']:.1f} ms over {event['n']} shoppers.",
              f"- A generation job of 4 pictures, POST to done on an idle service: median "
              f"{job['steps_20']['median']:.2f} s at 20 steps, {job['steps_10']['median']:.2f} s at 10 steps "
              f"(the first job, which loads the pipeline: {job['first_s']:.1f} s).",
              f"- Server memory (RSS) over {memory[-1][0]:,} mixed requests (recommendations, filtered pages, similar "
              f"items, item detail; 16 connections): {memory[0][1]:,.0f} MB before, {memory[1][1]:,.0f} MB after the "
              f"first {memory[1][0]:,} (what is built on first use, such as the similar-items index, and the "
              f"allocator), {memory[-1][1]:,.0f} MB "
              f"after all of them; the largest step after the first batch: "
              f"{max(b[1] - a[1] for a, b in zip(memory[1:], memory[2:])):+.1f} MB."]
    return "\n".join(lines) + "\n"


def _exponent(xs: list[float], ys: list[float]) -> float:
    """b of y ∝ x^b, least squares on log-log."""
    import numpy as np
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def _index_table(sizes: list[dict]) -> Table:
    """One row per size and index kind: build, size, effort, recall, latency, throughput."""
    rows = []
    for r in sizes:
        for kind, x in r["indexes"].items():
            effort = {"exact": "", "ivf": f"nprobe {x.get('effort')}", "hnsw": f"efSearch {x.get('effort')}"}[kind]
            rows.append({**x, "items": r["items"], "index": kind, "effort": effort})
    return Table([Column("items", "items", "{:,}", "right"), Column("index", align="left"),
                  Column("build s", lambda x: x["build"]["seconds"], "{:.1f}"), Column("size MB", "size_mb", "{:,.0f}"),
                  Column("effort"), Column("Recall@20", lambda x: x.get("recall_at_20", 1.0), "{:.3f}"),
                  Column("search p50 / p99 ms", lambda x: f"{x['search_ms']['p50']:.2f} / {x['search_ms']['p99']:.2f}"),
                  Column("recommendation p50 / p99 ms",
                         lambda x: f"{x['recommendation_ms']['p50']:.2f} / {x['recommendation_ms']['p99']:.2f}"),
                  Column("batch users/s", "batch_users_per_s", "{:,.0f}")], rows)


def scale_table(data: dict) -> str:
    sizes = data["sizes"]
    lines = ["# Growth curve: 70k to 1M items", "",
             f"`python bench/scale.py` — synthetic shops (the default shop's attribute draws and shopper simulator, "
             f"25,000 users per 70,000 items), one process per size, {data['threads']} cores. The network is timed "
             f"for {data['epochs_timed']} epochs and projected to 24 (its cost per epoch is fixed; the ALS block runs "
             "once); peak = the process's resident memory at the stage's peak. "
             "Plot: [scale-growth.png](scale-growth.png).", "",
             Table([Column("items", "items", "{:,}", "right"), Column("users", "users", "{:,}"),
                    Column("events", "events", "{:,}"),
                    Column("store write s", lambda r: r["store_write"]["seconds"], "{:.0f}"),
                    Column("store read + matrix s", lambda r: r["store_read"]["seconds"], "{:.0f}"),
                    Column("store MB", "store_mb", "{:,.0f}"),
                    Column(f"fit s, {data['epochs_timed']} epochs", lambda r: r["fit"]["seconds"], "{:.0f}"),
                    Column("ALS s", lambda r: r["fit"]["als_seconds"], "{:.0f}"),
                    Column("fit s, projected", lambda r: r["fit"]["projected_seconds"], "{:.0f}"),
                    Column("fit peak GB", lambda r: r["fit"]["peak_gb"], "{:.1f}"),
                    Column("texts, MiniLM s (extrapolated)",
                           lambda r: r["description_encoding_s_per_1k"] * r["items"] / 1000, "{:,.0f}")],
                   sizes).markdown()]
    lines += ["", f"Approximate indexes at the smallest effort that keeps ≥ {data['target_recall']} of the exact "
              f"top {data['k']} on {data['queries']:,} tuning users, measured on {data['queries']:,} others. "
              "One recommendation = the user vector from the history, the search and the bought-item filter, one "
              f"user at a time; search = the FAISS call alone; batch = {data['queries']:,} users per call.", "",
              _index_table(sizes).markdown()]
    events, items = [r["events"] for r in sizes], [r["items"] for r in sizes]
    growth = {"store write": (events, [r["store_write"]["seconds"] for r in sizes]),
              "store read + matrix": (events, [r["store_read"]["seconds"] for r in sizes]),
              "fit (projected)": (events, [r["fit"]["projected_seconds"] for r in sizes]),
              "HNSW build": (items, [r["indexes"]["hnsw"]["build"]["seconds"] for r in sizes]),
              "IVF build": (items, [r["indexes"]["ivf"]["build"]["seconds"] for r in sizes])}
    lines += ["", "Growth: b of cost ∝ size^b (least squares on log-log; size = events for the store and the fit, "
              "items for the indexes) and, on paper, the cost at 10× the largest size.", "",
              Table([Column("cost"), Column("b", "b", "{:.2f}"), Column("at the largest size", "last", "{:,.1f} s"),
                     Column("×10 (extrapolated)", lambda g: g["last"] * 10 ** g["b"], "{:,.0f} s")],
                    [{"cost": name, "b": _exponent(xs, ys), "last": ys[-1]} for name, (xs, ys) in growth.items()]
                    ).markdown()]
    peak = [r["fit"]["peak_gb"] for r in sizes]
    per_item = (peak[-1] - peak[-2]) / (items[-1] - items[-2])  # GB per item between the two largest sizes
    lines += ["", f"Memory: the fit's peak grows by {per_item * 1e6:.1f} GB per million items between the two largest "
              f"sizes (a fixed {peak[-1] - per_item * items[-1]:.1f} GB besides: Python, torch, MiniLM); at that rate "
              f"24 GB holds the fit of about {(24 - peak[-1]) / per_item + items[-1]:,.0f} items on one machine."]
    comparison = sizes[0].get("inner_product_comparison")
    if comparison:
        lines += ["", f"Why the indexes search by Euclidean distance: Recall@{data['k']} against exact search at "
                  f"{sizes[0]['items']:,} items ({data['queries']:,} users, nothing excluded), the same index built on "
                  "inner product directly vs on the reduction of Bachrach et al. (2014).", "",
                  Table([Column("index"), Column("effort"), Column("inner product", "inner_product", "{:.3f}"),
                         Column("Euclidean reduction", "euclidean_reduction", "{:.3f}")],
                        [{"index": kind, "effort": effort, **v} for kind, rows in comparison.items()
                         for effort, v in rows.items()]).markdown()]
    return "\n".join(lines) + "\n"


# results file → (table, docs page); sample_speed_quick is the same bench on the quick preset's model
def latent_table(data: dict) -> str:
    shape = "×".join(map(str, data["latent_shape"][1:] + data["latent_shape"][:1]))
    lines = ["# A latent model's cost against a pixel model", "",
             f"`python bench/latent_speed.py` — the {data['latent_size']}-px latent model `{data['latent_model']}` "
             f"(its U-Net denoises {shape} latents, the autoencoder decodes them) beside the {data['pixel_size']}-px "
             f"pixel model `{data['pixel_model']}`, {data['threads']} threads. Rows interleaved in one run, shuffled "
             f"each round; medians of {data['rounds']} rounds after a warm-up. Sampling: batch {data['batch']}, "
             f"DPM-Solver++ SDE 20 steps with guidance (40 U-Net calls a picture). Training: one AdamW step of "
             f"fresh weights of each U-Net, batch {data['train_batch']}, on cached latents for the latent model.", "",
             Table([Column("row", align="left"), Column("what", align="left"),
                    Column("median", "median", "{:.4f}")], data["rows"]).markdown(), "",
             f"Latent / pixel: sampling **{data['sample_ratio_latent_over_pixel']:.2f}×**, training step "
             f"**{data['train_ratio_latent_over_pixel']:.2f}×**."]
    return "\n".join(lines) + "\n"


PAGES = {"train_step": (train_table, "bench-train.md"), "train_step_amd": (train_table, "bench-train-amd.md"),
         "sample_speed": (sample_table, "bench-sample.md"),
         "sample_speed_quick": (sample_table, "bench-sample-quick.md"),
         "recommend_speed": (recommend_table, "bench-recommend.md"),
         "service_speed": (service_table, "bench-service.md"), "scale": (scale_table, "bench-scale.md"),
         "latent_speed": (latent_table, "bench-latent.md")}


def main() -> None:
    for name, (render, page) in PAGES.items():
        path = RESULTS / f"{name}.json"
        if path.exists():
            out = Path("docs") / page
            out.write_text(render(json.loads(path.read_text())))
            print(f"wrote {out}")


if __name__ == "__main__":
    main()
