"""Recommendations served from the cache: the same lists a live ranking gives, and an event,
a deletion, a changed item or a refit in another process counts on the next request. On a copy of
the small shop, on SQLite and on PostgreSQL."""

import time

import numpy as np
import pytest

from vitrine.app import recommend, served
from vitrine.app.context import AppContext
from vitrine.app.events import record_event
from vitrine.app.fit import fit, serve_new_fit
from vitrine.app.settings import Settings
from vitrine.catalog.importers.base import event_row
from vitrine.storage import schema

TINY_FIT = {"epochs": 1, "dim": 8, "cf_factors": 4}


def context(copy, folder) -> AppContext:
    """One process's context on the shared store (each test makes two, as two API processes)."""
    return AppContext(Settings(copy.data, copy.url, recommender=folder))


@pytest.fixture
def ctx(shop_copy, recommender_dir):
    ctx = context(shop_copy, recommender_dir)
    served.warm(ctx, progress=False)
    return ctx


def ids(suggestions) -> list[str]:
    return [s.item_id for s in suggestions]


def test_every_fitted_shopper_is_cached_and_served_as_a_live_ranking_would(ctx):
    assert ctx.store.cached_count(ctx.fit_id) == len(ctx.recs.user_ids)
    for user_id in list(ctx.recs.user_pos)[:25]:
        for k, per_category in ((20, None), (1, None), (served.CACHE_DEPTH, None), (12, 2)):
            cached = recommend.for_shopper(ctx, user_id, k, per_category)
            live = recommend.live_for_shopper(ctx, user_id, k, per_category)[0]
            assert [(s.item_id, s.because) for s in cached] == [(s.item_id, s.because) for s in live]
            assert np.allclose([s.score for s in cached], [s.score for s in live], atol=1e-4)


def test_a_category_filter_fills_k_from_the_cache_or_else_live(ctx):
    user_id = next(iter(ctx.recs.user_pos))
    for wanted in (["bag"], ["bag", "dress"]):
        found = recommend.for_shopper(ctx, user_id, 5, wanted=wanted)
        assert len(found) == 5 and {c for c in ctx.categories[[ctx.recs.item_pos[i] for i in ids(found)]]} <= set(wanted)
    many = recommend.for_shopper(ctx, user_id, served.CACHE_DEPTH, wanted=["bag"])  # more than the cache holds: live
    assert ids(many) == ids(recommend.live_for_shopper(ctx, user_id, served.CACHE_DEPTH, wanted=["bag"])[0])


def test_an_event_stored_by_another_process_counts_on_the_next_request(ctx, shop_copy, recommender_dir):
    other = context(shop_copy, recommender_dir)
    user_id = list(ctx.recs.user_pos)[3]
    top = recommend.for_shopper(ctx, user_id, 20)
    record_event(other, user_id, top[0].item_id, "purchase")  # the other process recomputes the entry
    assert top[0].item_id not in ids(recommend.for_shopper(ctx, user_id, 20))
    # an event no process recomputed after (an import, a process killed in between): the entry is stale
    nxt = recommend.for_shopper(ctx, user_id, 20)[0].item_id
    with other.store.loading() as load:
        load.insert(schema.Interaction, [event_row(user_id, nxt, "purchase", int(time.time() * 1000))])
    after = recommend.for_shopper(ctx, user_id, 20)
    assert nxt not in ids(after) and len(after) == 20
    assert ids(after) == ids(recommend.live_for_shopper(ctx, user_id, 20)[0])


def test_a_new_shopper_is_cached_from_their_events(ctx):
    with pytest.raises(Exception, match="unknown user"):
        recommend.for_shopper(ctx, "newcomer")
    record_event(ctx, "newcomer", "fm-00001", "view")
    assert ctx.store.cached_entry("newcomer", ctx.fit_id)[0] is not None  # computed when the event was stored
    assert len(recommend.for_shopper(ctx, "newcomer", 5)) == 5


def test_items_deleted_or_changed_in_another_process_show_as_they_are_now(ctx, shop_copy, recommender_dir):
    other = context(shop_copy, recommender_dir)
    user_id = list(ctx.recs.user_pos)[5]
    shown = recommend.for_shopper(ctx, user_id, 10)
    gone, renamed = shown[0].item_id, shown[1].item_id
    catalog = ctx.store.versions()[0]
    assert ctx.cards.get([renamed], catalog)[renamed]["title"] != "A new title"
    with other.store.loading() as load:
        load.delete_item(gone)
        load.upsert_items([{"id": renamed, "title": "A new title"}])
    now = recommend.for_shopper(ctx, user_id, 10)
    assert gone not in ids(now) and len(now) == 10 and ids(now)[:1] == [renamed]
    version = ctx.store.versions()[0]
    assert version != catalog and ctx.cards.get([renamed], version)[renamed]["title"] == "A new title"


def test_a_refit_in_one_process_is_served_by_the_others(shop_copy, tmp_path):
    folder = tmp_path / "rec"
    fit(shop_copy.store(), folder, TINY_FIT, progress=False)
    first, second = context(shop_copy, folder), context(shop_copy, folder)
    serve_new_fit(first)
    user_id = next(iter(first.recs.user_pos))
    old_fit = second.fit_id
    fit(first.store, folder, {**TINY_FIT, "dim": 12}, progress=False)
    assert serve_new_fit(first) == len(first.recs.user_ids)
    assert first.fit_id != old_fit and first.store.cached_count(old_fit) == 0
    recommend.for_shopper(second, user_id, 5)  # sees the announcement, loads the new fit in the background
    deadline = time.time() + 60
    while second.fit_id != first.fit_id and time.time() < deadline:
        time.sleep(0.05)
    assert second.fit_id == first.fit_id and second.recs.model.config.dim == 12
    assert ids(recommend.for_shopper(second, user_id, 5)) == ids(recommend.for_shopper(first, user_id, 5))
