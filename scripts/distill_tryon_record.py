"""A distilled try-on model against its teacher, from their two `vitrine eval tryon` reports (the
same 500 held-out people, seed and evaluator): SSIM and colour read-back each within 1 point of
the teacher's, on both prompt rows, and one try-on picture in ≤ 0.15 s. Writes the student's
measured.json, which decides whether `vitrine tryon` and the service take it by default
(vitrine.paths.interactive), and prints the comparison.

    vitrine eval tryon --tryon-model models/vitrine-tryon-lcm --out reports/distill/tryon
    python scripts/distill_tryon_record.py [--student models/vitrine-tryon-lcm] [--teacher-report reports/tryon/tryon.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ROWS = {"description": "try-on model",
        "item's prompt": "try-on model, the item's prompt (its colour, pattern and kind lead, as the service sends)"}
POINTS, SECONDS = 1.0, 0.15  # the targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--student", default=str(REPO / "models" / "vitrine-tryon-lcm"))
    parser.add_argument("--student-report", default=str(REPO / "reports" / "distill" / "tryon" / "tryon.json"))
    parser.add_argument("--teacher-report", default=str(REPO / "reports" / "tryon" / "tryon.json"))
    args = parser.parse_args()
    from vitrine.paths import MEASURED_FILE
    student, teacher = (json.loads(Path(p).read_text()) for p in (args.student_report, args.teacher_report))
    for key in ("n", "seed", "guidance"):
        if student[key] != teacher[key]:
            raise SystemExit(f"the reports differ in {key}: {student[key]} vs {teacher[key]}")
    gaps = {}
    for name, row in ROWS.items():
        s, t = student["rows"][row], teacher["rows"][row]
        gaps[name] = {"ssim_points": 100 * (s["ssim"] - t["ssim"]),
                      "colour_points": 100 * (s["colour_accuracy"] - t["colour_accuracy"])}
    quality_ok = all(g >= -POINTS for row in gaps.values() for g in row.values())
    seconds = student["speed"]["seconds_per_picture"]
    measured = {"targets_met": bool(quality_ok and seconds <= SECONDS), "against": "vitrine-tryon",
                "report": "reports/distill/tryon/tryon.md", "steps": student["steps"],
                "teacher_steps": teacher["steps"], "gap_points": gaps, "quality_ok": quality_ok,
                "seconds_per_picture": seconds, "teacher_seconds_per_picture": teacher["speed"]["seconds_per_picture"],
                "speed_ok": seconds <= SECONDS}
    (Path(args.student) / MEASURED_FILE).write_text(json.dumps(measured, indent=2) + "\n")
    for name, row in gaps.items():
        print(f"{name:14s} SSIM {row['ssim_points']:+.2f} points, colour {row['colour_points']:+.1f} points "
              f"(target: each ≥ −{POINTS:g})")
    print(f"one picture {seconds:.3f} s at {student['steps']} steps vs {measured['teacher_seconds_per_picture']:.3f} s "
          f"at {teacher['steps']} (target ≤ {SECONDS} s) → targets_met {measured['targets_met']}")


if __name__ == "__main__":
    main()
