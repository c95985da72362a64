import numpy as np

from vitrine.catalog import render
from vitrine.catalog.attributes import COLOURS, COLOUR_NAMES

RED = np.array(COLOURS[COLOUR_NAMES.index("red")].rgb, dtype=np.float32)


def _one(gray, rgb=RED, pattern=render.SOLID, period=4):
    return render.render(gray[None], rgb[None], np.array([pattern]), np.array([period]), np.zeros((1, 2), int))[0]


def _garment():
    gray = np.zeros((28, 28), dtype=np.uint8)
    gray[4:24, 6:22] = 200
    gray[10:13, 10:13] = 10  # a dark print inside: still garment, not background
    return gray


def test_red_item_is_red_and_background_is_untouched():
    out = _one(_garment()).astype(int)
    garment = out[2 + 4:2 + 24, 2 + 6:2 + 22].reshape(-1, 3)
    # Every garment pixel is red: red channel dominates green and blue by far.
    assert (garment[:, 0] > 2 * garment[:, 1]).all() and (garment[:, 0] > 2 * garment[:, 2]).all()
    background = np.ones((32, 32), bool)
    background[2 + 4:2 + 24, 2 + 6:2 + 22] = False
    assert (out[background] == 255).all()


def test_dark_print_inside_the_silhouette_stays_garment():
    gray = render.pad(_garment()[None]).astype(np.float32)
    mask = render.background_mask(gray)[0]
    assert not mask[2 + 11, 2 + 11]  # the print is enclosed by the garment
    assert mask[0, 0] and mask[31, 31]


def test_patterns_put_the_contrast_colour_inside_the_garment_only():
    gray = _garment()
    solid = _one(gray)
    for pattern in (render.STRIPED, render.DOTTED, render.CHECKED):
        out = _one(gray, pattern=pattern)
        changed = (out != solid).any(axis=-1)
        assert changed.sum() > 20, pattern
        assert not changed[:6].any() and not changed[:, :8].any()  # nothing outside the garment


def test_stripes_alternate_by_row():
    mask = render.pattern_mask(render.STRIPED, 4, 0, 0)
    assert mask[0].all() and mask[1].all() and not mask[2].any() and not mask[3].any()


def test_contrast_colour_is_lighter_for_dark_and_darker_for_light():
    navy, yellow = np.array([[25, 35, 95]], float), np.array([[246, 208, 30]], float)
    assert render.contrast_colour(navy).sum() > navy.sum()
    assert render.contrast_colour(yellow).sum() < yellow.sum()


def test_a_64_px_photo_is_the_32_px_one_finer_grained():
    gray, period = _garment(), np.array([4])
    for pattern in (render.SOLID, render.STRIPED, render.CHECKED):
        small = render.render(gray[None], RED[None], np.array([pattern]), period, np.zeros((1, 2), int))[0]
        big = render.render(gray[None], RED[None], np.array([pattern]), period, np.zeros((1, 2), int), size=64)[0]
        assert big.shape == (64, 64, 3)
        shrunk = big.reshape(32, 2, 32, 2, 3).mean(axis=(1, 3))
        assert np.abs(shrunk - small).mean() < 12, pattern  # the same picture, up to the smooth edge
    stripes = render.pattern_mask(render.STRIPED, 4, 0, 0, size=64)  # drawn at full size: bands 4 px tall
    assert stripes[:4].all() and not stripes[4:8].any()
    import pytest
    with pytest.raises(ValueError, match="multiple of 32"):
        render.render(gray[None], RED[None], np.array([0]), period, np.zeros((1, 2), int), size=48)
