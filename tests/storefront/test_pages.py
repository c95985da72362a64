"""The storefront's pages, without a browser: each renders, the shopper picker is a cookie, a
picked shopper's views and purchases are stored and change their recommendations, and the
no-JavaScript paths (design, launch) land on a job page that shows the pictures."""

import re

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.storefront.html import item_links, section
from vitrine.storage.images import encode_png
from vitrine.storage.store import Store
from vitrine.storefront.app import create_app
from vitrine.app.settings import Settings

TOKEN = "a-test-token-of-enough-length"


@pytest.fixture
def client(data, recommender_dir, tiny_pipeline_dir):
    return TestClient(create_app(Settings(data, recommender=recommender_dir, model=tiny_pipeline_dir,
                                                 token=TOKEN)))




def test_the_home_page_offers_shoppers_and_new_items(client):
    page = client.get("/")
    assert page.status_code == 200 and "New in" in page.text and "Pick a shopper" in page.text
    assert len(re.findall(r"<option value=\"u-", page.text)) == 12 and item_links(page.text)
    assert 'href="/static/shop.css"' in page.text and client.get("/static/shop.css").status_code == 200
    assert "image-rendering: pixelated" in client.get("/static/shop.css").text


def test_picking_a_shopper_shows_their_recommendations_with_reasons(client):
    picked = client.get("/shop/as", params={"user": "u-00003"}, follow_redirects=False)
    assert picked.status_code == 303 and "vitrine_user=u-00003" in picked.headers["set-cookie"]
    client.cookies.set("vitrine_user", "u-00003")
    page = client.get("/").text
    assert "Recommended for you" in page and "because you looked at" in page and "Design for me" in page
    assert client.get("/shop/as", params={"user": "nobody"}).status_code == 404


def test_views_and_purchases_are_stored_and_a_bought_item_leaves_the_recommendations(client, data):
    client.cookies.set("vitrine_user", "u-00003")
    first = item_links(section(client.get("/").text, "recommended"))[0]
    before = Store(data, create=False).last_event_id()
    assert client.get(f"/shop/item/{first}").status_code == 200
    bought = client.post("/shop/event", data={"item_id": first, "event": "purchase"}, follow_redirects=False)
    assert bought.status_code == 303 and bought.headers["location"].endswith("done=purchase")
    events = Store(data, create=False).events_after("u-00003", before)
    assert [(item, event) for _, item, event in events] == [(first, "view"), (first, "purchase")]
    assert first not in item_links(section(client.get("/").text, "recommended"))
    assert client.post("/shop/event", data={"item_id": first, "event": "steal"}).status_code == 404


def test_an_anonymous_visitor_gets_picks_from_the_items_they_viewed(client):
    assert "Picked from what you viewed" not in client.get("/").text
    client.get("/shop/item/fm-00001")
    assert "Picked from what you viewed" in client.get("/").text
    assert client.post("/shop/event", data={"item_id": "fm-00001", "event": "cart"}).status_code == 400


def test_item_pages_show_similar_items_and_unknown_items_are_404(client):
    page = client.get("/shop/item/fm-00001")
    assert "Similar items" in page.text and len(item_links(page.text)) >= 10
    assert client.get("/shop/item/nope").status_code == 404


def test_browse_filters_and_pages_work_without_javascript(client):
    page = client.get("/shop/browse", params={"category": ["coat", "bag"], "colour": "red", "page": 1})
    assert page.status_code == 200 and re.search(r"<h2>\d+ items</h2>", page.text)
    assert 'value="coat" checked' in page.text and 'value="red" checked' in page.text
    assert client.get("/shop/browse", params={"page": 0}).status_code == 422
    empty_boxes = client.get("/shop/browse", params={"category": "coat", "min_price": "", "max_price": ""})
    assert empty_boxes.status_code == 200 and 'value="coat" checked' in empty_boxes.text
    assert client.get("/shop/browse", params={"min_price": "free"}).status_code == 422
    assert client.get("/shop/browse", params={"max_price": "nan"}).status_code == 422


def test_search_finds_items_by_meaning(client):
    page = client.get("/shop/search", params={"q": "a red coat"})
    assert page.status_code == 200 and len(item_links(page.text)) > 0


def test_a_generated_picture_carries_the_badge(client, data):
    admin = {"Authorization": f"Bearer {TOKEN}"}
    client.post("/admin/items", json={"id": "new-1", "title": "Sketch"}, headers=admin)
    assert "no picture yet" in client.get("/shop/item/new-1").text
    with Store(data, create=False).loading() as load:
        stored = load.images.put(encode_png(np.zeros((32, 32, 3), np.uint8)))
        load.add_generated_image(stored, "a sketch", 0, "test", {}, item_id="new-1")
    page = client.get("/shop/item/new-1").text
    assert "generated preview" in page and "no picture yet" not in page
    assert "generated preview" not in client.get("/shop/item/fm-00001").text.split("Similar items")[0]


def test_designs_without_javascript_land_on_a_job_page_that_shows_them(data, recommender_dir, tiny_pipeline_dir,
                                                                       wait_for_job):
    settings = Settings(data, recommender=recommender_dir, model=tiny_pipeline_dir, token=TOKEN)
    with TestClient(create_app(settings)) as client:
        assert client.post("/shop/design").status_code == 400  # no shopper picked
        client.cookies.set("vitrine_user", "u-00003")
        queued = client.post("/shop/design", follow_redirects=False)
        assert queued.status_code == 303 and queued.headers["location"].startswith("/shop/job/")
        job_id = queued.headers["location"].rsplit("/", 1)[1]
        assert wait_for_job(client, f"/jobs/{job_id}")["status"] == "done"
        page = client.get(queued.headers["location"]).text
        assert page.count('class="badge">generated') == 4 and 'http-equiv="refresh"' not in page
        # each design beside its closest item: that item's picture, title and price
        closest = re.findall(r'<a class="closest" href="/shop/item/([^"]+)">\s*<img src="(/images/[0-9a-f]{64})"'
                             r'.*?(?:Like this item in stock|Closest in stock): [^<]*€\d+\.\d\d</span>', page, re.S)
        assert len(closest) == 4 and all(client.get(src).status_code == 200 for _, src in closest)
        prompts = re.findall(r'<figcaption>([^<]+?)\s*<a class="closest"', page)
        assert len(set(prompts)) == 4, prompts  # four different ideas, not one twice
        # kept: the home page shows the same designs until the shopper asks again
        home = client.get("/").text
        assert section(home, "designed").count('class="badge">generated') == 4 and "Design again" in home


def test_the_launch_form_needs_the_token_and_checks_the_price(client):
    wrong = client.post("/shop/launch", data={"description": "a red dress", "token": "nope"})
    assert wrong.status_code == 401 and "admin token" in wrong.text and "a red dress" in wrong.text
    bad = client.post("/shop/launch", data={"description": "a red dress", "price": "cheap", "token": TOKEN})
    assert bad.status_code == 422 and "price" in bad.text
    queued = client.post("/shop/launch", data={"description": "a red dress", "price": "20", "token": TOKEN},
                         follow_redirects=False)
    assert queued.status_code == 303
    assert 'http-equiv="refresh"' in client.get(queued.headers["location"]).text  # no worker here: still queued
    # the owner's launches count apart from this address's generations, which now fill its share
    answers = [client.post("/generate", json={"prompt": "a red dress", "n": 1}).status_code for _ in range(6)]
    assert answers[-1] == 429
    assert client.post("/shop/launch", data={"description": "a blue coat", "token": TOKEN},
                       follow_redirects=False).status_code == 303


def test_the_api_docs_the_favicon_and_the_pages_metrics_need_no_network(client):
    docs = client.get("/docs")
    assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', docs.text)
    assert docs.status_code == 200 and assets and all(a.startswith("/") for a in assets), assets  # no CDN
    assert all(client.get(a).status_code == 200 for a in assets)
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and all(a.startswith("/") for a in re.findall(r'src="([^"]+)"', redoc.text))
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png" and icon.content[:4] == b"\x89PNG"
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").text
    client.get("/shop/browse")
    client.get("/static/shop.css")
    metrics = client.get("/metrics").text
    assert 'route="/shop/browse"' in metrics and 'route="/static/{path}"' in metrics
    assert 'route="unmatched"' not in metrics


def test_before_the_first_fit_the_shop_says_it_is_getting_ready(data, tiny_pipeline_dir):
    from vitrine.app.settings import Settings as S
    app = create_app(S(data, recommender=data / "models" / "none", model=tiny_pipeline_dir, token=TOKEN, job_workers=0))
    client = TestClient(app)
    app.state.vitrine.queue.add("fit", {}, "demo")  # queued, no worker: it stays queued
    home = client.get("/").text
    assert "it is fitting its recommender (queued for 0 min)" in home
    assert len(re.findall(r"<option value=\"u-", home)) == 12  # the most active shoppers can be picked already
    assert item_links(section(home, "best")) and item_links(section(home, "newest"))  # useful already
    search = client.get("/shop/search", params={"q": "something warm"}).text
    assert "Search by meaning starts once the recommender is ready" in search and "a fit is queued" in search
    # the catalog's own words work before the fit: "red dres under 80" is red dresses up to €80
    found = client.get("/shop/search", params={"q": "red dres under 80"}).text
    assert "Only red dress up to €80.00" in found and "a fit is queued" in found
    store = Store(data, create=False)
    items = {r.id: r for r in store.item_rows(("id", "category", "colour", "price"), ids=item_links(found))}
    assert items and all((r.category, r.colour) == ("dress", "red") and r.price <= 80 for r in items.values())
    api = client.get("/users/u-00003/recommendations")
    assert api.status_code == 503 and "a fit is queued" in api.json()["error"]
