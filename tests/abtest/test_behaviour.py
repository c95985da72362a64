"""The click model: position bias, appeal, and the simulator's own funnel after a click."""

import numpy as np
import pytest

from vitrine.abtest.behaviour import NO_PICTURE_PENALTY, Tile, item_tiles, react
from vitrine.abtest.world import World


@pytest.fixture(scope="module")
def world(shop):
    return World.from_store(shop)


def _clicks_by_rank(world, u, appeal, n_tiles=10, pages=3000, click_bias=-1.0):
    rng = np.random.default_rng(0)
    usual = world.appeal_reference[u]
    counts = np.zeros(n_tiles + 1)
    for _ in range(pages):
        for r in react(world, u, [Tile(3, usual + appeal)] * n_tiles, rng, click_bias):
            counts[r.rank] += 1
    return counts[1:] / pages


def test_clicks_fall_with_rank_as_1_over_log2_rank_plus_1(world):
    u = int(np.flatnonzero(np.isfinite(world.appeal_reference))[0])
    rates = _clicks_by_rank(world, u, appeal=0.0)
    expected = (1 / np.log2(np.arange(1, 11) + 1)) / (1 + np.exp(1.0))  # σ(−1) with the click bias −1 given
    assert rates == pytest.approx(expected, abs=0.025)


def test_a_more_appealing_tile_is_clicked_more(world):
    u = int(np.flatnonzero(np.isfinite(world.appeal_reference))[0])
    assert _clicks_by_rank(world, u, 4.0, pages=800)[0] > 0.85 > 0.1 > _clicks_by_rank(world, u, -3.0, pages=800)[0]


def test_only_carted_clicks_are_bought_and_design_clicks_are_marked(world):
    u = int(np.flatnonzero(np.isfinite(world.appeal_reference))[0])
    rng = np.random.default_rng(1)
    reactions = [r for _ in range(500) for r in react(world, u, [Tile(3, 50.0), Tile(4, 50.0, "design")], rng)]
    assert all(r.carted or not r.bought for r in reactions)
    assert {r.shows for r in reactions} == {"photo", "design"}
    assert {r.item for r in reactions if r.shows == "design"} == {4}


def test_a_tile_appeals_by_what_it_shows(world):
    u, i = 5, 9
    look = (int(world.category[i]), int(world.colour[i]), int(world.pattern[i]))
    photo, true_preview, text = item_tiles(world, u, [(i, "photo", None), (i, "preview", look), (i, "text", None)])
    assert photo.appeal == pytest.approx(float(world.appeal(u, i)))
    assert true_preview.appeal == pytest.approx(photo.appeal)  # a preview that shows the item is as good as its photo
    assert text.appeal == pytest.approx(float(world.text_appeal(u, i)) - NO_PICTURE_PENALTY)
    assert [t.shows for t in (photo, true_preview, text)] == ["photo", "preview", "text"]
    wrong = ((look[1] + 1) % len(world.colour_term[u]),)
    misread = item_tiles(world, u, [(i, "preview", (look[0], *wrong, look[2]))])[0]
    assert misread.appeal != pytest.approx(photo.appeal)  # a preview in another colour appeals as that colour
    with pytest.raises(ValueError, match="not 'video'"):
        Tile(i, 1.0, "video")
