"""What a shopper's search box asks for, read with the catalog's own vocabulary.

    read_query("red dres under 30", vocabulary)
    → Query(text="red dress", filters=ItemFilter(category=("dress",), colour=("red",), max_price=30.0),
            corrected={"dres": "dress"})

1. Price words come out first: "under 30", "below €30", "less than 30", "over 50", "above 50",
   "more than 50", "from 20 to 40", "between 20 and 40", "20-40", "€20–€40".
2. Each remaining word the catalog does not use is corrected to the closest word it does (a
   similarity ratio of at least CUTOFF, difflib's; only words of 3 letters or more): "dres" →
   "dress", "sneekers" → "sneakers". The catalog's words are its facet values, their synonyms
   (tee, jumper, navy blue…) and the words of its titles and descriptions.
3. Facet phrases in the corrected text become filters, longest phrase first and on word
   boundaries: a category, a colour, a pattern, a brand ("navy blue pants" → navy, trousers).
The text (corrected, price words removed) is what search by meaning reads.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from vitrine.catalog.attributes import CATEGORIES, COLOURS, PATTERNS
from vitrine.storage.catalog import ItemFilter

CUTOFF = 0.75
NUMBER = r"€?\s*(\d+(?:[.,]\d{1,2})?)\s*(?:€|eur|euros?)?"
PRICE_PHRASES = (  # (pattern, which bounds its numbers set)
    (rf"\b(?:between|from)\s+{NUMBER}\s+(?:and|to)\s+{NUMBER}", ("min", "max")),
    (rf"(?<![\w.]){NUMBER}\s*(?:-|–|to)\s*{NUMBER}(?![\w.])", ("min", "max")),
    (rf"\b(?:under|below|less than|cheaper than|up to|max(?:imum)?|at most)\s+{NUMBER}", ("max",)),
    (rf"\b(?:over|above|more than|from|at least|min(?:imum)?)\s+{NUMBER}", ("min",)),
)
WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")


@dataclass(frozen=True)
class Vocabulary:
    """Per facet, phrase → the catalog's value; and every word the catalog uses."""

    phrases: dict[str, dict[str, str]]
    words: frozenset[str]


def vocabulary(facet_values: dict[str, list[str]], texts: list[str] = ()) -> Vocabulary:
    """The vocabulary of a catalog: its facet values (category, colour, pattern, brand), the
    synonyms of the built-in attributes among them, and the words of `texts` (titles, descriptions)."""
    synonyms = {"category": {n: c.name for c in CATEGORIES for n in c.nouns},
                "colour": {w: c.name for c in COLOURS for w in c.words},
                "pattern": {w: p.name for p in PATTERNS for w in p.adjectives + p.phrases}}
    phrases = {}
    for facet, values in facet_values.items():
        present = {v.lower(): v for v in values if v}
        table = {phrase: present[name.lower()] for phrase, name in synonyms.get(facet, {}).items()
                 if name.lower() in present}
        phrases[facet] = {**table, **present}
    words = {w for table in phrases.values() for phrase in table for w in WORD.findall(phrase)}
    words |= {w for text in texts for w in WORD.findall(text.lower())}
    return Vocabulary(phrases, frozenset(words))


@dataclass(frozen=True)
class Query:
    text: str                                   # corrected, price words removed: for search by meaning
    filters: ItemFilter = ItemFilter()          # the facet values and price bounds the words named
    corrected: dict[str, str] = field(default_factory=dict)  # typed word → the catalog's word


def _price(text: str) -> tuple[str, float | None, float | None]:
    """The text without its price phrases, and the bounds they set."""
    low = high = None
    for pattern, bounds in PRICE_PHRASES:
        for match in list(re.finditer(pattern, text)):
            values = [float(v.replace(",", ".")) for v in match.groups()]
            for bound, value in zip(bounds, values):
                if bound == "min":
                    low = value
                else:
                    high = value
            text = text.replace(match.group(0), " ")
    if low is not None and high is not None and low > high:
        low, high = high, low
    return text, low, high


def _correct(word: str, words: frozenset[str]) -> str:
    if word in words or len(word) < 3 or not word.isalpha():
        return word
    close = difflib.get_close_matches(word, words, n=1, cutoff=CUTOFF)
    return close[0] if close else word


def _found(text: str, table: dict[str, str]) -> tuple[str, ...]:
    """The facet values whose phrases the text holds, longest phrase first (each span once)."""
    values = []
    for phrase in sorted(table, key=len, reverse=True):
        pattern = rf"(?<![\w-]){re.escape(phrase.lower())}(?![\w-])"
        if re.search(pattern, text):
            text = re.sub(pattern, " ", text)
            if table[phrase] not in values:
                values.append(table[phrase])
    return tuple(values)


def read_query(raw: str, vocab: Vocabulary) -> Query:
    text, low, high = _price(" ".join(raw.lower().split()))
    corrected = {}
    words = []
    for word in WORD.findall(text):
        fixed = _correct(word, vocab.words)
        if fixed != word:
            corrected[word] = fixed
        words.append(fixed)
    text = " ".join(words)
    found = {facet: _found(text, table) for facet, table in vocab.phrases.items()}
    return Query(text, ItemFilter(**found, min_price=low, max_price=high), corrected)
