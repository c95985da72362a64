"""Screenshots of the storefront for the docs, in Debian's Chromium driven by Playwright.

    vitrine serve --port 8000 &          # over the demo shop (make demo)
    python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs]

Writes storefront-home.png (a shopper's recommendations and the designs made for them),
storefront-item.png (an item page with similar items) and storefront-browse.png (filters).
"""

from __future__ import annotations

import argparse
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs")
    parser.add_argument("--shopper", default="u-00003")
    parser.add_argument("--item", default="fm-00001")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    out = Path(args.out)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{args.url}/shop/as?user={args.shopper}")
        page.click("#designed button")
        page.wait_for_selector("#designed .designs img", timeout=180_000)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "storefront-home.png", full_page=True)
        page.goto(f"{args.url}/shop/item/{args.item}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "storefront-item.png")
        page.goto(f"{args.url}/shop/browse?category=dress&colour=red&colour=blue")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "storefront-browse.png")
        browser.close()
    print(f"→ {out}/storefront-home.png, storefront-item.png, storefront-browse.png")


if __name__ == "__main__":
    main()
