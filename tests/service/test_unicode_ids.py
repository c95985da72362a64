"""Any Unicode the store accepts in an ID works in every route, page and cookie: IDs with slashes,
percent signs, quotes, emoji and other scripts, added through the API, fitted, then used through
each route that names a shopper or an item. On SQLite and on PostgreSQL."""

from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from vitrine.app.fit import fit_served
from vitrine.app.settings import Settings
from vitrine.storefront.app import create_app

from ..live import live_server

TOKEN = "u" * 24
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
IDS = ["ünï/cödé", "😀 emoji", "a%2Fb", "x?y#z&w=1", "q\"uote'<b>", "semi;colon|pipe", "комар", "  spaced  "]


def path(value: str) -> str:
    return quote(value, safe="")


@pytest.fixture
def client(shop_copy, tiny_pipeline_dir):
    settings = Settings(shop_copy.data, shop_copy.url, model=tiny_pipeline_dir, token=TOKEN, max_queue=64,
                        max_jobs_per_client=64, generations_per_minute=600)
    with TestClient(create_app(settings)) as first:
        for n, item in enumerate(IDS):
            assert first.post("/admin/items", json={"id": item, "title": f"coat {n}", "category": "coat",
                                                    "price": 10 + n}, headers=ADMIN).status_code == 201
            for other in ("fm-00001", "fm-00002", "fm-00003"):
                for what in (item, other):
                    assert first.post("/events", json={"user_id": IDS[-1 - n], "item_id": what,
                                                       "event": "view"}).status_code == 201
    fit_served(shop_copy.store(), {"epochs": 1, "dim": 8, "cf_factors": 4}, progress=False)
    with live_server(create_app(settings)) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        yield client  # a real server: TestClient would decode "%2F" in a path twice


def test_every_route_takes_any_id(client):
    for value in IDS:
        recs = client.get(f"/users/{path(value)}/recommendations", params={"k": 3})
        assert recs.status_code == 200 and recs.json()["user"] == value, (value, recs.text)
        assert client.get(f"/items/{path(value)}").json()["id"] == value
        similar = client.get(f"/items/{path(value)}/similar", params={"k": 3})
        assert similar.status_code == 200 and similar.json()["item"] == value, value
        assert client.head(f"/items/{path(value)}").status_code == 200
        assert client.post(f"/users/{path(value)}/designs", json={"n": 1, "steps": 2}).status_code == 202, value
        session = client.post("/recommendations/anonymous", json={"item_ids": [value], "k": 3})
        assert session.status_code == 200 and value not in [i["id"] for i in session.json()["items"]]


def test_every_page_and_cookie_takes_any_id(client):
    for value in IDS:
        client.cookies.clear()
        picked = client.get("/shop/as", params={"user": value}, follow_redirects=False)
        assert picked.status_code == 303, value
        home = client.get("/")
        assert home.status_code == 200 and "Recommended for you" in home.text, value
        item = client.get(f"/shop/item/{path(value)}")
        assert item.status_code == 200, value
        bought = client.post("/shop/event", data={"item_id": value, "event": "cart"}, follow_redirects=False)
        assert bought.status_code == 303, value
    client.cookies.clear()
    for value in IDS:  # an anonymous visitor's viewed items ride in a cookie too
        assert client.get(f"/shop/item/{path(value)}").status_code == 200
    assert "Picked from what you viewed" in client.get("/").text


def test_an_item_with_any_id_takes_a_photo_and_is_deleted(client):
    from tests.service.test_admin import png_bytes
    for value in IDS:
        put = client.put(f"/admin/items/{path(value)}/photo", content=png_bytes(), headers=ADMIN)
        assert put.status_code == 200 and put.json()["id"] == value, value
        assert client.delete(f"/admin/items/{path(value)}", headers=ADMIN).status_code == 200, value
        assert client.get(f"/items/{path(value)}").status_code == 404
