"""Markdown tables from the committed benchmark JSON (bench/results/*.json → docs/bench-*.md).

    python bench/tables.py
"""

from __future__ import annotations

import json
from pathlib import Path

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
             f"| preset | recipe | s/step | img/s | × reference | × {first} reference | U-Net GFLOP/step "
             "| % of GEMM rate |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in data["runs"]:
        lines.append(f"| {r['preset']} | {r['recipe']} | {r['median_s']:.3f} | {r['img_s']:.1f} | "
                     f"{r['speedup_vs_reference']:.2f} | {r[f'speedup_vs_{first}_reference']:.2f} | "
                     f"{r['unet_flops_per_step'] / 1e9:.1f} | {r['utilisation_of_gemm']:.0%} |")
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
             "| sampler | steps | variant | images per call | s/image | × fp32 | mean abs pixel diff vs fp32 |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for r in data["rows"]:
        speedup = f"{r['speedup_vs_fp32']:.2f}" if "speedup_vs_fp32" in r else ""
        diff = f"{r['mean_abs_pixel_diff_vs_fp32']:.4f}" if "mean_abs_pixel_diff_vs_fp32" in r else ""
        lines.append(f"| {r['sampler']} | {r['steps']} | {r.get('variant', r.get('precision', ''))} | "
                     f"{r['images_per_call']} | {r['seconds_per_image']:.3f} | {speedup} | {diff} |")
    return "\n".join(lines) + "\n"


def recommend_table(data: dict) -> str:
    lines = ["# Recommender speed", "",
             f"`python bench/recommend_speed.py` — {data['items']:,} items, {data['users']:,} users, in process.", "",
             "| model | fit seconds |", "|---|---:|"]
    lines += [f"| {name} | {s} |" for name, s in data["fit_seconds"].items()]
    lines += ["", "| index | explanations | p50 ms | p99 ms | users timed |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['index']} | {r['explanations']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['users']} |"
              for r in data["latency"]]
    lines += ["", "| index | batch users/s |", "|---|---:|"]
    lines += [f"| {r['index']} | {r['users_per_second']:,.0f} |" for r in data["throughput"]]
    return "\n".join(lines) + "\n"


def service_table(data: dict) -> str:
    lines = ["# Service benchmark", "",
             f"`python bench/service_speed.py` — `vitrine serve` (one process, or two where the row says so) over "
             f"the demo shop, on loopback, "
             f"{data['cpus']} cores shared by the server and the load generator (wrk); medians of {data['runs']} "
             f"runs of {data['seconds_per_run']:.0f} s. Recommendations: a random one of 2,000 warm shoppers "
             "per request, k = 20, each with its two \"because\" items.", "",
             "| endpoint | connections | req/s | p50 ms | p99 ms | non-2xx |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['endpoint']} | {r['connections']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['non_2xx']} |" for r in data["rows"]]
    event = data["event_to_recommendation_ms"]
    job = data["generation_job_4_images_s"]
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


# results file → (table, docs page); sample_speed_quick is the same bench on the quick preset's model
PAGES = {"train_step": (train_table, "bench-train.md"), "train_step_amd": (train_table, "bench-train-amd.md"),
         "sample_speed": (sample_table, "bench-sample.md"),
         "sample_speed_quick": (sample_table, "bench-sample-quick.md"),
         "recommend_speed": (recommend_table, "bench-recommend.md"),
         "service_speed": (service_table, "bench-service.md")}


def main() -> None:
    for name, (render, page) in PAGES.items():
        path = RESULTS / f"{name}.json"
        if path.exists():
            out = Path("docs") / page
            out.write_text(render(json.loads(path.read_text())))
            print(f"wrote {out}")


if __name__ == "__main__":
    main()
