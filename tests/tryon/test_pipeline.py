"""The try-on pipeline's input checks: picture shape and size, mask size, an empty mask."""

import numpy as np
import pytest

from vitrine.tryon.pipeline import check_picture


@pytest.mark.parametrize("shape, mask_shape, pixels, message", [
    ((8, 8, 3), (8, 8), 10, "16 to 2048 pixels a side"),
    ((3000, 64, 3), (3000, 64), 10, "16 to 2048 pixels a side"),
    ((64, 64), (64, 64), 10, "must be (H, W, 3) uint8"),
    ((64, 64, 3), (32, 64), 10, "the mask is 64×32; the picture is 64×64"),
    ((64, 64, 3), (64, 64), 2, "covers 2 pixels"),
])
def test_bad_pictures_and_masks_are_named(shape, mask_shape, pixels, message):
    mask = np.zeros(mask_shape, bool)
    mask.flat[:pixels] = True
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_picture(np.zeros(shape, np.uint8), mask)


def test_a_good_picture_passes():
    mask = np.zeros((64, 48), bool)
    mask[10:20, 10:20] = True
    check_picture(np.zeros((64, 48, 3), np.uint8), mask)
