"""reports/studio/report.md and metrics.json: every part measured in the folder, gathered.

Each part (`previews`, `design`, `launch`) writes its own PART.md and PART.json when it runs, so one part can be
measured again without the others; the report is rebuilt from whichever parts are there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from vitrine.results import write_report as write_files

PARTS = ("previews", "design", "launch")


def write_part(folder: str | Path, part: str, result: dict, markdown: str) -> None:
    """A part's PART.json (its figures) and PART.md (its section of the report)."""
    write_files(folder, part, result, markdown)


def write_report(folder: str | Path) -> Path:
    folder = Path(folder)
    found = [p for p in PARTS if (folder / f"{p}.json").exists() and (folder / f"{p}.md").exists()]
    metrics = {p: json.loads((folder / f"{p}.json").read_text()) for p in found}
    sections = [re.sub(r"(?m)^# ", "## ", (folder / f"{p}.md").read_text()) for p in found]  # one level down
    text = "\n".join(["# Studio: generation inside recommendation", "",
                      "Written by `vitrine eval studio`; each section by its part (`--parts`).", ""] + sections)
    return write_files(folder, "metrics", metrics, text, "report")
