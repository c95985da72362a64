"""Image grids for people to look at: generated samples, forward-process strips."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SCALE = 4  # 32-px images shown at 128 px, nearest neighbour (no invented detail)


def save_grid(images: list[Image.Image], out: str | Path, columns: int = 8, labels: list[str] | None = None,
              title: str | None = None) -> Path:
    size = images[0].width * SCALE
    label_h = 16 if labels else 0
    title_h = 22 if title else 0
    rows = (len(images) + columns - 1) // columns
    grid = Image.new("RGB", (columns * size, title_h + rows * (size + label_h)), "white")
    draw = ImageDraw.Draw(grid)
    font = ImageFont.load_default(size=11)
    if title:
        draw.text((4, 4), title, fill="#222", font=ImageFont.load_default(size=13))
    for k, image in enumerate(images):
        x, y = (k % columns) * size, title_h + (k // columns) * (size + label_h)
        grid.paste(image.convert("RGB").resize((size, size), Image.NEAREST), (x, y))
        if labels:
            draw.text((x + 3, y + size + 2), labels[k][:24], fill="#333", font=font)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    grid.save(out)
    return out
