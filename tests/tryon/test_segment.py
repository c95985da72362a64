"""The garment finder: regions grow by a pixel, a picture without a person or without the garment
is a clear LookupError, and `vitrine segmenter train` writes a model that loads and labels."""

import json

import numpy as np
import pytest

from vitrine.cli import main
from vitrine.tryon.people import BACKGROUND, SHOES, SKIN, TOP
from vitrine.tryon.segment import load_segmenter, region


def _labels():
    """A standing figure: a head above a body in a top."""
    labels = np.full((64, 64), BACKGROUND, np.uint8)
    labels[10:18, 29:36] = SKIN
    labels[18:50, 25:40] = SKIN
    labels[20:30, 25:40] = TOP
    return labels


def test_the_region_is_the_garment_grown_by_a_pixel():
    mask = region(_labels(), "top")
    assert mask.sum() == 12 * 17 and mask[19:31, 24:41].all()


def test_no_person_and_no_garment_are_lookup_errors():
    with pytest.raises(LookupError, match="no person found"):
        region(np.full((64, 64), BACKGROUND, np.uint8), "top")
    garment = np.full((64, 64), BACKGROUND, np.uint8)
    garment[8:56, 16:48] = TOP  # a garment's photo: one shape filling the frame, no head
    with pytest.raises(LookupError, match="no person found"):
        region(garment, "top")
    headless = _labels()
    headless[10:18] = BACKGROUND
    with pytest.raises(LookupError, match="no head"):
        region(headless, "top")
    with pytest.raises(LookupError, match="no shoes found"):
        region(_labels(), "shoes")
    with pytest.raises(ValueError, match="unknown region 'hat'"):
        region(_labels(), "hat")


def test_the_verb_trains_saves_and_scores_a_segmenter(tryon_shop, tmp_path):
    data, _ = tryon_shop
    assert main(["--data-dir", str(data), "-q", "segmenter", "train", "--steps", "20", "--held-out", "10",
                 "--out", str(tmp_path)]) == 0
    info = json.loads((tmp_path / "segmenter" / "segmenter.json").read_text())
    assert info["held_out_people"] == 10 and 0 <= info["pixel_accuracy"] <= 1 and "iou_shoes" in info
    labels = load_segmenter(tmp_path / "segmenter").labels(np.zeros((3, 40, 30, 3), np.uint8))
    assert labels.shape == (3, 40, 30) and labels.max() <= SHOES


def test_the_verb_needs_a_people_set(shop, tmp_path, capsys):
    assert main(["--data-dir", str(shop.data_dir), "-q", "segmenter", "train", "--out", str(tmp_path)]) == 2
    assert "no people set" in capsys.readouterr().err
