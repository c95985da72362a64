"""Listings and item pages answer from what the process holds (pages of IDs per query, item
cards) only while the catalog is as they were read: a change through another process shows at
once. On SQLite and on PostgreSQL."""

from fastapi.testclient import TestClient

from vitrine.app.settings import Settings
from vitrine.service.app import create_app

TOKEN = "c" * 24
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
QUERY = {"category": ["coat", "dress"], "colour": "red", "limit": 100}


def test_a_change_in_another_process_shows_in_the_next_listing_and_item_page(shop_copy, recommender_dir):
    settings = Settings(shop_copy.data, shop_copy.url, recommender=recommender_dir, token=TOKEN)
    reader, writer = TestClient(create_app(settings)), TestClient(create_app(settings))
    before = reader.get("/items", params=QUERY).json()
    assert reader.get("/items", params=QUERY).json() == before  # the held page
    first = before["items"][0]["id"]
    assert writer.post("/admin/items", json={"id": "new-red-coat", "title": "A red coat", "category": "coat",
                                             "colour": "red", "price": 50}, headers=ADMIN).status_code == 201
    assert writer.delete(f"/admin/items/{first}", headers=ADMIN).status_code == 200
    after = reader.get("/items", params=QUERY).json()
    ids = [i["id"] for i in after["items"]]
    assert after["total"] == before["total"] and "new-red-coat" in ids and first not in ids
    assert reader.get(f"/items/{first}").status_code == 404
    assert reader.get("/items/new-red-coat").json()["title"] == "A red coat"
