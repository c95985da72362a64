"""The HTTP API over the small shop with a tiny fitted recommender (FastAPI's TestClient)."""

import hashlib

import pytest
from fastapi.testclient import TestClient

from vitrine.service.app import create_app
from vitrine.app.settings import Settings

from ..conftest import BACKENDS, copy_shop


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, shop, recommender_dir, tmp_path_factory):
    """On SQLite and on PostgreSQL (the same shop built on each)."""
    copy = copy_shop(request.param, shop, tmp_path_factory.mktemp("api"), request)
    return TestClient(create_app(Settings(copy.data, copy.url, recommender=recommender_dir)))


def test_health_says_what_is_loaded(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["items"] == 400 and body["recommender"] is True


def test_items_filter_by_several_categories_colours_and_price_and_page(client, shop):
    page = client.get("/items", params={"category": ["coat", "bag"], "colour": ["red", "navy", "black"],
                                        "max_price": 100, "limit": 5}).json()
    assert 0 < len(page["items"]) <= 5 and page["total"] >= len(page["items"])
    for item in page["items"]:
        assert item["category"] in ("coat", "bag") and item["colour"] in ("red", "navy", "black")
        assert item["price"] <= 100 and item["image"].startswith("/images/") and item["generated"] is False
    rest = client.get("/items", params={"category": ["coat", "bag"], "colour": ["red", "navy", "black"],
                                        "max_price": 100, "limit": 5, "offset": 5}).json()
    assert not {i["id"] for i in page["items"]} & {i["id"] for i in rest["items"]} and rest["total"] == page["total"]
    everything = client.get("/items", params={"limit": 100}).json()
    assert everything["total"] == 400 and len(everything["items"]) == 100


def test_an_item_and_its_picture_served_by_content_hash(client, shop):
    item = client.get("/items/fm-00001").json()
    assert item["id"] == "fm-00001" and item["description"] and item["image"]
    picture = client.get(item["image"])
    assert picture.status_code == 200 and picture.headers["content-type"].startswith("image/")
    assert "immutable" in picture.headers["cache-control"]
    assert hashlib.sha256(picture.content).hexdigest() == item["image"].rsplit("/", 1)[1]


@pytest.mark.parametrize("path", ["/images/" + "0" * 64, "/images/..%2F..%2Fvitrine.db", "/images/abc",
                                  "/images/%2Fetc%2Fpasswd"])
def test_no_file_outside_the_listed_images_is_served(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "error" in response.json()


def test_recommendations_leave_out_purchases_cap_and_filter_categories(client, shop, recommender_dir):
    from vitrine.recommend.serve import Recommendations
    recs = Recommendations(recommender_dir)
    user = next(str(u) for k, u in enumerate(recs.user_ids) if recs.model.bought[k].nnz)
    body = client.get(f"/users/{user}/recommendations", params={"k": 12, "per_category": 2}).json()
    items = body["items"]
    assert len(items) == 12  # in the re-ranked order (tests/recommend/test_diversity.py), not by score
    bought = {str(recs.item_ids[j]) for j in recs.model.bought[recs.user_pos[user]].indices}
    assert not bought & {i["id"] for i in items}
    per = {}
    for i in items:
        per[i["category"]] = per.get(i["category"], 0) + 1
    assert max(per.values()) <= 2 and all(isinstance(i["because"], list) for i in items)
    only = client.get(f"/users/{user}/recommendations", params={"k": 5, "category": ["bag", "dress"]}).json()
    assert only["items"] and {i["category"] for i in only["items"]} <= {"bag", "dress"}


def test_similar_items(client):
    body = client.get("/items/fm-00001/similar", params={"k": 4}).json()
    assert len(body["items"]) == 4 and "fm-00001" not in {i["id"] for i in body["items"]}


@pytest.mark.parametrize("path,params,status,needle", [
    ("/users/nobody/recommendations", {}, 404, "unknown user 'nobody'"),
    ("/users/u-00001/recommendations", {"k": 0}, 422, "k"),
    ("/users/u-00001/recommendations", {"k": 1000}, 422, "k"),
    ("/items", {"limit": 101}, 422, "limit"),
    ("/items", {"min_price": "cheap"}, 422, "min_price"),
    ("/items", {"category": ["x"] * 21}, 422, "category"),
    ("/items/nope", {}, 404, "no item 'nope'"),
    ("/items/nope/similar", {}, 404, "no item 'nope'"),
])
def test_bad_requests_get_one_json_message(client, path, params, status, needle):
    response = client.get(path, params=params)
    assert response.status_code == status and needle in response.json()["error"]


def test_without_a_fitted_recommender_recommendations_say_so(shop, tmp_path):
    client = TestClient(create_app(Settings(shop.data_dir, recommender=tmp_path / "none")))
    assert client.get("/health").json()["recommender"] is False
    response = client.get("/users/u-00001/recommendations")
    assert response.status_code == 503 and "vitrine fit" in response.json()["error"]


def test_serve_refuses_a_missing_store(tmp_path, capsys):
    from vitrine.cli import main
    assert main(["--data-dir", str(tmp_path / "typo"), "serve"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_text_search_finds_what_the_words_name(client):
    body = client.get("/search", params={"q": "red checked coat", "k": 10}).json()
    assert len(body["items"]) == 10
    coats = [i for i in body["items"] if i["category"] == "coat"]
    assert len(coats) >= 5  # 10 % of the catalog is coats
    assert client.get("/search", params={"q": " "}).status_code == 422
    assert client.get("/search", params={"q": "x" * 201}).status_code == 422


def test_metrics_count_requests_by_route_template(client):
    client.get("/items/fm-00002")
    client.get("/items/no-such-item")
    text = client.get("/metrics").text
    assert 'vitrine_requests_total{method="GET",route="/items/{item_id}",status="200"}' in text
    assert 'route="/items/{item_id}",status="404"' in text and "no-such-item" not in text
    assert "vitrine_request_seconds_bucket" in text and "vitrine_open_jobs" in text


def test_an_ab_arm_s_list_comes_from_the_same_fit(client, recommender_dir):
    from vitrine.recommend.serve import Recommendations
    recs = Recommendations(recommender_dir)
    user = str(recs.user_ids[3])
    popular = client.get(f"/users/{user}/recommendations", params={"arm": "popularity", "k": 7}).json()["items"]
    als = client.get(f"/users/{user}/recommendations", params={"arm": "als", "k": 7}).json()["items"]
    assert len(popular) == len(als) == 7 and all(i["because"] == [] and i["title"] for i in popular + als)
    assert [i["id"] for i in popular] != [i["id"] for i in als]
    bad = client.get(f"/users/{user}/recommendations", params={"arm": "random"})
    assert bad.status_code == 422 and "arm: one of multimodal, als, popularity" in bad.json()["error"]
    capped = client.get(f"/users/{user}/recommendations", params={"arm": "als", "per_category": 2})
    assert capped.status_code == 422 and "multimodal arm" in capped.json()["error"]
    assert client.get("/users/nobody-at-all/recommendations", params={"arm": "als"}).status_code == 404
