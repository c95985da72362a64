"""Requests every route checks alike: blank prompts and descriptions, event types and times."""

import pytest
from fastapi.testclient import TestClient

from vitrine.app.settings import Settings
from vitrine.service.app import create_app

TOKEN = "v" * 24
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def client(shop, recommender_dir, tmp_path_factory):
    import shutil
    data = tmp_path_factory.mktemp("validation") / "data"
    shutil.copytree(shop.data_dir, data)
    return TestClient(create_app(Settings(data, recommender=recommender_dir, token=TOKEN)))


@pytest.mark.parametrize("blank", ["", "   ", "\t\n "])
def test_blank_prompts_are_refused_by_every_route_alike(client, blank):
    for url, body, headers in (("/generate", {"prompt": blank}, {}),
                               ("/admin/launch", {"description": blank}, ADMIN),
                               ("/tryon", {"description": blank, "person": 0}, {})):
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code == 422, url
        field = "prompt" if url == "/generate" else "description"
        assert answer.json()["error"].startswith(f"{field}: "), (url, answer.json())


def test_an_unknown_event_type_is_named(client):
    answer = client.post("/events", json={"user_id": "u-00003", "item_id": "fm-00001", "event": "stare"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "event: unknown event type 'stare'; one of view, cart, purchase"


@pytest.mark.parametrize("ts", [True, "1767584374515", 1.5, -1, 10**15, [1]])
def test_event_times_are_whole_epoch_milliseconds_in_range(client, ts):
    answer = client.post("/events", json={"user_id": "u-00003", "item_id": "fm-00001", "event": "view", "ts": ts})
    assert answer.status_code == 422 and answer.json()["error"].startswith("ts: ")


def test_a_good_event_time_is_stored(client):
    answer = client.post("/events", json={"user_id": "u-00003", "item_id": "fm-00001", "event": "view",
                                          "ts": 1767584374515})
    assert answer.status_code == 201
