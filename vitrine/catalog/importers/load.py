"""The one-transaction load: validate every row of a Source, store it through `Store.loading()`,
record the temporal split, and fill the report.

An importer turns its files into three streams (items, users, events), each row tagged with the
file and line it came from. A bad row is skipped and reported (file, line, field, reason); with
`strict=True` the first bad row aborts the import and the store is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from vitrine.storage import schema
from vitrine.storage.images import UnreadableImage
from vitrine.catalog.importers.fields import user_row
from vitrine.catalog.importers.report import ImportReport, Problem, RowError
from vitrine.storage.store import Store

CHUNK = 20_000
MAX_IMAGE_BYTES = 20 * 1024 * 1024


Stream = Callable[[ImportReport], Iterable[tuple[str, int, Callable[[], dict]]]]


def _nothing(_report: ImportReport):
    return ()


@dataclass
class Source:
    """What an importer hands to `run_import`: for items, users and events, a function that, given
    the report, yields (file, line, parse) where parse() returns the row or raises RowError."""

    name: str
    items: Stream = _nothing
    users: Stream = _nothing
    events: Stream = _nothing
    # Items an event may name without an items file (RetailRocket): built on first sight.
    placeholder_item: Callable[[str], dict] | None = None


def _parsed(stream, report: ImportReport) -> Iterator[tuple[str, int, dict]]:
    for file, line, parse in stream:
        try:
            yield file, line, parse()
        except RowError as exc:
            report.skip(Problem(file, line, exc.field, str(exc)))


def _store_image(load, report: ImportReport, file: str, line: int, image_path: Path | None):
    if image_path is None:
        return None
    try:
        size = image_path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise UnreadableImage(f"{size:,} bytes, at most {MAX_IMAGE_BYTES:,}")
        stored = load.images.put(image_path.read_bytes())
    except (OSError, UnreadableImage) as exc:
        report.bad_image(Problem(file, line, "image", f"{image_path}: {exc}"))
        return None
    report.images += 1
    return stored


DAY_MS = 86_400_000


@dataclass(frozen=True)
class SplitConfig:
    """The temporal split an import records: the last `test_days` calendar days (UTC) of the log
    are the test period, the `valid_days` before them the valid period, the rest train. New
    (cold-start) items are those first seen in the test period."""

    test_days: int = 7
    valid_days: int = 7

    def boundaries(self, last_ms: int) -> tuple[int, int]:
        """(train_end_ms, valid_end_ms) for a log whose last event is at last_ms."""
        valid_end = (last_ms // DAY_MS + 1 - self.test_days) * DAY_MS
        return valid_end - self.valid_days * DAY_MS, valid_end


def record_split(load, report: ImportReport, split: SplitConfig) -> None:
    """Record the temporal split of the whole log (after this import) and flag the new items. A
    simulated shop's own split (from `shoppers simulate`) is kept: its periods are the simulation's."""
    if load.get_meta("shoppers") is not None:  # `shoppers simulate` wrote this shop's split
        return
    first_ms, last_ms = load.log_time_range()
    if last_ms is None:
        return
    train_end, valid_end = split.boundaries(last_ms)
    if train_end <= first_ms:
        report.warnings.append(Problem("split", None, None, f"the log spans {(last_ms - first_ms) / DAY_MS:.1f} days, "
                                       f"less than --test-days {split.test_days} + --valid-days {split.valid_days}: "
                                       "the train period is empty"))
    first_seen = load.first_seen()
    new_items = {item: ts for item, ts in first_seen.items() if ts >= valid_end}  # launched when first seen
    load.mark_new_items(new_items)
    load.set_meta("split", {"source": "import", "train_end_ms": int(train_end), "valid_end_ms": int(valid_end),
                            "end_ms": int(last_ms) + 1, "start_ms": int(first_ms), "test_days": split.test_days,
                            "valid_days": split.valid_days})
    report.split = {"train_end_ms": int(train_end), "valid_end_ms": int(valid_end), "new_items": len(new_items)}


def run_import(store: Store, source: Source, strict: bool = False, progress: bool = True, update: bool = False,
               split: SplitConfig = SplitConfig()) -> ImportReport:
    """Validate and load one source in one transaction; returns the report (raises ImportFailed).
    An item ID another source already stored is a skipped row unless `update`, which replaces the
    fields the row gives and lists every change in the report."""
    report = ImportReport(source.name, strict=strict)
    with store.loading() as load:
        item_source = load.item_sources()
        known_items = set(item_source)
        known_users = set(load.user_ids())

        batch, links = [], []
        seen = set()

        def flush_items() -> None:
            for item_id, changed in load.upsert_items(batch).items():
                report.updated[item_id] = changed
            batch.clear()

        for file, line, row in tqdm(_parsed(source.items(report), report), desc="items", unit="item",
                                    disable=not progress, mininterval=0.5):
            if row["id"] in seen:
                report.skip(Problem(file, line, "item_id", f"duplicate item {row['id']!r} in this import"))
                continue
            owner = item_source.get(row["id"])
            if owner is not None and owner != source.name and not update:
                report.skip(Problem(file, line, "item_id", f"item {row['id']!r} already exists from {owner}; "
                                                           "pass --update to replace its fields"))
                continue
            seen.add(row["id"])
            image_path = row.pop("image_path", None)
            stored = _store_image(load, report, file, line, image_path)
            if stored is not None:
                links.append((row["id"], stored, 0))
            row.setdefault("source", source.name)
            batch.append(row)
            if len(batch) >= CHUNK:
                flush_items()
        flush_items()
        load.attach_images(links)
        report.items = len(seen)
        known_items |= seen

        new_users = []
        for file, line, row in _parsed(source.users(report), report):
            if row["id"] in known_users:
                continue
            known_users.add(row["id"])
            new_users.append(row)
        load.insert(schema.User, new_users)
        report.users = len(new_users)

        events, placeholders, event_users = [], [], []

        def flush() -> None:
            load.insert(schema.Item, placeholders)
            load.insert(schema.User, event_users)
            load.insert(schema.Interaction, events)
            report.events += len(events)
            for pending in (placeholders, event_users, events):
                pending.clear()

        for file, line, row in tqdm(_parsed(source.events(report), report), desc="events", unit="event",
                                    disable=not progress, mininterval=0.5):
            if row["item_id"] not in known_items:
                if source.placeholder_item is None:
                    report.skip(Problem(file, line, "item_id", f"unknown item {row['item_id']!r}"))
                    continue
                placeholders.append(source.placeholder_item(row["item_id"]))
                known_items.add(row["item_id"])
                report.items += 1
            if row["user_id"] not in known_users:
                event_users.append(user_row(row["user_id"]))
                known_users.add(row["user_id"])
                report.users += 1
            events.append(row)
            if len(events) >= CHUNK:
                flush()
        flush()
        record_split(load, report, split)
        load.set_meta(f"import:{source.name}", {k: v for k, v in report.to_dict().items()
                                               if k in ("items", "users", "events", "images")})
    return report
