"""An import's report: each problem by file, line and field, and the counts of what was stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class ImportFailed(Exception):
    """The import stopped; nothing it read was stored."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class RowError(ValueError):
    """One row (or one field of it) is bad; `field` names which."""

    def __init__(self, field_name: str | None, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass
class ImportReport:
    source: str
    strict: bool = False
    items: int = 0
    users: int = 0
    events: int = 0
    images: int = 0
    skipped_rows: list[Problem] = field(default_factory=list)
    unreadable_images: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    updated: dict[str, dict] = field(default_factory=dict)  # item_id → {field: [old, new]}
    split: dict | None = None

    def skip(self, problem: Problem) -> None:
        if self.strict:
            raise ImportFailed(problem)
        self.skipped_rows.append(problem)

    def bad_image(self, problem: Problem) -> None:
        if self.strict:
            raise ImportFailed(problem)
        self.unreadable_images.append(problem)

    def summary(self, limit: int = 20) -> str:
        lines = [f"imported from {self.source}: {self.items:,} items ({len(self.updated):,} of them updated), "
                 f"{self.users:,} new users, {self.events:,} events, {self.images:,} images",
                 f"skipped rows: {len(self.skipped_rows):,}; unreadable images: {len(self.unreadable_images):,}"]
        if self.split:
            lines.append(f"split: train before {_day(self.split['train_end_ms'])}, valid before "
                         f"{_day(self.split['valid_end_ms'])}, test after; {self.split['new_items']:,} new items "
                         "(first seen in the test period)")
        for item_id, changed in list(self.updated.items())[:limit]:
            shown = "; ".join(f"{k}: {_short(old)} → {_short(new)}" for k, (old, new) in changed.items())
            lines.append(f"  updated {item_id}: {shown}")
        if len(self.updated) > limit:
            lines.append(f"  … and {len(self.updated) - limit:,} more updated items")
        for title, problems in (("skipped", self.skipped_rows), ("unreadable image", self.unreadable_images),
                                ("warning", self.warnings)):
            for p in problems[:limit]:
                lines.append(f"  {title}: {p}")
            if len(problems) > limit:
                lines.append(f"  … and {len(problems) - limit:,} more {title} lines")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"source": self.source, "items": self.items, "users": self.users, "events": self.events,
                "images": self.images,
                "skipped_rows": [str(p) for p in self.skipped_rows],
                "unreadable_images": [str(p) for p in self.unreadable_images],
                "warnings": [str(p) for p in self.warnings],
                "updated": self.updated, "split": self.split}


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d")


def _short(value) -> str:
    text_value = repr(value)
    return text_value if len(text_value) <= 40 else text_value[:37] + "…"
