"""A distilled try-on model against its teacher, from pairs of `vitrine eval tryon` reports (the
same 500 held-out people and evaluator; each pair one seed, i.e. other garments and noise): SSIM
and colour read-back each within 1 point of the teacher's on both prompt rows, the gaps averaged
over the pairs, and one try-on picture in ≤ 0.15 s. Writes the student's measured.json, which
decides whether `vitrine tryon` and the service take it by default (vitrine.paths.interactive),
and prints the comparison, seed by seed and pooled.

    vitrine eval tryon --tryon-model models/vitrine-tryon-lcm --out reports/distill/tryon
    for s in 1 2 3; do
      vitrine eval tryon --seed $s --tryon-model models/vitrine-tryon-lcm --out reports/distill/tryon/seeds/student-$s
      vitrine eval tryon --seed $s --tryon-model models/vitrine-tryon --out reports/distill/tryon/seeds/teacher-$s
    done
    python scripts/distill_tryon_record.py [--student models/vitrine-tryon-lcm] \
        [--seed-reports reports/distill/tryon/seeds]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ROWS = {"description": "try-on model",
        "item's prompt": "try-on model, the item's prompt (its colour, pattern and kind lead, as the service sends)"}
POINTS, SECONDS = 1.0, 0.15  # the targets


def report_pairs(student_report: Path, teacher_report: Path, seed_reports: Path | None) -> list[tuple[dict, dict]]:
    """(student, teacher) reports: the given pair, then DIR/student-S and DIR/teacher-S for each seed S
    found; SystemExit when a pair differs in its cases or two pairs share a seed."""
    paths = [(student_report, teacher_report)]
    if seed_reports is not None:
        for folder in sorted(seed_reports.glob("student-*")):
            teacher = seed_reports / folder.name.replace("student", "teacher")
            paths.append((folder / "tryon.json", teacher / "tryon.json"))
    pairs = []
    for s_path, t_path in paths:
        student, teacher = read_report(s_path), read_report(t_path)
        for key in ("n", "seed", "guidance"):
            if student[key] != teacher[key]:
                raise SystemExit(f"{s_path} and {t_path} differ in {key}: {student[key]} vs {teacher[key]}")
        pairs.append((student, teacher))
    seeds = [student["seed"] for student, _ in pairs]
    if len(set(seeds)) != len(seeds):
        raise SystemExit(f"two report pairs share a seed: {seeds}")
    return pairs


def read_report(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path}: unreadable report ({exc})") from None


def gap_points(student: dict, teacher: dict) -> dict:
    """Per prompt row: the student's SSIM and colour read-back minus the teacher's, in points."""
    gaps = {}
    for name, row in ROWS.items():
        s, t = student["rows"][row], teacher["rows"][row]
        gaps[name] = {"ssim_points": 100 * (s["ssim"] - t["ssim"]),
                      "colour_points": 100 * (s["colour_accuracy"] - t["colour_accuracy"])}
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--student", default=str(REPO / "models" / "vitrine-tryon-lcm"))
    parser.add_argument("--student-report", default=str(REPO / "reports" / "distill" / "tryon" / "tryon.json"))
    parser.add_argument("--teacher-report", default=str(REPO / "reports" / "tryon" / "tryon.json"))
    parser.add_argument("--seed-reports", default=str(REPO / "reports" / "distill" / "tryon" / "seeds"),
                        help="folder of student-S/ and teacher-S/ report pairs at further seeds ('' for none)")
    args = parser.parse_args()
    from vitrine.paths import MEASURED_FILE
    if not Path(args.student).is_dir():
        raise SystemExit(f"--student {args.student}: no such model folder")
    seed_reports = Path(args.seed_reports) if args.seed_reports else None
    pairs = report_pairs(Path(args.student_report), Path(args.teacher_report), seed_reports)
    per_seed = {str(student["seed"]): gap_points(student, teacher) for student, teacher in pairs}

    def over_seeds(statistic) -> dict:
        """Per prompt row and figure: `statistic` of the seeds' gaps."""
        return {name: {key: statistic([gaps_of_seed[name][key] for gaps_of_seed in per_seed.values()])
                       for key in ("ssim_points", "colour_points")} for name in ROWS}

    gaps = over_seeds(statistics.fmean)
    # the spread of the seeds' gaps: their standard error, s/√k (none from one seed)
    spread = over_seeds(lambda g: statistics.stdev(g) / len(g) ** 0.5) if len(per_seed) > 1 else None
    quality_ok = all(g >= -POINTS for row in gaps.values() for g in row.values())
    student, teacher = pairs[0]
    seconds = student["speed"]["seconds_per_picture"]
    measured = {"targets_met": bool(quality_ok and seconds <= SECONDS), "against": "vitrine-tryon",
                "report": "reports/distill/tryon/tryon.md", "steps": student["steps"],
                "teacher_steps": teacher["steps"], "cases": sum(s["n"] for s, _ in pairs), "gap_points": gaps,
                "gap_points_per_seed": per_seed, "gap_points_standard_error": spread, "quality_ok": quality_ok,
                "seconds_per_picture": seconds, "teacher_seconds_per_picture": teacher["speed"]["seconds_per_picture"],
                "speed_ok": seconds <= SECONDS}
    (Path(args.student) / MEASURED_FILE).write_text(json.dumps(measured, indent=2) + "\n")
    for seed, seed_gaps in [*per_seed.items(), ("pooled", gaps)]:
        for name, row in seed_gaps.items():
            error = (f" (standard error over seeds {spread[name]['colour_points']:.2f})"
                     if spread and seed == "pooled" else "")
            print(f"seed {seed:6s} {name:14s} SSIM {row['ssim_points']:+.2f} points, "
                  f"colour {row['colour_points']:+.2f} points{error}")
    print(f"target: each pooled gap ≥ −{POINTS:g} over {measured['cases']:,} cases; one picture {seconds:.3f} s at "
          f"{student['steps']} steps vs {measured['teacher_seconds_per_picture']:.3f} s at {teacher['steps']} "
          f"(target ≤ {SECONDS} s) → targets_met {measured['targets_met']}")


if __name__ == "__main__":
    main()
