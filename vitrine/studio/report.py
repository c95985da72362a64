"""reports/studio/report.md and metrics.json: every part measured in the folder, gathered.

Each part (`previews`, `design`, `launch`) writes its own PART.md and PART.json when it runs, so one part can be
measured again without the others; the report is rebuilt from whichever parts are there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from vitrine.atomic import write_text

PARTS = ("previews", "design", "launch")


def write_part(folder: str | Path, part: str, result: dict, markdown: str) -> None:
    """A part's PART.json (its figures) and PART.md (its section of the report)."""
    folder = Path(folder)
    write_text(folder / f"{part}.json", json.dumps(result, indent=2, default=float) + "\n")
    write_text(folder / f"{part}.md", markdown)


def write_report(folder: str | Path) -> Path:
    folder = Path(folder)
    found = [p for p in PARTS if (folder / f"{p}.json").exists() and (folder / f"{p}.md").exists()]
    metrics = {p: json.loads((folder / f"{p}.json").read_text()) for p in found}
    sections = [re.sub(r"(?m)^# ", "## ", (folder / f"{p}.md").read_text()) for p in found]  # one level down
    write_text(folder / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    text = "\n".join(["# Studio: generation inside recommendation", "",
                      "Written by `vitrine eval studio`; each section by its part (`--parts`).", ""] + sections)
    write_text(folder / "report.md", text)
    return folder / "report.md"
