"""Pictures the studio's reports read and draw: catalog photos, and photos above generated pictures."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

SIZE = (32, 32)  # the catalog's photo size, the generator's output size


def photos_of(store, item_ids: list[str]) -> dict[str, Image.Image]:
    """Each item's main photo as 32×32 RGB, for the items that have one."""
    out = {}
    for item_id, path in store.main_photos(item_ids):
        with Image.open(store.images.resolve(path)) as im:
            out[item_id] = im.convert("RGB").resize(SIZE)
    return out


def save_pairs(path: Path, photos: list, generated: list, titles: list[str], generated_label: str, title: str) -> None:
    """A row of photos labelled with their titles over a row of the pictures generated for them."""
    from vitrine.diffusion.grid import save_grid
    save_grid(photos + generated, path, columns=len(photos),
              labels=[t[:22] for t in titles] + [generated_label] * len(generated), title=title)
