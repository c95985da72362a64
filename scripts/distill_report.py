"""reports/distill: a distilled model against its teacher, by `vitrine eval generation`'s protocol.

The same prompts (the built catalog's fixed set), seeds, real reference photos and evaluator for
every row; the teacher at its default setting (DPM-Solver++ SDE, 20 steps, guidance 3: 40 U-Net
calls a picture) and the student at 8, 4, 2 and 1 LCM steps (one call each) at the same guidance.
Each row's eval-FID carries a bootstrap interval (images resampled, 200 rounds; the student rows'
ratio to the teacher's is paired on the same resampled pictures).

    python scripts/distill_report.py --student models/vitrine-fashion-32-lcm [--samples 20] [--out reports/distill]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vitrine.results import Column, Table  # noqa: E402

STUDENT_STEPS = (8, 4, 2, 1)
# the targets: 4 steps against the teacher at 20
TARGETS = {"read_back_points": 2.0, "fid_ratio": 1.25}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", default=str(REPO / "models" / "vitrine-fashion-32"))
    parser.add_argument("--student", required=True, help="the distilled model folder")
    parser.add_argument("--data-dir", default="vitrine-data", help="the built catalog (`make data`)")
    parser.add_argument("--prompts", type=int, default=52)
    parser.add_argument("--samples", type=int, default=20, help="pictures per prompt (default 20: 1,040 a row)")
    parser.add_argument("--guidance", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=200, help="bootstrap rounds of the FID interval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(REPO / "reports" / "distill"))
    parser.add_argument("--record", action="store_true",
                        help="also write the student's measured.json: whether it met the targets, which decides "
                             "whether the interactive uses draw with it (vitrine.paths.interactive)")
    args = parser.parse_args()

    from vitrine.diffusion.grid import save_grid
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.cli import judged_prompts
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.evaluate.generation import Setting, evaluate_generation
    from vitrine.evaluate.metrics import bootstrap_fids
    from vitrine.storage.store import Store
    store = Store(args.data_dir, create=False)
    evaluator = load_evaluator(REPO / "models" / "evaluator")
    pool, prompts = judged_prompts(store, evaluator, "fixed", args.prompts, args.seed, progress=False)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = [(args.teacher, [Setting("dpm++sde", 20, args.guidance)]),
            (args.student, [Setting("lcm", steps, args.guidance) for steps in STUDENT_STEPS])]
    rows, images_of, reference = [], [], None
    for folder, settings in runs:
        pipe = load_pipeline(folder)
        result, pictures = evaluate_generation(pipe, evaluator, pool, prompts, settings, samples=args.samples,
                                               subset_prompts=1, seed=args.seed, progress=True)
        reference = reference or result
        for row in result["rows"]:
            images = pictures[(row["setting"], False)]
            calls = row["steps"] * (1 if pipe.distilled else 2)
            name = f"samples-{row['sampler'].replace('+', 'p')}-{row['steps']}.png"
            shown = images[: 16 * args.samples].reshape(16, args.samples, *images.shape[1:])[:, :4].flatten(0, 1)
            save_grid([to_pil(x) for x in shown], out / name, columns=8,
                      title=f"{row['setting']} ({calls} U-Net calls a picture)")
            rows.append({**row, "model": shown_path(folder), "unet_calls": calls, "grid": name,
                         **{f"acc_{k}": v for k, v in row["accuracy"].items()}})
            images_of.append(images)
    # FID's spread by bootstrap (normal intervals, FID ± 1.96 standard errors), each student row also
    # paired with the teacher's on the same resampled pictures: the difference and the ratio
    boots = bootstrap_fids(evaluator, real_photos(pool, prompts, args.samples, args.seed), images_of,
                           rounds=args.rounds, seed=args.seed)
    for k, row in enumerate(rows):
        se = boots[:, k].std(ddof=1)
        row["fid_low"], row["fid_high"] = row["fid"] - 1.96 * se, row["fid"] + 1.96 * se
        if k:
            ratio, se_ratio = row["fid"] / rows[0]["fid"], (boots[:, k] / boots[:, 0]).std(ddof=1)
            row["fid_ratio"], row["fid_ratio_low"], row["fid_ratio_high"] = (ratio, ratio - 1.96 * se_ratio,
                                                                             ratio + 1.96 * se_ratio)
    teacher = rows[0]
    checks = targets_met(teacher, rows)
    result = {"prompts": len(prompts), "samples_per_prompt": args.samples, "guidance": args.guidance,
              "ceiling": reference["ceiling"], "floor": reference["floor"], "rounds": args.rounds,
              "rows": rows, "targets": checks}
    (out / "metrics.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
    (out / "report.md").write_text(report(result, args))
    if args.record:
        from vitrine.paths import MEASURED_FILE
        measured = {"targets_met": bool(checks and checks["read_back_ok"] and checks["fid_ok"]),
                    "against": str(Path(args.teacher).name), "report": "reports/distill/report.md", **checks}
        (Path(args.student) / MEASURED_FILE).write_text(json.dumps(measured, indent=2, default=float) + "\n")
    print((out / "report.md").read_text())


def real_photos(pool, prompts, samples: int, seed: int):
    """The held-out real photos evaluate_generation compares with (its first draw from the same seed)."""
    import numpy as np

    from vitrine.evaluate.evaluator import to_tensor
    rng = np.random.default_rng(seed)
    index = np.concatenate([pool.sample(p, "test", samples, rng) for p in prompts])
    return to_tensor(pool.images[index])


def shown_path(folder) -> str:
    """A model folder as the report names it: relative to the checkout when inside it."""
    path = Path(folder).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(folder)


def to_pil(image):
    from PIL import Image
    return Image.fromarray((image.permute(1, 2, 0).clamp(0, 1).numpy() * 255).round().astype("uint8"))


def targets_met(teacher: dict, rows: list[dict]) -> dict:
    """The 4-step row against the teacher: each read-back within 2 points, eval-FID ≤ 1.25×."""
    four = next((r for r in rows if r["sampler"] == "lcm" and r["steps"] == 4), None)
    if four is None:
        return {}
    gaps = {k: 100 * (four["accuracy"][k] - teacher["accuracy"][k]) for k in teacher["accuracy"]}
    return {"read_back_gap_points": gaps,
            "read_back_ok": all(g >= -TARGETS["read_back_points"] for g in gaps.values()),
            "fid_ratio": four["fid"] / teacher["fid"], "fid_ratio_low": four["fid_ratio_low"],
            "fid_ratio_high": four["fid_ratio_high"], "fid_ok": four["fid"] <= TARGETS["fid_ratio"] * teacher["fid"],
            "unet_calls": {"teacher": teacher["unet_calls"], "student": four["unet_calls"]}}


def report(result: dict, args) -> str:
    table = Table([Column("model"), Column("setting"), Column("U-Net calls", "unet_calls", "{:d}"),
                   Column("category", "acc_category", "{:.1%}"), Column("colour", "acc_colour", "{:.1%}"),
                   Column("pattern", "acc_pattern", "{:.1%}"), Column("eval-FID", "fid", "{:.2f}"),
                   Column("FID 95 % interval", "fid_interval"), Column("FID ÷ teacher's (95 %)", "ratio"),
                   Column("diversity vs real", "diversity_ratio", "{:.0%}")],
                  [{**r, "fid_interval": f"{r['fid_low']:.2f}–{r['fid_high']:.2f}",
                    "ratio": (f"{r['fid_ratio']:.2f} ({r['fid_ratio_low']:.2f}–{r['fid_ratio_high']:.2f})"
                              if "fid_ratio" in r else "1")} for r in result["rows"]])
    t = result["targets"]
    lines = ["# Distilled model against its teacher", "",
             f"`python scripts/distill_report.py --student {args.student} --samples {args.samples}`: the built "
             f"catalog's {result['prompts']} fixed prompts × {result['samples_per_prompt']} pictures per row, the same "
             f"seeds and real held-out photos for every row, guidance {result['guidance']:g}, judged by the shipped "
             f"evaluator (its accuracy on the matching real photos: " +
             ", ".join(f"{k} {v:.1%}" for k, v in result["ceiling"].items()) +
             f"; real-vs-real FID floor {result['floor']['fid']:.2f}). FID intervals: ± 1.96 standard errors from "
             f"{result['rounds']} bootstrap rounds (real and generated pictures resampled; every row's pictures "
             "resampled alike, so the ratio to the teacher's is paired).", "", table.markdown(), ""]
    if t:
        gaps = ", ".join(f"{k} {v:+.1f}" for k, v in t["read_back_gap_points"].items())
        lines += ["## Targets (4 steps against the teacher at 20)", "",
                  f"- read-back within 2 points: {gaps} points → **{'met' if t['read_back_ok'] else 'not met'}**",
                  f"- eval-FID ≤ 1.25 × the teacher's: ratio {t['fid_ratio']:.2f} (95 % interval "
                  f"{t['fid_ratio_low']:.2f}–{t['fid_ratio_high']:.2f}) → **{'met' if t['fid_ok'] else 'not met'}**",
                  f"- U-Net calls per picture: {t['unet_calls']['student']} (teacher {t['unet_calls']['teacher']})", ""]
    lines += [f"![{r['setting']}]({r['grid']})" for r in result["rows"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
