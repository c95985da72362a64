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
    config = ABConfig(ARMS, visits=24, visits_per_shopper=3, k=8, designs=2, new_in=4, threads=1, click_bias=2.0)
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
    assert all(o.impressions == 3 * (8 + 4) for o in outcomes if o.arm != "multimodal+designs")
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
        assert row["latency"]["recommendations"]["requests"] == row["latency"]["new in"]["requests"] == 24
    assert set(result["lifts"]) == {"popularity", "als", "multimodal"} and "multimodal" in result["lifts"]["popularity"]
    assert list(result["lifts"]["multimodal"]) == ["multimodal+designs"]  # over multimodal: what adds to its page
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


def _hide_photos_and_add_previews(store, hidden, with_preview):
    """The shop as the previews arm needs it: `hidden` items without photos, a plain generated
    picture for those in `with_preview`."""
    import io

    from PIL import Image
    with store.loading() as load:
        load.detach_photos(hidden)
        for k, item_id in enumerate(with_preview):
            buffer = io.BytesIO()
            Image.new("RGB", (32, 32), (k, 0, 0)).save(buffer, format="PNG")
            load.add_generated_image(load.images.put(buffer.getvalue()), "a test preview", 0, "test", {"use": "preview"},
                                     item_id=item_id)


def test_the_previews_arm_shows_previews_where_the_other_shows_text(data, recommender_dir):
    store = Store(data)
    world = World.from_store(store)
    arms = ("multimodal", "multimodal+previews")
    hidden = [str(i) for i in world.item_ids[::2]]
    _hide_photos_and_add_previews(store, hidden, hidden)
    config = ABConfig(arms, visits=30, visits_per_shopper=3, k=8, new_in=0, threads=2, click_bias=2.0)
    read = []

    def read_look(picture: bytes):  # every preview reads as a plain black t-shirt
        read.append(picture)
        return 0, 0, 0
    with TestClient(create_app(Settings(data, recommender=recommender_dir))) as client:
        user = assign(world, eligible_shoppers(store, world), config)[0][0]
        served = client.get(f"/users/{user}/recommendations", params={"k": 20}).json()["items"]
        control = client.get(f"/users/{user}/recommendations", params={"k": 20, "pictures": "photos"}).json()["items"]
        bad = client.get(f"/users/{user}/recommendations", params={"pictures": "sketches"})
        listed = client.get("/items", params={"limit": 100}).json()["items"]
        listed_control = client.get("/items", params={"limit": 100, "pictures": "photos"}).json()["items"]
        service = Service("http://127.0.0.1:9")
        service.client = client
        experiment = Experiment(world, service, config, read_look)
        outcomes, _ = experiment.run(assign(world, eligible_shoppers(store, world), config), progress=False)
    previewed = [s for s in served if s["generated"]]
    assert previewed and all(s["id"] in hidden and s["image"] for s in previewed)
    assert [s["id"] for s in control] == [s["id"] for s in served]
    assert all(c["image"] is None and not c["generated"] for c, s in zip(control, served) if s["generated"])
    assert any(i["generated"] for i in listed) and not any(i["generated"] for i in listed_control)
    assert all(i["image"] is None for i in listed_control if i["id"] in hidden)
    assert bad.status_code == 422 and bad.json()["error"].startswith("pictures: one of previews, photos")
    by_arm = {arm: [o for o in outcomes if o.arm == arm] for arm in arms}
    assert sum(o.preview_impressions for o in by_arm["multimodal"]) == 0
    assert sum(o.text_impressions for o in by_arm["multimodal"]) > 0
    assert sum(o.text_impressions for o in by_arm["multimodal+previews"]) == 0
    shown = sum(o.preview_impressions for o in by_arm["multimodal+previews"])
    assert shown > 0 and len(read) == len(experiment.looks) <= shown  # each preview read once, however often shown
    result = summarise(outcomes, service.requests, arms, len(world.item_ids), rounds=100)
    assert set(result["arms"]["multimodal"]["photo_less"]) == {"text"}
    assert set(result["arms"]["multimodal+previews"]["photo_less"]) == {"preview"}
    assert list(result["lifts"]) == ["multimodal"] and list(result["lifts"]["multimodal"]) == ["multimodal+previews"]
    text = markdown(result, {"command": "vitrine simulate-ab", "url": "http://127.0.0.1:9", "seconds": 1.0,
                             "stopped_early": False, "rounds": 100, "config": config.__dict__,
                             "without_photo": len(hidden)})
    assert "## Items without a photo" in text and "its preview" in text and "--no-picture-penalty" in text


def test_the_previews_arm_needs_items_without_photos_and_previews_for_them(data):
    from vitrine.abtest.cli import _check_previews
    from vitrine.command import UsageError
    store = Store(data)
    with pytest.raises(UsageError, match="every item .* has a photo"):
        _check_previews(store)
    _hide_photos_and_add_previews(store, ["fm-00000", "fm-00001"], [])
    with pytest.raises(UsageError, match="none of the 2 items without a photo has a preview"):
        _check_previews(store)
    _hide_photos_and_add_previews(store, [], ["fm-00001"])
    _check_previews(store)
