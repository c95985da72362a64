"""The attributes a product description asks for, read from the catalog's own vocabulary.

Longest phrase first, on word boundaries: "navy blue sneakers" asks for navy (not blue) and
sneakers; "laptop bag" is a bag, not a top. An attribute the text does not name is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vitrine.catalog.attributes import CATEGORIES, COLOURS, PATTERNS


@dataclass(frozen=True)
class Wanted:
    category: int | None
    colour: int | None
    pattern: int | None

    def named(self) -> dict[str, int]:
        return {k: v for k, v in (("category", self.category), ("colour", self.colour), ("pattern", self.pattern))
                if v is not None}


@lru_cache(maxsize=1)
def _phrases() -> dict[str, list[tuple[str, int]]]:
    """Per attribute, (phrase, class index), longest phrase first."""
    table = {"category": [(n, k) for k, c in enumerate(CATEGORIES) for n in c.nouns],
             "colour": [(w, k) for k, c in enumerate(COLOURS) for w in c.words],
             "pattern": [(w, k) for k, p in enumerate(PATTERNS) for w in p.adjectives + p.phrases]}
    table["pattern"] += [("stripes", 1), ("dots", 2), ("checks", 3)]
    return {name: sorted(pairs, key=lambda p: -len(p[0])) for name, pairs in table.items()}


def _first(text: str, pairs: list[tuple[str, int]]) -> int | None:
    for phrase, index in pairs:
        if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text):
            return index
    return None


def read_attributes(text: str) -> Wanted:
    lowered = " ".join(text.lower().split())
    found = {name: _first(lowered, pairs) for name, pairs in _phrases().items()}
    return Wanted(found["category"], found["colour"], found["pattern"])
