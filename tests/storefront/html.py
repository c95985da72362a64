"""Reading the storefront's HTML in tests: the items a page links to, one section of a page."""

import re


def item_links(html: str) -> list[str]:
    """The item IDs the HTML links to, in order."""
    return re.findall(r'href="/shop/item/([^"]+)"', html)


def section(html: str, section_id: str) -> str:
    """The HTML of one <section id=…> of a page ("" when the page has none)."""
    found = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    return found.group(0) if found else ""
