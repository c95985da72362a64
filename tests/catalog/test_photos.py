"""A shop's photos of any size, aspect and mode fitted into the generator's square, and the ones
that cannot be used named, never a crash."""

import io

import numpy as np
import pytest
from PIL import Image

from vitrine.catalog.photos import UnusablePhoto, fit_square, read_photo


def _product(width: int, height: int) -> Image.Image:
    """A red product filling the middle third of a blue background."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[...] = (0, 0, 200)
    pixels[height // 3:2 * height // 3, width // 3:2 * width // 3] = (220, 0, 0)
    return Image.fromarray(pixels)


def test_pad_keeps_the_whole_photo_on_its_own_background_and_crop_keeps_the_centre():
    wide = _product(90, 30)
    padded = fit_square(wide, 32, "pad")
    assert padded.shape == (32, 32, 3) and padded.dtype == np.uint8
    assert tuple(padded[0, 0]) == (0, 0, 200) and padded[16, 16, 0] > 200 > padded[16, 16, 2]  # no black frame
    red_columns = np.flatnonzero((padded[16, :, 0] > 150))
    assert 8 <= len(red_columns) <= 14  # a third of the width: the whole product, scaled
    cropped = fit_square(wide, 32, "crop")
    assert len(np.flatnonzero(cropped[16, :, 0] > 150)) == 32  # the centre third of 90 fills the 30-px-high crop
    with pytest.raises(ValueError, match="fit"):
        fit_square(wide, 32, "stretch")


def _save(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def test_odd_modes_are_converted_and_unusable_files_give_a_reason(tmp_path):
    cmyk = _save(_product(40, 40).convert("CMYK"), tmp_path / "cmyk.jpg")
    assert read_photo(cmyk, 32)[16, 16, 0] > 150

    grey16 = Image.fromarray(np.full((20, 20), 32768, np.uint16))  # mid grey in 16 bits
    assert abs(int(read_photo(_save(grey16, tmp_path / "grey16.png"), 32)[10, 10, 0]) - 128) <= 1

    palette = Image.new("P", (20, 20), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.paste(1, (5, 5, 15, 15))
    palette.info["transparency"] = 0  # index 0 (the border) is transparent: it lies on white
    out = read_photo(_save(palette, tmp_path / "palette.png", transparency=0), 32)
    assert tuple(out[0, 0]) == (255, 255, 255) and tuple(out[16, 16]) == (255, 0, 0)

    frames = [Image.new("RGB", (20, 20), colour) for colour in ((0, 200, 0), (200, 0, 0))]
    gif = tmp_path / "animated.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100)
    assert read_photo(gif, 32)[16, 16, 1] > 150  # the first frame, green

    assert read_photo(_save(_product(10_000, 12), tmp_path / "banner.png"), 32).shape == (32, 32, 3)

    png = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(png, format="PNG")
    (tmp_path / "truncated.png").write_bytes(png.getvalue()[:len(png.getvalue()) // 2])
    (tmp_path / "notes.png").write_text("not a picture")
    cases = {"truncated.png": "unreadable", "notes.png": "unreadable", "missing.png": "missing"}
    _save(Image.new("RGB", (1, 1)), tmp_path / "dot.png")
    cases["dot.png"] = "too small"
    for name, reason in cases.items():
        with pytest.raises(UnusablePhoto, match=f"^{reason}"):
            read_photo(tmp_path / name, 32)


def test_the_fitted_photos_are_cached_and_a_full_disk_leaves_no_half_cache(shop, tmp_path, monkeypatch):
    from vitrine.catalog import photo_cache
    photos = shop.main_photos()[:12]
    first = photo_cache.fitted_photos(shop, photos, 16, "pad", progress=False)
    assert first.images.shape == (12, 16, 16, 3) and first.item_ids == [i for i, _ in photos] and not first.skipped
    cached = photo_cache.cache_file(shop.data_dir, photos, 16, "pad")
    assert cached.is_file()
    monkeypatch.setattr(photo_cache, "read_photo", lambda *a, **k: pytest.fail("read again"))
    again = photo_cache.fitted_photos(shop, photos, 16, "pad", progress=False)
    assert np.array_equal(again.images, first.images)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.undo()
    monkeypatch.setattr(photo_cache.np, "savez", full_disk)
    with pytest.raises(OSError, match="No space"):
        photo_cache.fitted_photos(shop, photos[:6], 16, "crop", progress=False)
    left = [p.name for p in cached.parent.iterdir() if "crop" in p.name or ".tmp" in p.name]
    assert left == []
