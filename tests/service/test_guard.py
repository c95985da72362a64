"""Every response carries the security headers; a state-changing request from another site's page
is refused; HEAD answers wherever GET does. The storefront's pages meet the CSP in Chromium
(tests/storefront/test_browser.py)."""

import pytest
from fastapi.testclient import TestClient

from vitrine.app.settings import Settings
from vitrine.storefront.app import create_app


@pytest.fixture(scope="module")
def client(shop, recommender_dir, tmp_path_factory):
    import shutil
    data = tmp_path_factory.mktemp("guard") / "data"
    shutil.copytree(shop.data_dir, data)
    settings = Settings(data, recommender=recommender_dir, cors_origins=("https://partner.example",))
    with TestClient(create_app(settings)) as client:
        yield client


EVENT = {"user_id": "u-00003", "item_id": "fm-00001", "event": "view"}


def test_every_response_carries_the_security_headers(client):
    for path in ("/health", "/", "/items/fm-00001", "/items/nope", "/static/shop.css", "/shop/browse"):
        answer = client.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["x-frame-options"] == "DENY", path
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp, path
    assert "'unsafe-inline'" in client.get("/docs").headers["content-security-policy"]  # Swagger's own start-up


def test_head_answers_wherever_get_does(client):
    sha = client.get("/items/fm-00001").json()["image"]
    for path in ("/health", "/", "/items/fm-00001", "/items?category=coat", sha, "/shop/browse", "/static/shop.js",
                 "/users/u-00003/recommendations", "/openapi.json"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"], path
    assert client.head("/items/nope").status_code == 404


@pytest.mark.parametrize("header", ["origin", "referer"])
def test_a_post_from_another_sites_page_is_refused(client, header):
    foreign = {"origin": "https://evil.example", "referer": "https://evil.example/page"}[header]
    refused = client.post("/events", json=EVENT, headers={header: foreign})
    assert refused.status_code == 403 and "evil.example" in refused.json()["error"]
    form = client.post("/shop/event", data={"item_id": "fm-00001", "event": "view"}, headers={header: foreign},
                       follow_redirects=False)
    assert form.status_code == 403
    own = {"origin": "http://testserver", "referer": "http://testserver/shop/item/fm-00001"}[header]
    assert client.post("/events", json=EVENT, headers={header: own}).status_code == 201


def test_scripts_and_configured_origins_may_post(client):
    assert client.post("/events", json=EVENT).status_code == 201  # no Origin, no Referer: not a browser form
    assert client.post("/events", json=EVENT, headers={"origin": "https://partner.example"}).status_code == 201
    assert client.post("/events", json=EVENT, headers={"origin": "null"}).status_code == 403
