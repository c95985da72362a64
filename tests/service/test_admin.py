"""The admin routes: a bearer token, items added and deleted, photos uploaded with bounds and
content checks, launches and refits as jobs, settings that name what is wrong."""

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from vitrine.service.app import create_app
from vitrine.app.settings import Settings

TOKEN = "a-test-token-of-enough-length"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def png_bytes(colour=(200, 30, 30), size=(32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def client(shop_copy, recommender_dir, tiny_pipeline_dir):
    """On SQLite and on PostgreSQL."""
    settings = Settings(shop_copy.data, shop_copy.url, recommender=recommender_dir, model=tiny_pipeline_dir,
                               token=TOKEN, max_upload_bytes=4096)
    return TestClient(create_app(settings))


@pytest.mark.parametrize("method,path", [("post", "/admin/items"), ("delete", "/admin/items/fm-00001"),
                                         ("put", "/admin/items/fm-00001/photo"), ("post", "/admin/launch"),
                                         ("post", "/admin/fit"), ("post", "/admin/reload"),
                                         ("post", "/admin/previews")])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-wrong-token"},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_every_admin_route_needs_the_token(client, method, path, headers):
    response = client.request(method, path, headers=headers, json={})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert "token" in response.json()["error"]


def test_an_item_added_then_given_a_photo_then_deleted(client, shop_copy):
    new = {"id": "shop-1", "title": "Linen shirt", "category": "shirt", "colour": "white", "price": 39.5}
    assert client.post("/admin/items", json=new, headers=ADMIN).status_code == 201
    assert client.post("/admin/items", json=new, headers=ADMIN).status_code == 409
    detail = client.get("/items/shop-1").json()
    assert detail["is_new"] and detail["image"] is None and detail["source"] == "service"
    photo = png_bytes()
    uploaded = client.put("/admin/items/shop-1/photo", content=photo, headers={**ADMIN, "Content-Type": "image/png"})
    assert uploaded.status_code == 200 and uploaded.json()["format"] == "PNG"
    image = client.get("/items/shop-1").json()["image"]
    assert image == uploaded.json()["image"] and client.get(image).content == photo
    shared = client.put("/admin/items/fm-00002/photo", content=photo, headers={**ADMIN, "Content-Type": "image/png"})
    assert shared.json()["image"] == image  # the same bytes: one file, two items
    removed = client.delete("/admin/items/shop-1", headers=ADMIN)
    assert removed.status_code == 200 and removed.json()["removed"]["items"] == 1
    assert client.get("/items/shop-1").status_code == 404
    assert client.get(image).status_code == 200  # still fm-00002's photo
    assert client.delete("/admin/items/fm-00002", headers=ADMIN).status_code == 200
    assert client.get(image).status_code == 404  # no item shows it any more: not served
    assert client.delete("/admin/items/shop-1", headers=ADMIN).status_code == 404
    assert shop_copy.store().check(repair=True).problems == 0


def test_uploads_are_bounded_and_checked_by_content(client, shop_copy):
    before = shop_copy.store().item_pictures(["fm-00001"])
    too_big = client.put("/admin/items/fm-00001/photo", content=b"\x89PNG" + b"0" * 5000, headers=ADMIN)
    assert too_big.status_code == 413 and "4,096" in too_big.json()["error"]
    fake = client.put("/admin/items/fm-00001/photo", content=b"GIF89a this is not a picture", headers=ADMIN)
    assert fake.status_code == 422 and "not a picture" in fake.json()["error"]
    assert client.put("/admin/items/fm-00001/photo", content=b"", headers=ADMIN).status_code == 422
    assert client.put("/admin/items/nope/photo", content=png_bytes(), headers=ADMIN).status_code == 404
    store = shop_copy.store()
    assert store.item_pictures(["fm-00001"]) == before and store.check().problems == 0


def test_uploads_are_bounded_by_pixels_before_decoding(shop_copy, recommender_dir, tiny_pipeline_dir):
    settings = Settings(shop_copy.data, shop_copy.url, recommender=recommender_dir, model=tiny_pipeline_dir,
                        token=TOKEN, max_upload_pixels=1000)
    client = TestClient(create_app(settings))
    before = shop_copy.store().item_pictures(["fm-00001"])
    wide = client.put("/admin/items/fm-00001/photo", content=png_bytes(size=(1001, 1)), headers=ADMIN)
    assert wide.status_code == 413 and wide.json()["error"] == (
        "the picture is 1001×1 = 1,001 pixels; at most 1,000 (max_upload_pixels)")
    assert shop_copy.store().item_pictures(["fm-00001"]) == before
    fits = client.put("/admin/items/fm-00001/photo", content=png_bytes(size=(40, 25)), headers=ADMIN)
    assert fits.status_code == 200 and fits.json()["width"] == 40


def test_the_token_counts_only_in_the_header(client):
    """Not in the query string (where access logs would keep it), not in the body."""
    for url in (f"/admin/fit?token={TOKEN}", f"/admin/fit?access_token={TOKEN}"):
        assert client.post(url, json={}).status_code == 401
    assert client.post("/admin/fit", json={"token": TOKEN}).status_code == 401


def test_shoppers_jobs_cannot_refuse_the_owners_refit(client):
    """The per-client share filled from the owner's own address still lets the owner's refit in."""
    for seed in range(4):
        assert client.post("/generate", json={"prompt": "a red dress", "n": 1, "seed": seed}).status_code == 202
    assert client.post("/generate", json={"prompt": "a red dress", "n": 1}).status_code == 429
    assert client.post("/admin/fit", json={"epochs": 1}, headers=ADMIN).status_code == 202


def test_a_deleted_item_is_never_recommended_or_shown_as_similar(client):
    user = "u-00003"
    first = client.get(f"/users/{user}/recommendations", params={"k": 5}).json()["items"][0]["id"]
    neighbour = client.get("/items/fm-00001/similar", params={"k": 3}).json()["items"][0]["id"]
    for item in {first, neighbour}:
        assert client.delete(f"/admin/items/{item}", headers=ADMIN).status_code == 200
    shown = [i["id"] for i in client.get(f"/users/{user}/recommendations", params={"k": 50}).json()["items"]]
    similar = [i["id"] for i in client.get("/items/fm-00001/similar", params={"k": 50}).json()["items"]]
    assert first not in shown and neighbour not in similar and len(shown) == 50 and len(similar) == 50


def test_a_launch_runs_as_a_job_and_adds_the_product(shop_copy, recommender_dir, tiny_pipeline_dir,
                                                     wait_for_job):
    settings = Settings(shop_copy.data, shop_copy.url, recommender=recommender_dir, model=tiny_pipeline_dir,
                               token=TOKEN)
    with TestClient(create_app(settings)) as client:
        assert client.post("/admin/launch", json={"description": " "}, headers=ADMIN).status_code == 422
        queued = client.post("/admin/launch", json={"description": "a red striped dress", "price": 30, "n": 2,
                                                    "steps": 2, "audience": 5, "add": True, "item_id": "dress-1"},
                             headers=ADMIN)
        assert queued.status_code == 202
        body = wait_for_job(client, queued.json()["url"])
        assert body["status"] == "done", body["error"]
        assert len(body["images"]) == 2 and body["result"]["chosen"] in (0, 1)
        for url in body["images"]:  # every candidate picture is served, and the store lists it
            picture = client.get(url)
            assert picture.status_code == 200 and picture.headers["content-type"] == "image/png", url
        assert client.app.state.vitrine.store.check(database=False).orphan_files == []
        assert len(body["result"]["audience"]) == 5 and body["result"]["item_id"] == "dress-1"
        item = client.get("/items/dress-1").json()
        assert item["generated"] is True and item["price"] == 30
        again = client.post("/admin/launch", json={"description": "x", "add": True, "item_id": "dress-1"},
                            headers=ADMIN)
        assert again.status_code == 409


def test_a_refit_job_serves_the_new_model(shop_copy, tiny_pipeline_dir, wait_for_job):
    settings = Settings(shop_copy.data, shop_copy.url, recommender=shop_copy.data / "models" / "recommender",
                               model=tiny_pipeline_dir, token=TOKEN)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["recommender"] is False
        assert client.post("/admin/reload", headers=ADMIN).status_code == 404
        body = wait_for_job(client, client.post("/admin/fit", json={"epochs": 1, "dim": 8}, headers=ADMIN)
                            .json()["url"], seconds=300)
        assert body["status"] == "done", body["error"]
        # the fit reported its phases to the row, its last caching every shopper's recommendations
        assert body["progress"] == {"phase": "cache recommendations", "fraction": 1.0}
        assert shop_copy.store().cached_count() == 300
        assert body["result"]["pairs"] > 0 and client.get("/health").json()["recommender"] is True
        assert client.get("/users/u-00003/recommendations").status_code == 200
        assert client.post("/admin/reload", headers=ADMIN).json()["users"] == 300
