"""How long `studio launch` and `studio design` take once their models are loaded, on the demo shop
(`make demo`, then `vitrine fit`): a launch is n candidate pictures, the pick, the item vector and
a 100-shopper audience; a design is 8 designs kept from 32 pictures (the 8 best prompts × 4).

    python bench/studio_speed.py [--data-dir vitrine-data] [--repeats 5] [--candidates 4] [--student DIR]

Writes bench/results/studio_speed.json and docs/bench-studio.md; medians of the timed calls after
one warm-up call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vitrine.results import Column, Table  # noqa: E402

PROMPTS = ["a mustard yellow checked coat", "navy blue striped sneakers", "a red dotted dress",
           "a plain black bag", "green checked trousers"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="vitrine-data", help="store with a fitted recommender")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per row (default 5)")
    parser.add_argument("--candidates", type=int, default=4, help="pictures per launch (default 4)")
    parser.add_argument("--student", help="also time these uses with this distilled model at its default 4 steps, "
                                           "in the same run")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "studio_speed.json"))
    args = parser.parse_args()
    import torch

    from vitrine.storage.store import Store
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.recommend.serve import Recommendations
    from vitrine.studio.design import Designer
    from vitrine.studio.launch import launch, top_audience
    store = Store(args.data_dir, create=False)
    recs = Recommendations(store.data_dir / "models" / "recommender")
    pipe = load_pipeline(REPO / "models" / "vitrine-fashion-32")
    evaluator = load_evaluator(REPO / "models" / "evaluator")
    launch(pipe, evaluator, recs, "a red hat", 20.0, n=1, audience=10)  # warm-up: encoder, user vectors
    rows = []
    for label, kwargs in ((f"launch, {args.candidates} candidates, audience 100", {}),
                          (f"launch, {args.candidates} candidates, 10 steps, audience 100", {"steps": 10})):
        times = []
        for k in range(args.repeats):
            start = time.perf_counter()
            result = launch(pipe, evaluator, recs, PROMPTS[k % len(PROMPTS)], 49.0, n=args.candidates,
                            audience=100, **kwargs)
            times.append(time.perf_counter() - start)
        rows.append({"setting": label, "median_s": statistics.median(times), "times": times})
    start = time.perf_counter()
    for _ in range(args.repeats):
        top_audience(recs, result.vector, 100)
    rows.append({"setting": "audience of 100 alone (user vectors cached)",
                 "median_s": (time.perf_counter() - start) / args.repeats})
    start = time.perf_counter()
    designer = Designer(pipe, recs)
    rows.append({"setting": "design: prompts' vectors, once per process", "median_s": time.perf_counter() - start})
    users = [str(u) for u in recs.user_ids[:args.repeats]]
    designer.design(users[0])  # warm-up
    for label, steps in (("design, 8 of 32 pictures, 10 steps", 10), ("design, 8 of 32 pictures, 8 steps", 8)):
        designer.steps = steps
        times = []
        for user in users:
            start = time.perf_counter()
            designer.design(user, n=8, prompts=8, per_prompt=4)
            times.append(time.perf_counter() - start)
        rows.append({"setting": label, "median_s": statistics.median(times), "times": times})
    if args.student:
        rows += student_rows(load_pipeline(args.student), evaluator, recs, users, args)
    result = {"users": len(recs.user_ids), "items": len(recs.item_ids), "threads": torch.get_num_threads(),
              "student": args.student, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    command = "python bench/studio_speed.py" + (f" --student {args.student}" if args.student else "")
    lines = ["# Studio speed", "", f"`{command}` — the demo shop ({result['users']:,} shoppers, "
             f"{result['items']:,} items), {result['threads']} threads, fp32, models loaded beforehand; median of "
             f"{args.repeats} timed calls after a warm-up call (the prompts' vectors: one call).", "",
             Table([Column("setting"), Column("seconds", "median_s", "{:.3f}")], rows).markdown()]
    (REPO / "docs" / "bench-studio.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def student_rows(pipe, evaluator, recs, users: list[str], args) -> list[dict]:
    """A launch and a design drawn by a distilled model at its default steps (one U-Net call a step)."""
    from vitrine.studio.design import Designer
    from vitrine.studio.launch import launch
    launch(pipe, evaluator, recs, "a red hat", 20.0, n=1, audience=10)  # warm-up
    times = []
    for k in range(args.repeats):
        start = time.perf_counter()
        launch(pipe, evaluator, recs, PROMPTS[k % len(PROMPTS)], 49.0, n=args.candidates, audience=100)
        times.append(time.perf_counter() - start)
    rows = [{"setting": f"distilled: launch, {args.candidates} candidates, {pipe.default_steps()} steps, audience 100",
             "median_s": statistics.median(times), "times": times}]
    designer = Designer(pipe, recs)
    designer.design(users[0])  # warm-up
    times = []
    for user in users:
        start = time.perf_counter()
        designer.design(user, n=8, prompts=8, per_prompt=4)
        times.append(time.perf_counter() - start)
    rows.append({"setting": f"distilled: design, 8 of 32 pictures, {designer.steps} steps",
                 "median_s": statistics.median(times), "times": times})
    return rows


if __name__ == "__main__":
    main()
