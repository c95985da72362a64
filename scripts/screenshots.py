"""Screenshots of the storefront for the docs, in Debian's Chromium driven by Playwright.

    vitrine serve --port 8000 &          # over the demo shop (make demo)
    python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs]

Writes storefront-home.png (a shopper's recommendations and the designs made for them),
storefront-item.png (an item page with similar items), storefront-browse.png (filters) and, given
the admin token (--token, else $VITRINE_TOKEN, else DATA_DIR/service-token), storefront-launch.png
(a product launched from the owner's form: its candidates and likely buyers).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs")
    parser.add_argument("--shopper", default="u-00003")
    parser.add_argument("--item", default="fm-00001")
    parser.add_argument("--token", help="the service's admin token (for the launch page)")
    parser.add_argument("--data-dir", default="vitrine-data", help="where to read service-token if no --token")
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
        token_file = Path(args.data_dir) / "service-token"
        token = args.token or os.environ.get("VITRINE_TOKEN") or (token_file.read_text().strip()
                                                                  if token_file.exists() else None)
        if token:
            page.goto(f"{args.url}/shop/launch")
            page.fill("textarea[name=description]", "a mustard yellow checked coat")
            page.fill("input[name=price]", "89")
            page.fill("input[name=token]", token)
            page.click("button.primary")
            page.wait_for_selector(".job[data-status=done]", timeout=180_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "storefront-launch.png")
        browser.close()
    print(f"→ {out}/storefront-home.png, storefront-item.png, storefront-browse.png"
          + (", storefront-launch.png" if token else " (no token: no launch page)"))


if __name__ == "__main__":
    main()
