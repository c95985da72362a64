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
