"""One shape for every measured result: a table (columns over rows of figures) with notes around
it, and one writer that puts a report's figures in NAME.json and its text in NAME.md.

    table = Table([Column("model"), Column("Recall@20", "recall", "{:.4f}")], rows)
    write_report(folder, "metrics", figures, "\\n".join([title, "", table.markdown(), "", note]))

A report's pictures are not figures: the code that measures returns them beside its figures (never
inside them), and the report writes them as files the Markdown links to."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vitrine.atomic import write_text


def number(pattern: str) -> Callable[[object], str]:
    """A column format: numbers by the pattern ("{:.3f}"); text (an empty cell, "∞") as it is."""
    return lambda value: value if isinstance(value, str) else pattern.format(value)


@dataclass(frozen=True)
class Column:
    """A table column: its header, the row's value (a key of the row, or a function of it; the
    header when neither is given), and how the value is written (a str.format pattern or a function)."""

    header: str
    value: str | Callable[[dict], object] | None = None
    format: str | Callable[[object], str] = "{}"
    align: str = ""  # "left" or "right"; by default the first column left, the others right

    def cell(self, row: dict) -> str:
        key = self.value if self.value is not None else self.header
        value = key(row) if callable(key) else row[key]
        text = self.format(value) if callable(self.format) else self.format.format(value)
        return text.replace("|", "\\|").replace("\n", " ")


@dataclass
class Table:
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)

    def markdown(self) -> str:
        """The table as GitHub Markdown, numbers right-aligned, one line per row."""
        rules = []
        for k, column in enumerate(self.columns):
            align = column.align or ("left" if k == 0 else "right")
            rules.append("---:" if align == "right" else "---")
        lines = ["| " + " | ".join(c.header for c in self.columns) + " |", "|" + "|".join(rules) + "|"]
        lines += ["| " + " | ".join(c.cell(row) for c in self.columns) + " |" for row in self.rows]
        return "\n".join(lines)


def write_report(folder: str | Path, name: str, figures: dict, markdown: str, text_name: str | None = None) -> Path:
    """NAME.json (the figures) and NAME.md — or TEXT_NAME.md — (the text) in the folder, each
    written whole or not at all; returns the Markdown's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / f"{text_name or name}.md"
    write_text(folder / f"{name}.json", json.dumps(figures, indent=2, default=float) + "\n")
    write_text(text, markdown if markdown.endswith("\n") else markdown + "\n")
    return text
