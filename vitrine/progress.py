"""Progress of long work. `progress` is True (a bar on the terminal), False (silent), or a
reporter `report(phase, fraction)` — a job's row, so the shop can say how far its first fit is —
called on every update of every bar, with the bar's description as the phase."""

from __future__ import annotations

from collections.abc import Callable

from tqdm import tqdm

Reporter = Callable[[str, float], None]


class Bar(tqdm):
    """A tqdm bar that also tells a reporter the fraction done."""

    def __init__(self, *args, report: Reporter | None = None, **kwargs):
        self.report, self.phase, self.done = report, kwargs.get("desc", ""), 0
        super().__init__(*args, **kwargs)

    def update(self, n=1):
        self.done += n
        if self.report is not None:
            self.report(self.phase, min(1.0, self.done / self.total) if self.total else 0.0)
        return super().update(n)


def bar(total: int, desc: str, unit: str, progress: bool | Reporter) -> Bar:
    """A bar shown when `progress` is True; when it is a reporter, hidden and reporting."""
    report = progress if callable(progress) else None
    if report is not None:
        report(desc, 0.0)
    return Bar(total=total, desc=desc, unit=unit, disable=progress is not True, report=report)
