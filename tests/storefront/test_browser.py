"""The storefront in a real browser: Debian's Chromium driven by Playwright against a server on
loopback. Pick a shopper, open an item, see similar items, ask for designs, see them appear; and
browse with JavaScript off. Skipped where Chromium is not installed, unless
$VITRINE_REQUIRE_BROWSER is set (CI sets it, so there it must run)."""

import os
import shutil
import socket
import threading
import time

import pytest

pytestmark = pytest.mark.slow  # a real browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

if not os.path.exists(CHROMIUM) and not os.environ.get("VITRINE_REQUIRE_BROWSER"):
    pytest.skip(f"no {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(shop, recommender_dir, tiny_pipeline_dir, tmp_path_factory):
    """The service on a free loopback port, in a thread, over a copy of the small shop."""
    import uvicorn

    from vitrine.storefront.app import create_app
    from vitrine.app.settings import Settings
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(shop.data_dir, data)
    app = create_app(Settings(data, recommender=recommender_dir, model=tiny_pipeline_dir, token="t" * 20))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


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
    page.click("#designed button")
    page.wait_for_selector("#designed .designs img", timeout=90_000)
    images = page.locator("#designed .designs img")
    assert images.count() == 4
    page.wait_for_function("() => [...document.querySelectorAll('#designed .designs img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("#designed .badge").first.inner_text() == "generated"
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
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock")  # Swagger UI drew the operations from /openapi.json
    assert page.locator(".opblock").count() >= 20 and failed == []
    page.close()
