"""Reading a shop's files: strict CSV (quotes, UTF-8 and field counts checked, lines named) and
JSON Lines (hostile nesting and numbers made plain), each row with the line it starts on."""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from vitrine.catalog.importers.report import ImportFailed, ImportReport, Problem, RowError

csv.field_size_limit(1_000_000)


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
