"""What a shopper expects of any shop, as the pages show it: a cart with its count, orders,
recently viewed, sort, filters by pattern and brand with counts that follow the other filters,
search that reads typos and price words, reasons that name an item once."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.storefront.html import item_links, section
from vitrine.app.settings import Settings
from vitrine.storage.store import Store
from vitrine.storefront.app import create_app


@pytest.fixture
def client(data, recommender_dir, tiny_pipeline_dir):
    return TestClient(create_app(Settings(data, recommender=recommender_dir, model=tiny_pipeline_dir,
                                          token="a-test-token-of-enough-length")))


def _count(html: str) -> int:
    return int(re.search(r'<span class="count"[^>]*>(\d+)</span>', html).group(1))


def test_the_cart_counts_lists_and_buys_and_orders_follow(client, data, monkeypatch):
    monkeypatch.setattr("vitrine.storefront.pages.CART_SHOWN", 2)  # more in the cart than the page draws
    client.cookies.set("vitrine_user", "u-00003")
    before = _count(client.get("/").text)
    items = [r.id for r in Store(data, create=False).item_rows(("id",))[100:103]]
    for item in items:
        added = client.post("/shop/event", data={"item_id": item, "event": "cart"})
        assert "Added to your cart." in added.text
    cart = client.get("/shop/cart").text
    assert _count(cart) == before + 3 and item_links(section(cart, "cart")) == items[:0:-1]
    assert f"{before + 3} items (the latest 2 shown" in cart
    bought = client.post("/shop/cart/buy")
    assert bought.status_code == 200 and _count(bought.text) == 0 and "The cart is empty" in bought.text
    assert set(items) <= set(item_links(section(bought.text, "orders")))


def test_an_anonymous_visitor_has_no_cart_but_is_told_why(data, recommender_dir, tiny_pipeline_dir):
    client = TestClient(create_app(Settings(data, recommender=recommender_dir, model=tiny_pipeline_dir)))
    page = client.get("/shop/cart")
    assert page.status_code == 400 and "Pick a shopper" in page.text


def test_recently_viewed_follows_the_shoppers_item_pages(client, data):
    client.cookies.set("vitrine_user", "u-00005")
    items = [r.id for r in Store(data, create=False).item_rows(("id",))[200:203]]
    for item in items:
        client.get(f"/shop/item/{item}")
    assert item_links(section(client.get("/").text, "viewed"))[:3] == items[::-1]


def test_browse_sorts_and_filters_by_pattern_and_brand_with_counts_under_the_other_filters(client, data):
    rows = Store(data, create=False).item_rows(("id", "category", "colour", "pattern", "brand", "price"))
    brand = rows[0].brand
    page = client.get("/shop/browse", params={"pattern": "striped", "brand": brand, "sort": "price"}).text
    shown = {r.id: r for r in rows if r.id in set(item_links(page))}
    wanted = [r for r in rows if r.pattern == "striped" and r.brand == brand]
    assert shown and all(r.pattern == "striped" and r.brand == brand for r in shown.values())
    prices = [shown[i].price for i in item_links(page)]
    assert prices == sorted(prices) and f"{len(wanted):,} items" in page
    # the colour counts are those of striped items of that brand; the pattern counts ignore the pattern filter
    red = sum(r.colour == "red" for r in wanted)
    if red:
        assert re.search(rf'value="red"\s*> red <small>{red}</small>', page)
    solid = sum(r.pattern == "solid" and r.brand == brand for r in rows)
    assert re.search(rf'value="solid"\s*> solid <small>{solid:,}</small>', page)
    dearest = client.get("/shop/browse", params={"sort": "-price"}).text
    assert {r.id: r.price for r in rows}[item_links(dearest.split("items</h2>")[1])[0]] == max(r.price for r in rows)
    assert client.get("/shop/browse", params={"sort": "cheapest"}).status_code == 422


def test_search_reads_a_typo_and_a_price_word(client, data):
    page = client.get("/shop/search", params={"q": "red dres under 60"}).text
    assert "Showing results for “red dress”" in page and "Only red dress up to €60.00" in page
    rows = {r.id: r for r in Store(data, create=False).item_rows(("id", "category", "colour", "price"))}
    found = item_links(page)
    assert found and all(rows[i].category == "dress" and rows[i].colour == "red" and rows[i].price <= 60
                         for i in found)


def test_a_reason_names_each_item_once(client):
    client.cookies.set("vitrine_user", "u-00003")
    reasons = re.findall(r'<div class="because">because you looked at (.*?)</div>', client.get("/").text)
    assert reasons and all(len(set(r.split(" and "))) == len(r.split(" and ")) for r in reasons)
