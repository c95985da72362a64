"""Seconds per picture of a distilled model against its teacher, side by side in one process.

Batch of 16 pictures of one prompt, guidance 3: the teacher at its default (DPM-Solver++ SDE, 20
steps, two U-Net calls a step) and the student at 8, 4, 2 and 1 LCM steps (one call a step). The
rows take turns within each repeat, so a slow spell of the shared machine falls on all of them;
each row is the median of `--repeats` timed calls after one warm-up call. U-Net calls are counted
by a forward hook, not assumed.

    python bench/distill_speed.py --student models/vitrine-fashion-32-lcm [--repeats 7]

Writes bench/results/distill_speed.json and docs/bench-distill.md.
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

PROMPT = "a red striped t-shirt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", default=str(REPO / "models" / "vitrine-fashion-32"))
    parser.add_argument("--student", required=True)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "distill_speed.json"))
    parser.add_argument("--doc", default=str(REPO / "docs" / "bench-distill.md"))
    parser.add_argument("--service", metavar="DATA_DIR",
                        help="also time the service's 4-picture generation job, POST to done, on an idle `vitrine "
                             "serve` of this store with each model (median of --repeats after a warm-up job; "
                             "the pictures are stored in it)")
    args = parser.parse_args()
    import torch

    from vitrine.diffusion.pipeline import load_pipeline
    teacher, student = load_pipeline(args.teacher), load_pipeline(args.student)
    rows = [("teacher", teacher, 20)] + [("student", student, steps) for steps in (8, 4, 2, 1)]
    calls = {id(teacher): 0, id(student): 0}
    for pipe in (teacher, student):
        pipe.unet.register_forward_hook(lambda *_, key=id(pipe): calls.__setitem__(key, calls[key] + 1))
    times = {i: [] for i in range(len(rows))}
    counted = {}
    for repeat in range(args.repeats + 1):  # the first round warms up
        for i, (_, pipe, steps) in enumerate(rows):
            generators = [torch.Generator().manual_seed(j) for j in range(args.batch)]
            before = calls[id(pipe)]
            start = time.perf_counter()
            pipe(PROMPT, num_images_per_prompt=args.batch, num_inference_steps=steps, guidance_scale=3.0,
                 generator=generators, output_type="pt")
            seconds = time.perf_counter() - start
            counted[i] = calls[id(pipe)] - before
            if repeat:
                times[i].append(seconds)
    teacher_s = statistics.median(times[0]) / args.batch
    results = []
    for i, (who, pipe, steps) in enumerate(rows):
        per_image = statistics.median(times[i]) / args.batch
        # one forward call runs the whole batch; the teacher's holds the guided batch's two halves,
        # so each of its pictures costs two network evaluations a step
        per_picture = counted[i] * (1 if pipe.distilled else 2)
        results.append({"model": who, "folder": str(Path(args.teacher if who == "teacher" else args.student)),
                        "sampler": type(pipe.scheduler).__name__, "steps": steps,
                        "unet_calls_per_picture": per_picture, "seconds_per_image": per_image,
                        "speedup_vs_teacher": teacher_s / per_image,
                        "times": [t / args.batch for t in times[i]]})
    out = {"batch": args.batch, "repeats": args.repeats, "threads": torch.get_num_threads(), "rows": results}
    if args.service:
        out["service_job"] = [{"model": who, **service_job(args.service, folder, args.repeats)}
                              for who, folder in (("teacher", args.teacher), ("student", args.student))]
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    table = Table([Column("model"), Column("sampler"), Column("steps", "steps", "{:d}"),
                   Column("U-Net calls a picture", "unet_calls_per_picture", "{:d}"),
                   Column("s/image", "seconds_per_image", "{:.4f}"),
                   Column("× faster than the teacher", "speedup_vs_teacher", "{:.1f}")], results)
    lines = ["# Distilled model: sampling speed", "",
             f"`python bench/distill_speed.py --student {args.student}` — batch {args.batch} of one prompt, guidance 3, "
             f"{out['threads']} threads, fp32; median of {args.repeats} timed calls per row after a warm-up round, the "
             "rows taking turns within each round. U-Net calls counted by a forward hook (the teacher's guided call "
             "evaluates the conditional and unconditional halves together: two calls' worth a picture).", "",
             table.markdown()]
    if args.service:
        jobs = Table([Column("model"), Column("steps (the model's default)", "steps", "{:d}"),
                      Column("median s, POST to done", "median_s", "{:.3f}")], out["service_job"])
        lines += ["", f"The service's generation job of 4 pictures (`--service {args.service}`): `vitrine serve --model "
                  "MODEL` on the store, idle, the pipeline loaded by a first job; POST /generate with no steps "
                  f"given, then GET its URL until done; median of {args.repeats}.", "", jobs.markdown()]
    Path(args.doc).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def service_job(data_dir: str, model: str, repeats: int) -> dict:
    """POST /generate (4 pictures, the model's default steps) to done on an idle server with `model`."""
    sys.path.insert(0, str(REPO / "bench"))
    from service_speed import start_server, stop_server
    server, _, client = start_server(data_dir, 1, extra=("--model", model))
    try:
        def once(seed: int) -> tuple[float, dict]:
            start = time.perf_counter()
            url = client.post("/generate", json={"prompt": "a red striped dress", "n": 4, "seed": seed}).json()["url"]
            while (body := client.get(url).json())["status"] in ("queued", "running"):
                time.sleep(0.005)
            if body["status"] != "done":
                raise SystemExit(f"the generation job failed: {body}")
            return time.perf_counter() - start, body
        once(0)  # loads the pipeline
        times = [once(seed)[0] for seed in range(1, repeats + 1)]
        from vitrine.diffusion.pipeline import load_pipeline
        return {"steps": load_pipeline(model).steps_or_default(None, 20), "median_s": statistics.median(times),
                "times": times}
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
