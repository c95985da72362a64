"""The overlay baseline: pixels outside the region never change; inside, the photo's garment."""

import numpy as np
import pytest

from vitrine.tryon.overlay import overlay


def test_only_the_region_changes_and_it_takes_the_garments_colours():
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
    region = np.zeros((48, 40), bool)
    region[10:30, 8:28] = True
    photo = np.full((32, 32, 3), 255, np.uint8)
    photo[6:26, 6:26] = (20, 120, 220)
    out = overlay(picture, region, photo)
    assert (out[~region] == picture[~region]).all()
    assert (out[region] == (20, 120, 220)).all()
    assert (overlay(picture, np.zeros_like(region), photo) == picture).all()


def test_a_mask_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="the mask is 10×10; the picture is 40×48"):
        overlay(np.zeros((48, 40, 3), np.uint8), np.zeros((10, 10), bool), np.zeros((32, 32, 3), np.uint8))
