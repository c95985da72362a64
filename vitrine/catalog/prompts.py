"""The prompt of a catalog item: what the generator learns it from and what try-on sends for it.

Its description (its title when it has none), led by the colour, pattern and kind of product from
the item's own columns when the text does not name them all: "Sweater in a checked print, by
Urbanette." of a navy pullover becomes "navy checked pullover. Sweater in a checked print, by
Urbanette.". The lead comes first because the text encoder reads 32 tokens; a colour the prompt
does not name, a model draws at random. A column outside the built catalog's vocabulary (an
imported shop's "Dark Blue") leads as written unless the text already says it. A built catalog's
descriptions name all three, so its prompts are its descriptions.
"""

from __future__ import annotations

from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
from vitrine.catalog.read import read_attributes

PLAIN = ("solid", "plain", "")  # patterns a prompt need not name


def item_prompt(description: str | None, category: str | None = None, colour: str | None = None,
                pattern: str | None = None, title: str | None = None) -> str:
    text = " ".join((description or "").split()) or " ".join((title or "").split())
    named = read_attributes(text)
    lowered = text.lower()

    def said(value: str | None, names: list[str], found: int | None) -> bool:
        if not value or value.strip().lower() in PLAIN:
            return True
        if value in names:
            return found == names.index(value)
        return value.strip().lower() in lowered

    columns = ((colour, COLOUR_NAMES, named.colour), (pattern, PATTERN_NAMES, named.pattern),
               (category, CATEGORY_NAMES, named.category))
    if all(said(value, names, found) for value, names, found in columns):
        return text
    lead = " ".join(value.strip() for value, _, _ in columns if value and value.strip().lower() not in PLAIN)
    return f"{lead}. {text}" if text else lead
