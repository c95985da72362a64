"""Does the distilled model's fine grain come from where its 4 steps fall? The student sampled at
other LCM timesteps on its 50-point grid (the last step nearer t = 0, or 3 steps), read back and
eval-FID by `vitrine eval generation`'s protocol (the built catalog's 52 fixed prompts × 8,
guidance 3), beside its default [999, 759, 499, 259].

    python scripts/distill_timesteps.py [--student models/vitrine-fashion-32-lcm] [--out reports/distill/timesteps.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

VARIANTS = {"default": None, "last step at 179": [999, 719, 439, 179], "last step at 99": [999, 679, 359, 99],
            "last step at 39": [999, 659, 339, 39], "3 steps to 99": [999, 499, 99]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--student", default=str(REPO / "models" / "vitrine-fashion-32-lcm"))
    parser.add_argument("--data-dir", default="vitrine-data", help="the built catalog (`make data`)")
    parser.add_argument("--out", default=str(REPO / "reports" / "distill" / "timesteps.json"))
    args = parser.parse_args()
    from diffusers import LCMScheduler

    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.cli import judged_prompts
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.evaluate.generation import Setting, evaluate_generation
    from vitrine.storage.store import Store
    evaluator = load_evaluator(REPO / "models" / "evaluator")
    pool, prompts = judged_prompts(Store(args.data_dir, create=False), evaluator, "fixed", 52, 0, progress=False)
    pipe = load_pipeline(args.student)
    default_set_timesteps = LCMScheduler.set_timesteps
    rows = []
    try:
        for name, timesteps in VARIANTS.items():
            # the pipeline asks for n steps; the scheduler is told these timesteps instead
            LCMScheduler.set_timesteps = (default_set_timesteps if timesteps is None else
                                          lambda self, n, device=None, ts=timesteps: default_set_timesteps(
                                              self, device=device, timesteps=ts))
            steps = 4 if timesteps is None else len(timesteps)
            result, _ = evaluate_generation(pipe, evaluator, pool, prompts, [Setting("lcm", steps, 3.0)], samples=8,
                                            subset_prompts=1, seed=0, progress=False)
            row = result["rows"][0]
            rows.append({"variant": name, "timesteps": pipe.scheduler.timesteps.tolist(), "accuracy": row["accuracy"],
                         "fid": row["fid"]})
            print(f"{name:18s} {rows[-1]['timesteps']}  " + "  ".join(f"{k} {v:.1%}" for k, v in row["accuracy"].items())
                  + f"  eval-FID {row['fid']:.2f}", flush=True)
    finally:
        LCMScheduler.set_timesteps = default_set_timesteps
    Path(args.out).write_text(json.dumps({"student": str(Path(args.student).name), "prompts": 52, "samples": 8,
                                          "guidance": 3.0, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
