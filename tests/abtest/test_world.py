"""The shoppers' truth as an A/B test reads it from the small simulated shop."""

import numpy as np
import pytest

from vitrine.abtest.world import NoTruth, World
from vitrine.catalog.attributes import CATEGORY_NAMES


@pytest.fixture(scope="module")
def world(shop):
    return World.from_store(shop)


def test_the_world_holds_every_item_and_every_shopper_with_known_tastes(world, shop):
    assert len(world.item_ids) == 400 and len(world.user_ids) == 300
    assert world.is_new.sum() == shop.get_meta("shoppers")["new_items"]
    assert np.isfinite(world.appeal_reference).sum() > 250  # almost every shopper has logged views


def test_appeal_is_the_simulator_s_utility_with_the_category_term(world, shop):
    truth = shop.true_preferences()
    u, i = 7, 11
    prefs = truth[world.user_ids[u]]
    cfg = world.config
    category = CATEGORY_NAMES[world.category[i]]
    from vitrine.catalog.attributes import COLOUR_NAMES, PATTERN_NAMES
    expected = (np.log(max(prefs["category"][category], 0.00005))
                + cfg.colour_weight * np.log(prefs["colour"][COLOUR_NAMES[world.colour[i]]] + cfg.preference_floor)
                + cfg.pattern_weight * np.log(prefs["pattern"][PATTERN_NAMES[world.pattern[i]]] + cfg.preference_floor)
                - prefs["price_sensitivity"] * world.log_price_ratio[i] + world.popularity[i])
    assert world.appeal(u, i) == pytest.approx(expected)
    # a picture that shows the item's own look, offered for that item, appeals as the item does
    assert world.look_appeal(u, world.category[i], world.colour[i], world.pattern[i], i) == pytest.approx(expected)


def test_text_alone_shows_what_it_names_and_expects_the_rest(world):
    named = np.flatnonzero((world.text_colour >= 0) & (world.text_pattern >= 0))
    assert len(named) > 0.5 * len(world.item_ids)
    assert (world.text_colour[named] == world.colour[named]).mean() > 0.95  # the text names the true colour
    u, i = 3, int(named[0])
    assert world.text_appeal(u, i) == pytest.approx(world.appeal(u, i))  # nothing left unsaid: as the photo
    silent = np.flatnonzero((world.text_pattern < 0) & (world.text_colour >= 0))
    assert len(silent)  # titles name the colour; many texts of plain items name no pattern
    j = int(silent[0])  # the pattern left out: the shopper's expectation over the category's patterns
    shares = world.pattern_given_category[world.category[j]]
    assert shares.sum() == pytest.approx(1.0)
    known = world.appeal(u, j) - world.pattern_term[u, world.pattern[j]]
    assert world.text_appeal(u, j) == pytest.approx(known + shares @ world.pattern_term[u])


def test_shoppers_viewed_what_appeals_to_them_more_than_the_average_item(world):
    users = np.flatnonzero(np.isfinite(world.appeal_reference))
    everything = np.array([world.appeal(u, np.arange(len(world.item_ids))).mean() for u in users])
    assert (world.appeal_reference[users] > everything).mean() > 0.9


def test_a_store_without_simulated_shoppers_has_no_truth(store):
    with pytest.raises(NoTruth, match="no simulated shoppers"):
        World.from_store(store)
