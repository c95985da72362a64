"""Parsing one field of a row (IDs and text, prices, times, events, numbers) and building the
complete rows the store's bulk inserts take. A bad value is a RowError naming its field."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from vitrine.catalog.prices import MAX_PRICE
from vitrine.catalog.importers.report import RowError

MAX_LENGTH = {"id": 128, "user_id": 128, "item_id": 128, "category": 128, "colour": 64,
              "pattern": 64, "brand": 128, "title": 2_000, "description": 20_000, "session_id": 128}
EVENT_ALIASES = {
    "view": "view", "click": "view", "detail": "view", "pageview": "view",
    "cart": "cart", "addtocart": "cart", "add_to_cart": "cart", "basket": "cart",
    "purchase": "purchase", "transaction": "purchase", "buy": "purchase", "order": "purchase",
    "rating": "rating", "review": "rating",
}


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
    if not math.isfinite(number) or number < 0 or number > MAX_PRICE:
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
