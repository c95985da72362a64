"""Events posted to the API are stored and move the shopper's next recommendations without a
refit; anonymous sessions are recommended for from their items. On a copy of the small shop."""

import pytest
from fastapi.testclient import TestClient

from vitrine.storage import schema
from vitrine.service.app import create_app
from vitrine.app.settings import Settings


@pytest.fixture
def copy(shop_copy, recommender_dir):
    """On SQLite and on PostgreSQL."""
    return shop_copy.store(), TestClient(create_app(Settings(shop_copy.data, shop_copy.url,
                                                                    recommender=recommender_dir)))


def _top(client, user, **params) -> dict[str, float]:
    items = client.get(f"/users/{user}/recommendations", params={"k": 10, **params}).json()["items"]
    return {i["id"]: i["score"] for i in items}


def test_an_event_is_stored_and_the_next_recommendations_read_it(copy):
    store, client = copy
    before_events = store.count(schema.Interaction)
    user = "u-00007"
    first = _top(client, user)
    bought = list(first)[:3]
    for item in bought:  # buying the top three: they leave the list, and the shopper's vector moves
        response = client.post("/events", json={"user_id": user, "item_id": item, "event": "purchase"})
        assert response.status_code == 201 and response.json() == {"stored": True, "in_recommendations": True}
    after = _top(client, user)
    assert not set(bought) & set(after)
    common = set(first) & set(after)
    assert common and any(abs(first[i] - after[i]) > 1e-4 for i in common)
    assert store.count(schema.Interaction) == before_events + 3


def test_a_shopper_new_since_the_fit_gets_recommendations_from_their_events(copy):
    store, client = copy
    assert client.get("/users/walk-in/recommendations").status_code == 404
    bags = [i["id"] for i in client.get("/items", params={"category": "bag", "limit": 4}).json()["items"]]
    for item in bags:
        assert client.post("/events", json={"user_id": "walk-in", "item_id": item, "event": "view"}).status_code == 201
    assert store.user_exists("walk-in")
    body = client.get("/users/walk-in/recommendations", params={"k": 5}).json()
    assert len(body["items"]) == 5 and all(set(i["because"]) <= set(bags) for i in body["items"])


def test_anonymous_session_recommendations(copy):
    _, client = copy
    items = [i["id"] for i in client.get("/items", params={"category": "dress", "limit": 3}).json()["items"]]
    body = client.post("/recommendations/anonymous", json={"item_ids": items, "k": 6, "per_category": 3}).json()
    assert len(body["items"]) == 6 and all(i["because"] for i in body["items"])
    response = client.post("/recommendations/anonymous", json={"item_ids": ["nope"]})
    assert response.status_code == 422 and "'nope'" in response.json()["error"]


@pytest.mark.parametrize("body,needle", [
    ({"user_id": "u-00001", "item_id": "nope", "event": "view"}, "no item 'nope'"),
    ({"user_id": "u-00001", "item_id": "fm-00001", "event": "like"}, "event"),
    ({"user_id": "", "item_id": "fm-00001", "event": "view"}, "user_id"),
    ({"user_id": "u-00001", "item_id": "fm-00001", "event": "view", "ts": -5}, "ts"),
    ({"user_id": "a\nb", "item_id": "fm-00001", "event": "view"}, "user_id"),
])
def test_bad_events_are_refused_and_nothing_is_stored(copy, body, needle):
    store, client = copy
    before = store.count(schema.Interaction)
    response = client.post("/events", json=body)
    assert response.status_code in (404, 422) and needle in response.json()["error"]
    assert store.count(schema.Interaction) == before
