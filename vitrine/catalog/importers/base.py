"""What every importer shares: the report, row validation, and the one-transaction load.

An importer turns its files into three streams of plain dicts (items, users, events), each row
tagged with the file and line it came from. `run_import` validates every row, loads the streams
in one transaction through `Store.loading()`, and fills an `ImportReport`. A bad row is skipped
and reported (file, line, field, reason); with `strict=True` the first bad row aborts the import
and the store is left exactly as it was.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from vitrine.catalog import schema
from vitrine.catalog.images import UnreadableImage
from vitrine.catalog.store import Store

CHUNK = 20_000
MAX_LENGTH = {"id": 128, "user_id": 128, "item_id": 128, "category": 128, "colour": 64,
              "pattern": 64, "brand": 128, "title": 2_000, "description": 20_000, "session_id": 128}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
EVENT_ALIASES = {
    "view": "view", "click": "view", "detail": "view", "pageview": "view",
    "cart": "cart", "addtocart": "cart", "add_to_cart": "cart", "basket": "cart",
    "purchase": "purchase", "transaction": "purchase", "buy": "purchase", "order": "purchase",
    "rating": "rating", "review": "rating",
}
csv.field_size_limit(1_000_000)


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


# ---- reading files ---------------------------------------------------------------------------

def _not_utf8(path: Path, line: int) -> ImportFailed:
    return ImportFailed(Problem(str(path), line, None, "not valid UTF-8 text (convert the file, e.g. "
                                                       "`iconv -f latin1 -t utf-8`); nothing was stored"))


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, fields) for every row, header included. Quoting is strict: a
    quoted field that never closes, or a stray quote after one, stops the import at the line where
    that row starts (a lenient reader swallows the rest of the file into one field)."""
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
            reader = csv.reader(f, strict=True)
            while True:
                start = reader.line_num + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    reason = ("a quoted field opens on this line and is never closed"
                              if "unexpected end of data" in str(exc) else f"malformed CSV ({exc})")
                    raise ImportFailed(Problem(str(path), start, None, reason)) from None
                if any("\udc80" <= ch <= "\udcff" for field_text in fields for ch in field_text):
                    raise _not_utf8(path, start)
                yield start, fields
    except OSError as exc:
        raise ImportFailed(Problem(str(path), None, None, f"cannot read: {exc.strerror or exc}")) from exc


def read_csv(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    """(line number, row as a dict) for each data row. A row with more fields than the header (an
    unquoted comma, as in a price written 12,99) is skipped and reported; fewer fields leave the
    missing columns None."""
    rows = _csv_rows(path)
    header = next(rows, (1, []))[1]
    for line, fields in rows:
        if not fields:
            continue  # a blank line
        if len(fields) > len(header):
            report.skip(Problem(str(path), line, None, f"{len(fields)} fields but the header has {len(header)} "
                                                       "(an unquoted comma? quote fields that contain commas)"))
            continue
        yield line, dict(zip(header, fields + [None] * (len(header) - len(fields))))


def csv_header(path: Path) -> list[str]:
    return next(_csv_rows(path), (1, []))[1]


def require_columns(path: Path, header: Iterable[str], required: Iterable[str]) -> None:
    header = list(header)
    missing = [c for c in required if c not in set(header)]
    if missing:
        shown = ", ".join(header)[:200] or "nothing"
        hint = next((f"; the file looks {name}-separated, and Vitrine reads comma-separated CSV"
                     for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"))
                     if len(header) == 1 and sep in header[0]), "")
        raise ImportFailed(Problem(str(path), 1, missing[0], f"required column missing (header has: {shown}){hint}"))


def _json_object(line: str):
    """json.loads, with the errors of hostile input made plain: deep nesting (RecursionError),
    integers of thousands of digits (ValueError), numbers no database column holds."""
    try:
        obj = json.loads(line)
    except RecursionError:
        raise RowError(None, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise RowError(None, f"not valid JSON: {exc.msg}") from None
    except ValueError as exc:  # int() of a number longer than Python's digit limit
        raise RowError(None, f"not usable JSON: {str(exc)[:80]}") from None
    if not isinstance(obj, dict):
        raise RowError(None, "line is not a JSON object")
    return obj


def read_jsonl(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    """(line number, object) per non-empty line; a line that is not a JSON object is a skipped row."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="surrogateescape") as f:
            line_no = 0
            try:
                for line_no, line in enumerate(f, start=1):
                    if not line.strip():
                        continue
                    if any("\udc80" <= ch <= "\udcff" for ch in line):
                        raise _not_utf8(path, line_no)
                    try:
                        obj = _json_object(line)
                    except RowError as exc:
                        report.skip(Problem(str(path), line_no, None, str(exc)))
                        continue
                    yield line_no, obj
            except (EOFError, OSError, zlib.error) as exc:
                raise ImportFailed(Problem(str(path), line_no + 1, None, f"unreadable: {exc}")) from exc
    except OSError as exc:
        raise ImportFailed(Problem(str(path), None, None, f"cannot read: {exc.strerror or exc}")) from exc


# ---- parsing fields --------------------------------------------------------------------------

def text(row: dict, name: str, required: bool = False) -> str | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(name, "required value is empty")
        return None
    if not isinstance(value, (str, int, float)):
        raise RowError(name, f"expected text, got {type(value).__name__}")
    value = str(value).strip()
    limit = MAX_LENGTH.get(name)
    if limit and len(value) > limit:
        raise RowError(name, f"{len(value)} characters, at most {limit} allowed")
    if name in ("id", "user_id", "item_id") and any(ord(ch) < 32 for ch in value):
        raise RowError(name, "control characters in an ID")
    return value


CURRENCY = re.compile(r"^(?:[$€£¥₹]|[A-Z]{3}|kr|zł)\s*|\s*(?:[$€£¥₹]|[A-Z]{3}|kr|zł|,-)$")
GROUPED = re.compile(r"^\d{1,3}(?:[,.' \u00a0\u202f]\d{3})+$")  # 1,299 / 1.299.000 / 1 299 / 1'299


def _decimal(digits: str, raw) -> float:
    """A number with at most one decimal separator and thousands separators in groups of three:
    '12.99', '12,99', '1,299.00', '1.299,00', '1 299,50', "1'299.00", '1,299,000'. The decimal
    separator is the last '.' or ',', unless it repeats ('1.299.000': thousands only). A lone comma
    followed by exactly three digits is ambiguous ('1,299': 1299 in English, 1.299 in German) and
    refused; a lone point is a decimal point, as in every programming language."""
    if any(not (ch.isdigit() or ch in ".,' \u00a0\u202f") for ch in digits):
        raise RowError("price", f"not a price: {str(raw)[:40]!r}")
    last = max(digits.rfind("."), digits.rfind(","))
    if last == -1:
        integer, fraction = digits, ""
    elif digits.count(digits[last]) > 1:  # 1,299,000 or 1.299.000: the separator groups thousands
        integer, fraction = digits, ""
    else:
        integer, fraction = digits[:last], digits[last + 1:]
        if len(fraction) == 3 and digits[last] == "," and integer.isdigit() and integer != "0":
            raise RowError("price", f"ambiguous price {str(raw)[:40]!r}: write 1299 or 1299.00 "
                                    "(or 1.299,00 with a decimal comma)")
    if fraction and not fraction.isdigit():
        raise RowError("price", f"not a price: {str(raw)[:40]!r} (separators out of place)")
    if not (integer.isdigit() or GROUPED.match(integer)):
        raise RowError("price", f"not a price: {str(raw)[:40]!r} (separators out of place)")
    return float("".join(ch for ch in integer if ch.isdigit()) + ("." + fraction if fraction else ""))


def price(value, name: str = "price") -> float | None:
    """A price from a number or shop text → float; '', 'None', 'null', 'nan', '-' → None.
    Text may carry a currency sign or ISO code on either side ('$12.99', '12.99 €', 'EUR 12,99'),
    a decimal point or comma, and thousands separators; anything else is a RowError — never a
    silently rescaled number."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        cleaned = str(value).strip()
        if cleaned in ("", "None", "null", "nan", "NaN", "-"):
            return None
        for _ in range(2):  # a sign or code on each side at most
            cleaned = CURRENCY.sub("", cleaned).strip()
        if not cleaned or not cleaned[0].isdigit() or not cleaned[-1].isdigit():
            raise RowError(name, f"not a price: {str(value)[:40]!r}")
        try:
            number = _decimal(cleaned, value)
        except RowError as exc:
            raise RowError(name, str(exc)) from None
    if not math.isfinite(number) or number < 0 or number > 1e7:
        raise RowError(name, f"price out of range: {number}")
    return number


def timestamp_ms(value, name: str = "timestamp") -> int:
    """Epoch seconds or milliseconds (numbers above 1e11 are read as ms), or ISO-8601 text → epoch ms."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RowError(name, "required value is empty")
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is not None:
        if not math.isfinite(number):
            raise RowError(name, f"not a time: {value!r}")
        ms = number if abs(number) > 1e11 else number * 1000
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise RowError(name, f"not a time (want ISO-8601 or epoch seconds/ms): {str(value)[:40]!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        ms = parsed.timestamp() * 1000
    if not (0 <= ms < 4_102_444_800_000):  # 1970 … 2100
        raise RowError(name, f"time out of range: {value!r}")
    return int(ms)


def event_name(value, name: str = "event") -> str:
    key = str(value or "").strip().lower()
    if key not in EVENT_ALIASES:
        raise RowError(name, f"unknown event {str(value)[:30]!r} (known: {', '.join(sorted(set(EVENT_ALIASES)))})")
    return EVENT_ALIASES[key]


def number(value, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise RowError(name, f"not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(result):
        raise RowError(name, f"not a finite number: {value!r}")
    return result


# ---- the load --------------------------------------------------------------------------------

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
    current = load.get_meta("split")
    if current is not None and current.get("source", "simulated") == "simulated" and load.get_meta("shoppers"):
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
    new_items = [item for item, ts in first_seen.items() if ts >= valid_end]
    load.mark_new_items_at(new_items, first_seen)
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
        known_users = load.user_ids()

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


def item_row(item_id: str, title: str, source: str, **fields) -> dict:
    """A complete items row (every column present, as bulk inserts need)."""
    row = {"id": item_id, "title": title, "description": None, "category": None, "colour": None,
           "pattern": None, "brand": None, "price": None, "source": source, "launched_at": None,
           "is_new": False, "attributes": {}}
    row.update(fields)
    return row


def event_row(user_id: str, item_id: str, event: str, ts: int, value: float | None = None,
              session_id: str | None = None) -> dict:
    return {"user_id": user_id, "item_id": item_id, "event": event, "ts": ts, "value": value,
            "session_id": session_id}


def user_row(user_id: str, attributes: dict | None = None) -> dict:
    return {"id": user_id, "attributes": attributes or {}, "true_preferences": None}


def attributes_json(row: dict, exclude: Iterable[str]) -> dict:
    """The columns an importer does not map, kept as item/user attributes."""
    skip = set(exclude)
    return {k: v for k, v in row.items() if k not in skip and k is not None and v not in (None, "")}


def safe_child(folder: Path, relative: str) -> Path | None:
    """folder/relative if it stays inside folder (no '..' or absolute escapes), else None; None too
    for a name with a NUL byte, which no file system path can hold."""
    if "\x00" in relative:
        return None
    base = folder.resolve()
    candidate = (folder / relative).resolve()
    return candidate if candidate.is_relative_to(base) else None


def as_text_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)]

