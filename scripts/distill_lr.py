"""A short learning-rate sweep of `vitrine distill` before the full run: each rate distils the teacher
for `--steps` steps from the same seed, then its 4-step pictures of the fixed prompts are read back by
the shipped evaluator (category, colour, pattern) beside the loss of its last 50 steps.

    python scripts/distill_lr.py --lrs 1e-4,3e-4 --steps 200 [--out reports/distill/lr-sweep.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", default=str(REPO / "models" / "vitrine-fashion-32"))
    parser.add_argument("--data-dir", default="vitrine-data")
    parser.add_argument("--lrs", default="1e-4,3e-4")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--out", default=str(REPO / "reports" / "distill" / "lr-sweep.json"))
    args = parser.parse_args()
    import tempfile

    import numpy as np

    from vitrine.diffusion.cli import store_training_data
    from vitrine.diffusion.config import DistillConfig
    from vitrine.diffusion.distill import Distiller, run_config
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import attribute_accuracy, load_evaluator
    from vitrine.evaluate.generation import Setting, generate
    from vitrine.evaluate.prompts import prompt_set
    from vitrine.storage.store import Store
    store = Store(args.data_dir, create=False)
    evaluator = load_evaluator(REPO / "models" / "evaluator")
    prompts = prompt_set(args.prompts, 0)
    targets = {c: np.repeat([getattr(p, c) for p in prompts], args.samples) for c in evaluator.heads}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = None
        for lr in (float(v) for v in args.lrs.split(",")):
            config = DistillConfig(teacher=args.teacher, steps=args.steps, lr=lr, checkpoint_every=10**9)
            teacher = load_pipeline(args.teacher, sampler=None)
            run = run_config(config, Path(args.teacher), latent=False)
            out = Path(tmp) / f"lr{lr:g}"
            if data is None:
                data = store_training_data(store, run, out, None, 1, progress=False).data
            distiller = Distiller(config, run, teacher, data, out)
            start = time.perf_counter()
            distiller.run(progress=True)
            seconds = time.perf_counter() - start
            student = load_pipeline(distiller.export(out / "pipeline"))
            images = generate(student, prompts, args.samples, Setting("lcm", 4, 3.0), 0, progress=False)
            accuracy = attribute_accuracy(evaluator.predict(images), targets)
            rows.append({"lr": lr, "steps": args.steps, "seconds_per_step": seconds / args.steps,
                         "last_loss": float(np.mean(distiller.losses[-50:])), "accuracy_4_steps": accuracy})
            print(json.dumps(rows[-1]))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"prompts": args.prompts, "samples": args.samples, "rows": rows}, indent=2)
                              + "\n")


if __name__ == "__main__":
    main()
