"""The fixed, seeded prompt set for judging generation.

N prompts cycle through the attributes so that every category, colour and pattern is covered:
prompt i asks for category i mod 10, colour i mod 13 and pattern (i + ⌊i/10⌋) mod 4 — the shift
keeps pattern from being tied to the category's parity, so each category meets every pattern.
Half (by (i + ⌊i/10⌋) mod 2) are worded like the catalog's own text, half unlike it, so the
report shows whether the model follows meaning rather than template.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from vitrine.catalog.attributes import CATEGORIES, COLOURS, PATTERNS

CATALOG_STYLE = (
    "A {colour} {pattern} {noun} from {brand}.",
    "This {noun} comes in {colour}, {phrase}.",
    "{Colour} {noun} {phrase}.",
)
NOVEL_STYLE = (
    "show me {article} {colour} {noun} {phrase}",
    "{noun}, {colour}, {pattern_word}",
    "I'm looking for {article} {pattern} {noun} in {colour}",
    "product photo: {colour} {pattern} {noun}",
)
PATTERN_WORD = {"solid": "plain", "striped": "stripes", "dotted": "polka dots", "checked": "checks"}


@dataclass(frozen=True)
class Prompt:
    text: str
    category: int
    colour: int
    pattern: int
    novel: bool  # worded unlike the training descriptions


def prompt_set(n: int = 52, seed: int = 0) -> list[Prompt]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        c, k, p = i % len(CATEGORIES), i % len(COLOURS), (i + i // 10) % len(PATTERNS)
        cat, col, pat = CATEGORIES[c], COLOURS[k], PATTERNS[p]
        novel = (i + i // 10) % 2 == 1
        template = rng.choice(NOVEL_STYLE if novel else CATALOG_STYLE)
        noun = rng.choice(cat.nouns)
        colour = rng.choice(col.words)
        pattern = "plain" if pat.name == "solid" else rng.choice(pat.adjectives)
        text = template.format(
            colour=colour, Colour=colour.capitalize(), pattern=pattern, noun=noun, brand="Nordvik",
            phrase=rng.choice(pat.phrases), pattern_word=PATTERN_WORD[pat.name],
            article="a pair of" if cat.plural else ("an" if colour[0] in "aeiou" else "a"))
        out.append(Prompt(" ".join(text.split()), c, k, p, novel))
    return out
