"""A contact sheet: a labelled grid of catalog photos, for a person to look at."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from vitrine.atomic import replacing
from vitrine.storage.store import Store

TILE = 128   # photo size on the sheet (32 px photos scaled 4× with nearest neighbour)
LABEL_H = 44


def _wrap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 2] + ".."


def _open(store: Store, path: str | None):
    """The photo at a stored path, or None when there is none or its file is missing or damaged."""
    if not path:
        return None
    try:
        with Image.open(store.images.resolve(path)) as photo:
            photo.load()
            return photo.copy()
    except (OSError, ValueError):
        return None


def contact_sheet(store: Store, out: str | Path, n: int = 48, columns: int = 8, seed: int = 0) -> Path:
    """Write a grid of `n` items (an evenly spread sample of the catalog) with their attributes."""
    total = [r.id for r in store.item_rows(("id",))]
    if not total:
        raise LookupError(f"{store.data_dir}: the store has no items; run `vitrine catalog build` first")
    step = max(len(total) // n, 1)
    rows = store.items_with_photo_path(total[seed % step::step][:n])
    rows_n = (len(rows) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * TILE, rows_n * (TILE + LABEL_H)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=11)
    for k, row in enumerate(rows):
        x, y = (k % columns) * TILE, (k // columns) * (TILE + LABEL_H)
        photo = _open(store, row.path)
        if photo is not None:
            sheet.paste(photo.convert("RGB").resize((TILE, TILE), Image.NEAREST), (x, y))
        else:
            draw.rectangle([x + 4, y + 4, x + TILE - 4, y + TILE - 4], outline="#bbb")
            draw.text((x + 30, y + 58), "no photo", fill="#888", font=font)
        attrs = " / ".join(a for a in (row.colour, row.pattern, row.category) if a)
        price = f"EUR {row.price:.2f}" if row.price is not None else ""
        draw.text((x + 3, y + TILE + 2), _wrap(row.id + "  " + price, 22), fill="#222", font=font)
        draw.text((x + 3, y + TILE + 16), _wrap(attrs, 22), fill="#444", font=font)
        draw.text((x + 3, y + TILE + 30), _wrap(row.title, 22), fill="#777", font=font)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with replacing(out) as tmp:
        sheet.save(tmp)
    return out
