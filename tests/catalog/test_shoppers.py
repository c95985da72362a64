import numpy as np
import pytest

from vitrine.catalog.attributes import CATEGORIES
from vitrine.catalog.shoppers import ShopperConfig, simulate
from vitrine.catalog.splits import TemporalSplit


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(0)
    n = 3000
    category = rng.integers(0, 10, n)
    colour, pattern = rng.integers(0, 13, n), rng.integers(0, 4, n)
    price = np.array([c.median_price for c in CATEGORIES])[category] * rng.lognormal(0, 0.3, n)
    log = simulate(category, colour, pattern, price, ShopperConfig(n_users=1500, seed=1), progress=False)
    return category, colour, pattern, price, log


def test_deterministic_from_seed(world):
    category, colour, pattern, price, log = world
    again = simulate(category, colour, pattern, price, ShopperConfig(n_users=1500, seed=1), progress=False)
    assert np.array_equal(log.item, again.item) and np.array_equal(log.ts, again.ts)


def test_purchases_enriched_for_the_top_category(world):
    category, _, _, _, log = world
    bought = log.event == 2
    top = log.category_pref.argmax(axis=1)
    share = (category[log.item[bought]] == top[log.user[bought]]).mean()
    assert share > 3 * 0.1  # chance is 1 in 10 categories


def test_views_follow_colour_preference(world):
    _, colour, _, _, log = world
    views = log.event == 0
    top = log.colour_pref.argmax(axis=1)
    assert (colour[log.item[views]] == top[log.user[views]]).mean() > 2 / 13


def test_funnel_and_volume(world):
    _, _, _, _, log = world
    views, carts, buys = np.bincount(log.event, minlength=3)
    assert views > carts > buys > 0
    assert 0.05 < carts / views < 0.25
    assert np.all(np.diff(log.ts) >= 0)  # sorted by time


def test_long_tail_popularity_and_short_histories(world):
    _, _, _, _, log = world
    per_item = np.sort(np.bincount(log.item))[::-1]
    assert per_item[: len(per_item) // 100].sum() / per_item.sum() > 0.1  # top 1 % ≫ 1 % of events
    per_user = np.bincount(log.user, minlength=len(log.activity))
    assert np.median(per_user[log.short_history]) < np.median(per_user[~log.short_history]) / 3


def test_new_items_appear_only_in_the_test_period(world):
    *_, log = world
    split = TemporalSplit(log.config.train_end_ms, log.config.valid_end_ms)
    masks = split.masks(log.ts)
    on_new = np.isin(log.item, log.new_items)
    assert on_new.sum() > 0
    assert not (on_new & (masks["train"] | masks["valid"])).any()
    assert masks["valid"].sum() > 0 and masks["test"].sum() > 0


def test_split_has_no_leakage(world):
    *_, log = world
    split = TemporalSplit(log.config.train_end_ms, log.config.valid_end_ms)
    part = split.assign(log.ts)
    assert log.ts[part == 0].max() < log.ts[part == 1].min() <= log.ts[part == 1].max() < log.ts[part == 2].min()
    assert set(np.unique(part)) == {0, 1, 2}


def test_true_preferences_are_a_distribution(world):
    *_, log = world
    prefs = log.true_preferences(0)
    assert abs(sum(prefs["category"].values()) - 1) < 1e-2
    assert set(prefs) >= {"category", "colour", "pattern", "price_sensitivity", "activity", "short_history"}


def test_item_popularity_replays_the_simulation_s_draws():
    from vitrine.catalog.shoppers import ShopperConfig, item_popularity, simulate
    rng = np.random.default_rng(3)
    n = 400
    category, colour, pattern = rng.integers(10, size=n), rng.integers(13, size=n), rng.integers(4, size=n)
    config = ShopperConfig(n_users=300, seed=5)
    log = simulate(category, colour, pattern, rng.uniform(10, 100, n), config, progress=False)
    popularity, new_items = item_popularity(config, n)
    assert np.array_equal(new_items, log.new_items) and popularity.shape == (n,)
    assert popularity[new_items].mean() > popularity[~np.isin(np.arange(n), new_items)].mean()
    # views follow popularity: the more popular half of the items draws most of the views
    views = np.bincount(log.item[log.event == 0], minlength=n)
    earlier = item_popularity(config, n, period=5)[0]
    assert views[earlier > np.median(earlier)].sum() > 2 * views[earlier <= np.median(earlier)].sum()
