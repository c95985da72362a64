"""A small A/B test end to end against the service (FastAPI's TestClient), and its figures."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vitrine.abtest.experiment import Experiment, ABConfig, arm_of, assign, eligible_shoppers
from vitrine.abtest.report import markdown, summarise
from vitrine.abtest.traffic import Service, Unreachable
from vitrine.abtest.world import World
from vitrine.app.settings import Settings
from vitrine.service.app import create_app
from vitrine.storage.store import Store

ARMS = ("popularity", "als", "multimodal", "multimodal+designs")


def test_the_split_is_a_fixed_seeded_hash_and_roughly_even():
    users = [f"u-{k:05d}" for k in range(4000)]
    arms = [arm_of(u, ARMS, 0) for u in users]
    assert arms == [arm_of(u, ARMS, 0) for u in users] and arms != [arm_of(u, ARMS, 1) for u in users]
    counts = np.array([arms.count(a) for a in ARMS])
    assert counts.min() > 900


def test_too_few_shoppers_for_the_visits_asked_is_a_clear_error(shop):
    world = World.from_store(shop)
    with pytest.raises(ValueError, match="too few shoppers"):
        assign(world, eligible_shoppers(shop, world), ABConfig(ARMS, visits=10_000, visits_per_shopper=1))


def test_a_service_without_a_fitted_recommender_is_refused(data):
    service = Service("http://127.0.0.1:9")
    service.client = TestClient(create_app(Settings(data, recommender=data / "none")))
    with pytest.raises(Unreachable, match="no fitted recommender"):
        service.check()


def test_shoppers_visit_click_and_buy_through_the_service_and_their_events_can_be_removed(
        data, recommender_dir, tiny_pipeline_dir):
    store = Store(data)
    world = World.from_store(store)
    mark, events_before = store.last_event_id(), sum(store.event_counts().values())
    config = ABConfig(ARMS, visits=24, visits_per_shopper=3, k=8, designs=2, threads=1, click_bias=2.0)
    shoppers = assign(world, eligible_shoppers(store, world), config)
    assert len(shoppers) == 4 * 8 and {a for _, a in shoppers} == set(ARMS)
    looks = []

    def read_look(picture: bytes):  # the test's eyes: every design looks like a plain black t-shirt
        looks.append(len(picture))
        return 0, 0, 0
    with TestClient(create_app(Settings(data, recommender=recommender_dir, model=tiny_pipeline_dir))) as client:
        service = Service("http://127.0.0.1:9")
        service.client = client
        experiment = Experiment(world, service, config, read_look)
        outcomes, stopped = experiment.run(shoppers, progress=False)
        popular = client.get(f"/users/{shoppers[0][0]}/recommendations", params={"arm": "popularity", "k": 3})
    assert not stopped and len(outcomes) == 32 and popular.status_code == 200
    assert sum(o.visits for o in outcomes) == 96 and sum(o.failed_pages for o in outcomes) == 0
    assert all(o.impressions == 3 * 8 for o in outcomes if o.arm != "multimodal+designs")
    designed = [o for o in outcomes if o.arm == "multimodal+designs"]
    assert sum(o.design_impressions for o in designed) == 8 * 3 * 2 and len(looks) == 8 * 2
    clicks = sum(o.clicks for o in outcomes)
    assert clicks > 0 and sum(o.purchases for o in outcomes) <= clicks
    # every click, cart and purchase went to the service's store
    posted = experiment.posted
    assert sum(store.event_counts().values()) == events_before + len(posted) >= events_before + clicks
    assert not [r for r in service.requests if r.status not in (200, 201, 202)]

    result = summarise(outcomes, service.requests, ARMS, len(world.item_ids), rounds=200)
    for arm in ARMS:
        row = result["arms"][arm]
        low, high = row["ctr"]["interval"]
        assert row["shoppers"] == 8 and low <= row["ctr"]["value"] <= high
        assert row["latency"]["recommendations"]["requests"] == 24
    assert set(result["lifts"]) == {"popularity", "als"} and "multimodal" in result["lifts"]["popularity"]
    text = markdown(result, {"command": "vitrine simulate-ab", "url": "http://127.0.0.1:9", "seconds": 1.0,
                             "stopped_early": False, "rounds": 200, "config": config.__dict__})
    assert "| multimodal+designs |" in text and "cannot show" in text

    removed = store.remove_events_after(mark, [u for u, _ in shoppers])
    assert removed == len(posted) and sum(store.event_counts().values()) == events_before


def test_a_run_s_figures_can_be_made_again_from_its_saved_outcomes(tmp_path):
    from vitrine.abtest.experiment import Outcome
    from vitrine.abtest.report import load_run_data, save_run_data
    from vitrine.abtest.traffic import Request
    outcomes = [Outcome(f"u{k}", arm, visits=2, impressions=24, clicks=k % 5, purchases=k % 2, revenue=10.0 * (k % 2),
                        shown={k, k + 1}) for k, arm in enumerate(["popularity", "als"] * 20)]
    requests = [Request("als", "recommendations", 0.01 * k, 200) for k in range(10)]
    save_run_data(tmp_path / "run-data.json.gz", outcomes, requests, 400)
    again, requests_again, n_items = load_run_data(tmp_path / "run-data.json.gz")
    assert again == outcomes and requests_again == requests and n_items == 400
    result = summarise(again, requests_again, ("popularity", "als"), n_items, rounds=300)
    coverage = result["arms"]["als"]["coverage"]
    # resampled shoppers repeat, so the rounds show fewer distinct items: the interval is centred on the estimate
    assert coverage["interval"][0] < coverage["value"] < coverage["interval"][1]
