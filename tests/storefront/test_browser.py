"""The storefront in a real browser: Debian's Chromium driven by Playwright against a server on
loopback. Pick a shopper, open an item, see similar items, ask for designs, see them appear; and
browse with JavaScript off. Skipped where Chromium is not installed, unless
$VITRINE_REQUIRE_BROWSER is set (CI sets it, so there it must run)."""

import os
import shutil

import pytest

from ..live import live_server

pytestmark = pytest.mark.slow  # a real browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

if not os.path.exists(CHROMIUM) and not os.environ.get("VITRINE_REQUIRE_BROWSER"):
    pytest.skip(f"no {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


def _serve(settings):
    """The storefront on a free loopback port, in a thread: yields its URL."""
    from vitrine.storefront.app import create_app
    with live_server(create_app(settings)) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(shop, recommender_dir, tiny_pipeline_dir, tmp_path_factory):
    """The service over a copy of the small shop."""
    from vitrine.app.settings import Settings
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(shop.data_dir, data)
    yield from _serve(Settings(data, recommender=recommender_dir, model=tiny_pipeline_dir, token="t" * 20))


@pytest.fixture(scope="module")
def tour_server(tryon_shop, recommender_dir, tiny_pipeline_dir, tmp_path_factory):
    """The service over a copy of the small shop with its drawn people and a try-on model."""
    from vitrine.app.settings import Settings
    data, model = tryon_shop
    copy = tmp_path_factory.mktemp("tour") / "data"
    shutil.copytree(data, copy)
    yield from _serve(Settings(copy, recommender=recommender_dir, model=tiny_pipeline_dir, tryon_model=model,
                               token="t" * 20))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def test_a_shopper_browses_opens_an_item_and_gets_designs(server, browser):
    page = browser.new_page()
    page.set_default_timeout(15_000)
    violations = csp_violations(page)
    page.goto(server + "/")
    shopper = page.locator("#shopper-pick option").nth(1).get_attribute("value")
    page.select_option("#shopper-pick", shopper)
    page.click(".shopper button")
    page.wait_for_selector("#recommended .card")
    assert page.locator("#recommended h2").inner_text() == "Recommended for you"
    assert page.locator("#shopper-pick").input_value() == shopper
    assert page.locator("#recommended .because").count() > 0
    page.locator("#recommended .card").first.click()
    page.wait_for_selector("#similar .card")
    assert page.locator("#similar .card").count() >= 10
    assert page.locator(".item .big img").evaluate("img => getComputedStyle(img).imageRendering") == "pixelated"
    assert page.locator(".item .big img").evaluate("img => img.naturalWidth") > 0  # the picture really loaded
    page.goto(server + "/")
    page.click("#designed button")  # the script waits for the job, then the page reloads with them
    page.wait_for_selector("#designed .designs-shown figure", timeout=90_000)
    assert page.locator("#designed .designs-shown figure").count() == 4
    assert page.locator("#designed .closest img").count() == 4  # each beside its closest item in stock
    every_picture_loads(page)
    assert page.locator("#designed .badge").first.inner_text() == "generated"
    assert violations == []  # the pages meet their Content-Security-Policy (script and style from /static only)
    page.close()


def test_browsing_and_search_work_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(server + "/shop/browse")
    page.check("input[name=category][value=coat]")
    page.click(".filters button")
    page.wait_for_url("**category=coat**")
    titles = page.locator(".grid .card").count()
    assert titles > 0 and page.locator("input[name=category][value=coat]").is_checked()
    page.fill("header input[name=q]", "a red coat")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/shop/search?q=**")
    assert page.locator(".grid .card").count() > 0
    context.close()


def csp_violations(page) -> list[str]:
    """A list that collects the Content-Security-Policy violations the page reports from now on."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    return seen


def every_picture_loads(page) -> None:
    """Wait until every <img> on the page has finished loading, then assert none is broken."""
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    broken = page.evaluate("() => [...document.images].filter(i => i.naturalWidth === 0).map(i => i.src)")
    assert broken == [], f"pictures that did not load: {broken}"


def test_the_owner_launches_a_product_and_sees_its_pictures(server, browser):
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(server + "/shop/launch")
    page.fill("textarea[name=description]", "a red striped dress")
    page.fill("input[name=price]", "25")
    page.fill("input[name=token]", "t" * 20)
    page.click(".launch button[type=submit]")
    page.wait_for_selector(".job[data-status=done]", timeout=120_000)  # the job page refreshes itself
    assert page.locator(".job img").count() == 4
    assert page.locator(".job figure.chosen").count() == 1
    every_picture_loads(page)
    page.close()


def test_the_api_docs_render_offline(server, browser):
    page = browser.new_page()
    page.set_default_timeout(15_000)
    failed, violations = [], csp_violations(page)
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock")  # Swagger UI drew the operations from /openapi.json
    assert page.locator(".opblock").count() >= 20 and failed == [] and violations == []
    page.close()


def test_the_tour_home_pick_item_cart_search_sort_filter_design_tryon_launch(tour_server, browser):
    """A shopper's and then the owner's whole visit, every picture of every page loaded."""
    import re
    server = tour_server
    page = browser.new_page()
    page.set_default_timeout(20_000)
    violations = csp_violations(page)
    page.goto(server + "/")
    every_picture_loads(page)
    page.select_option("#shopper-pick", page.locator("#shopper-pick option").nth(1).get_attribute("value"))
    page.click(".shopper button")
    page.wait_for_selector("#recommended .card")
    every_picture_loads(page)
    in_cart = int(page.locator(".top .cart .count").inner_text())
    page.locator("#recommended .card").first.click()  # an item
    page.wait_for_selector(".item .buy")
    every_picture_loads(page)
    item = page.url.rsplit("/", 1)[1]
    page.click(".buy button[value=cart]")  # into the cart
    page.wait_for_selector("p.done")
    assert int(page.locator(".top .cart .count").inner_text()) == in_cart + 1
    page.click(".top .cart")
    page.wait_for_selector("#cart")
    assert page.locator(f'#cart .card[data-item="{item}"]').count() == 1
    every_picture_loads(page)
    page.fill("header input[name=q]", "red dres under 80")  # a search with a typo and a price word
    page.press("header input[name=q]", "Enter")
    page.wait_for_selector("p.read")
    assert "Showing results for “red dress”" in page.locator("p.read").inner_text()
    every_picture_loads(page)
    page.goto(server + "/shop/browse")  # sort and filter
    page.select_option("select[name=sort]", "price")
    page.check("input[name=pattern][value=striped]")
    page.click(".filters button")
    page.wait_for_url("**pattern=striped**")
    prices = [float(t.strip("€")) for t in page.locator(".grid .card .price").all_inner_texts()]
    assert prices and prices == sorted(prices)
    every_picture_loads(page)
    page.goto(server + "/")  # designs
    page.click("#designed button")
    page.wait_for_selector("#designed .designs-shown figure", timeout=120_000)
    every_picture_loads(page)
    wearable = page.evaluate("""async () => {
        const r = await fetch('/items?category=t-shirt&category=pullover&category=shirt&limit=1');
        return (await r.json()).items[0].id; }""")
    page.goto(f"{server}/shop/item/{wearable}")  # try-on on a drawn model
    page.click("#tryon button[type=submit]")
    page.wait_for_selector(".job[data-status=done]", timeout=120_000)
    assert page.locator(".job img").count() >= 3  # before, the pictures, the true render
    every_picture_loads(page)
    page.goto(server + "/shop/launch")  # the owner launches a product
    page.fill("textarea[name=description]", "a navy checked coat")
    page.fill("input[name=price]", "90")
    page.fill("input[name=token]", "t" * 20)
    page.click(".launch button[type=submit]")
    page.wait_for_selector(".job[data-status=done]", timeout=120_000)
    assert page.locator(".job img").count() == 4 and re.search(r"/shop/job/", page.url)
    every_picture_loads(page)
    assert violations == []
    page.close()
