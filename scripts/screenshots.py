"""Screenshots of the storefront for the docs, in Debian's Chromium driven by Playwright.

    vitrine serve --port 8000 &          # over the demo shop (make demo)
    python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs]

Writes storefront-home.png (a shopper's recommendations and the designs made for them),
storefront-item.png (an item page with similar items), storefront-browse.png (filters) and, given
the admin token (--token, else $VITRINE_TOKEN, else DATA_DIR/service-token), storefront-launch.png
(a product launched from the owner's form: its candidates and likely buyers), and
storefront-tryon-panel.png / storefront-tryon.png (an item page's "Try it on" and its job page:
before, the try-on pictures, and the drawn model wearing the item). `--shots` picks some of
home, item, browse, launch, tryon.
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
    parser.add_argument("--tryon-item", default="fm-00005", help="a top, trousers or shoes to try on")
    parser.add_argument("--shots", default="home,item,browse,launch,tryon", help="which screenshots (comma-separated)")
    args = parser.parse_args()
    shots = set(args.shots.split(","))
    from playwright.sync_api import sync_playwright
    out = Path(args.out)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        if "home" in shots:
            page.goto(f"{args.url}/shop/as?user={args.shopper}")
            page.click("#designed button")
            page.wait_for_selector("#designed .designs img", timeout=180_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "storefront-home.png", full_page=True)
        if "item" in shots:
            page.goto(f"{args.url}/shop/item/{args.item}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "storefront-item.png")
        if "browse" in shots:
            page.goto(f"{args.url}/shop/browse?category=dress&colour=red&colour=blue")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "storefront-browse.png")
        token_file = Path(args.data_dir) / "service-token"
        token = args.token or os.environ.get("VITRINE_TOKEN") or (token_file.read_text().strip()
                                                                  if token_file.exists() else None)
        if token and "launch" in shots:
            page.goto(f"{args.url}/shop/launch")
            page.fill("textarea[name=description]", "a mustard yellow checked coat")
            page.fill("input[name=price]", "89")
            page.fill("input[name=token]", token)
            page.click("button.primary")
            page.wait_for_selector(".job[data-status=done]", timeout=180_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "storefront-launch.png")
        if "tryon" in shots:
            page.goto(f"{args.url}/shop/item/{args.tryon_item}")
            page.wait_for_load_state("networkidle")
            page.locator("#tryon").screenshot(path=out / "storefront-tryon-panel.png")
            page.click("#tryon button.primary")
            page.wait_for_selector(".job[data-status=done]", timeout=180_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "storefront-tryon.png")
        browser.close()
    print(f"→ {out}: {', '.join(sorted(shots))}" + ("" if token or "launch" not in shots else " (no token: no launch page)"))


if __name__ == "__main__":
    main()
