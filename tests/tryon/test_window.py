"""The model's window: it contains the mask, keeps a 64-px person's garment at 1:1 when it fits,
and writing a generated window back changes only the mask's pixels."""

import numpy as np
import pytest
import torch

from vitrine.tryon.window import MODEL_SIZE, from_model, to_model, window_of


def _mask(shape, top, left, h, w):
    mask = np.zeros(shape, bool)
    mask[top:top + h, left:left + w] = True
    return mask


@pytest.mark.parametrize("box", [(10, 20, 12, 18), (0, 0, 5, 5), (40, 44, 24, 20), (5, 2, 30, 36)])
def test_the_window_holds_the_mask_inside_the_picture(box):
    mask = _mask((64, 64), *box)
    w = window_of(mask)
    assert 0 <= w.top and 0 <= w.left and w.top + w.side <= 64 and w.left + w.side <= 64
    assert w.crop(mask).sum() == mask.sum()
    extent = max(box[2], box[3])
    assert w.side == (MODEL_SIZE if extent + 4 <= MODEL_SIZE else extent + 4)


def test_a_larger_picture_gets_a_proportionally_larger_window():
    w = window_of(_mask((256, 256), 100, 100, 20, 20))
    assert w.side == 128


def test_writing_back_changes_only_the_masked_pixels():
    rng = np.random.default_rng(0)
    for box in [(10, 20, 12, 18), (5, 2, 30, 36)]:  # 1:1, and resized
        picture = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        mask = _mask((64, 64), *box)
        w = window_of(mask)
        x, m = to_model(picture, mask, w)
        assert x.shape == (3, MODEL_SIZE, MODEL_SIZE) and m.shape == (1, MODEL_SIZE, MODEL_SIZE)
        assert float(x.min()) >= -1 and float(x.max()) <= 1 and set(m.unique().tolist()) <= {0.0, 1.0}
        out = from_model(torch.ones(3, MODEL_SIZE, MODEL_SIZE), picture, mask, w)
        assert (out[~mask] == picture[~mask]).all() and (out[mask] == 255).all()


def test_a_1_to_1_window_round_trips_exactly():
    rng = np.random.default_rng(1)
    picture = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    mask = _mask((64, 64), 10, 10, 20, 20)
    w = window_of(mask)
    x, _ = to_model(picture, mask, w)
    assert (from_model(x, picture, mask, w) == picture).all()


def test_an_empty_mask_is_refused():
    with pytest.raises(ValueError, match="empty"):
        window_of(np.zeros((64, 64), bool))
