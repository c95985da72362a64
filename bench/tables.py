"""Markdown tables from the committed benchmark JSON (bench/results/*.json → docs/bench-*.md).

    python bench/tables.py
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path("bench/results")


def train_table(data: dict) -> str:
    lines = ["# Training step benchmark", "",
             f"`python bench/train_step.py` — batch {data['batch']}, {data['threads']} threads, "
             f"fp32 GEMM measured in the same run: {data['gemm_fp32_flops'] / 1e9:.0f} GFLOP/s. "
             "Medians of timed steps; speed-ups against the first (reference) row of the same preset.", "",
             "| preset | recipe | s/step | img/s | × reference | GFLOP/step | % of GEMM rate |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in data["runs"]:
        lines.append(f"| {r['preset']} | {r['recipe']} | {r['median_s']:.3f} | {r['img_s']:.1f} | "
                     f"{r['speedup_vs_reference']:.2f} | {r['flops_per_step'] / 1e9:.1f} | "
                     f"{r['utilisation_of_gemm']:.0%} |")
    return "\n".join(lines) + "\n"


def sample_table(data: dict) -> str:
    lines = ["# Sampling benchmark", "",
             f"`python bench/sample_speed.py` — preset {data['preset']}, classifier-free guidance "
             f"{data['guidance']}, {data['threads']} threads. Seconds per image (median).", "",
             "| sampler | steps | precision | images per call | s/image |", "|---|---:|---|---:|---:|"]
    for r in data["rows"]:
        lines.append(f"| {r['sampler']} | {r['steps']} | {r['precision']} | {r['images_per_call']} | "
                     f"{r['seconds_per_image']:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    for name, render in (("train_step", train_table), ("sample_speed", sample_table)):
        path = RESULTS / f"{name}.json"
        if path.exists():
            out = Path("docs") / f"bench-{name.split('_')[0]}.md"
            out.write_text(render(json.loads(path.read_text())))
            print(f"wrote {out}")


if __name__ == "__main__":
    main()
