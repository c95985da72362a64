import numpy as np
import pytest

from vitrine.diffusion.data import from_arrays


@pytest.fixture(scope="session")
def handful():
    """Four 32×32 product-like photos (coloured blocks on white) with descriptions, encoded once."""
    images = np.full((4, 32, 32, 3), 255, dtype=np.uint8)
    colours = [(200, 30, 30), (30, 40, 100), (240, 200, 30), (40, 150, 60)]
    for i, rgb in enumerate(colours):
        images[i, 6:26, 8 + i:24 - i] = rgb
    texts = ["a red t-shirt", "a navy blue sneaker", "a yellow dress", "a green bag"]
    return from_arrays(images, texts, progress=False)
