"""Generic shop data: a folder with items.csv (or items.jsonl), interactions.csv and images/.

items: item_id (or id), title (or name) required; description, category, colour (or color),
pattern, brand, price, image (a path inside the image folder) optional; any other column is kept
as an attribute. Without an `image` column, images/<item_id>.{jpg,jpeg,png,webp} is used if found.
interactions: user_id, item_id, event (view|cart|purchase|rating and common aliases), timestamp
(ISO-8601 or epoch s/ms) required; value, session_id optional.
"""

from __future__ import annotations

from pathlib import Path

from vitrine.catalog.importers.base import (
    ImportFailed, ImportReport, Problem, RowError, Source, attributes_json, csv_header, event_name, event_row,
    item_row, number, price, read_csv, read_jsonl, require_columns, safe_child, text, timestamp_ms,
)

ITEM_COLUMNS = {"item_id", "id", "title", "name", "description", "category", "colour", "color",
                "pattern", "brand", "price", "image"}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


def _first(row: dict, *names: str):
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return None


def _item(row: dict, image_dir: Path | None) -> dict:
    row = {k: v for k, v in row.items() if k is not None}
    item_id = text({"item_id": _first(row, "item_id", "id")}, "item_id", required=True)
    title = text({"title": _first(row, "title", "name")}, "title", required=True)
    image_path = None
    if image_dir is not None:
        if row.get("image"):
            if "\x00" in str(row["image"]):
                raise RowError("image", "path contains a NUL byte")
            image_path = safe_child(image_dir, str(row["image"]))
            if image_path is None:
                raise RowError("image", f"path {str(row['image'])[:60]!r} leaves the image folder")
        else:
            image_path = next((image_dir / f"{item_id}{ext}" for ext in IMAGE_EXTENSIONS
                               if safe_child(image_dir, f"{item_id}{ext}") and (image_dir / f"{item_id}{ext}").exists()),
                              None)
    fields = dict(
        description=text(row, "description"), category=text(row, "category"),
        colour=text({"colour": _first(row, "colour", "color")}, "colour"), pattern=text(row, "pattern"),
        brand=text(row, "brand"), price=price(row.get("price")),
        attributes=attributes_json(row, ITEM_COLUMNS),
    )
    result = item_row(item_id, title, "generic", **fields)
    result["image_path"] = image_path
    return result


def _event(row: dict) -> dict:
    return event_row(text(row, "user_id", required=True), text(row, "item_id", required=True),
                     event_name(row.get("event")), timestamp_ms(row.get("timestamp")),
                     number(row.get("value"), "value"),
                     text(row, "session_id"))


def read_generic(path, interactions=None, images=None) -> Source:
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if path.is_dir():
        candidates = [folder / "items.csv", folder / "items.jsonl"]
        items_file = next((c for c in candidates if c.exists()), None)
    else:
        items_file = path if path.exists() else None
    if items_file is None:
        raise ImportFailed(Problem(str(path), None, None, "no items.csv or items.jsonl found"))
    events_file = Path(interactions) if interactions else next(
        (c for c in (folder / "interactions.csv", folder / "events.csv") if c.exists()), None)
    image_dir = Path(images) if images else (folder / "images" if (folder / "images").is_dir() else None)

    def items(report: ImportReport):
        if items_file.suffix == ".jsonl":
            stream = read_jsonl(items_file, report)
        else:
            header = csv_header(items_file)
            if not ({"item_id", "id"} & set(header)):
                require_columns(items_file, header, ["item_id"])
            if not ({"title", "name"} & set(header)):
                require_columns(items_file, header, ["title"])
            stream = read_csv(items_file, report)
        for line, row in stream:
            yield str(items_file), line, (lambda row=row: _item(row, image_dir))

    def events(report: ImportReport):
        if events_file is None:
            return
        require_columns(events_file, csv_header(events_file), ["user_id", "item_id", "event", "timestamp"])
        for line, row in read_csv(events_file, report):
            yield str(events_file), line, (lambda row=row: _event(row))

    return Source("generic", items=items, events=events)
