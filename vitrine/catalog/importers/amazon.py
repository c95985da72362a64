"""Amazon Reviews 2023 (McAuley Lab): a category's meta JSONL and reviews JSONL (optionally .gz).

meta: parent_asin, title, main_category, features[], description[], price (text), images[{hi_res,
large, thumb, variant}], store, categories[], details (a JSON string). reviews: rating, title,
text, asin, parent_asin, user_id, timestamp (ms), verified_purchase, helpful_vote. Each review
becomes a `rating` event on its parent_asin. Image URLs are kept as attributes (no downloads).
"""

from __future__ import annotations

import json
from pathlib import Path

from vitrine.catalog.importers.base import (
    ImportFailed, ImportReport, Problem, RowError, Source, as_text_list, event_row, item_row, number, price,
    read_jsonl, text, timestamp_ms,
)


def _find(folder: Path, meta: bool) -> Path | None:
    files = sorted(p for p in folder.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))
    chosen = [p for p in files if p.name.startswith("meta") == meta]
    return chosen[0] if chosen else None


def _details(value) -> dict:
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        raise RowError("details", "not a JSON object string") from None
    if not isinstance(parsed, dict):
        raise RowError("details", "not a JSON object string")
    return parsed


def _meta_item(row: dict) -> dict:
    asin = text({"item_id": row.get("parent_asin")}, "item_id", required=True)
    title = text({"title": row.get("title")}, "title", required=True)
    details = _details(row.get("details"))
    images = row.get("images") or []
    if not isinstance(images, list):
        raise RowError("images", "expected a list")
    urls = [im.get("hi_res") or im.get("large") or im.get("thumb") for im in images if isinstance(im, dict)]
    categories = as_text_list(row.get("categories"))
    description = " ".join(as_text_list(row.get("description")) + as_text_list(row.get("features")))
    return item_row(
        asin, title, "amazon", description=text({"description": description[:20_000]}, "description"),
        category=text({"category": categories[-1] if categories else row.get("main_category")}, "category"),
        colour=text({"colour": details.get("Color") or details.get("Colour")}, "colour"),
        brand=text({"brand": row.get("store")}, "brand"), price=price(row.get("price")),
        attributes={"main_category": row.get("main_category"), "categories": categories,
                    "image_urls": [u for u in urls if u], "details": details,
                    "average_rating": row.get("average_rating"), "rating_number": row.get("rating_number")})


def _review(row: dict) -> dict:
    rating = number(row.get("rating"), "rating")
    if rating is None or not 0 <= rating <= 5:
        raise RowError("rating", f"expected a rating 0–5, got {row.get('rating')!r}")
    item = row.get("parent_asin") or row.get("asin")
    return event_row(text({"user_id": row.get("user_id")}, "user_id", required=True),
                     text({"item_id": item}, "item_id", required=True), "rating",
                     timestamp_ms(row.get("timestamp")), rating)


def read_amazon(path, reviews=None) -> Source:
    path = Path(path)
    meta_file = _find(path, meta=True) if path.is_dir() else path
    reviews_file = Path(reviews) if reviews else (_find(path, meta=False) if path.is_dir() else None)
    if meta_file is None or not meta_file.exists():
        raise ImportFailed(Problem(str(path), None, None, "no meta_*.jsonl file found"))

    def items(report: ImportReport):
        for line, row in read_jsonl(meta_file, report):
            yield str(meta_file), line, (lambda row=row: _meta_item(row))

    def events(report: ImportReport):
        if reviews_file is None:
            return
        for line, row in read_jsonl(reviews_file, report):
            yield str(reviews_file), line, (lambda row=row: _review(row))

    return Source("amazon", items=items, events=events)
