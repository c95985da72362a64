"""Titles and descriptions written from templates, varied the way real shop text varies.

Each item draws its own words: a synonym for its category, colour and pattern, one of several
sentence shapes (attribute order changes), an optional detail and closing line. Some descriptions
leave out the colour or the pattern, as real listings do; plain items rarely say "solid". The
ground truth never depends on the text: it is stored beside it.
"""

from __future__ import annotations

import random

from vitrine.catalog.attributes import BRANDS, CATEGORIES, COLOURS, PATTERNS

OMIT_COLOUR = 0.10   # P(description never names the colour)
OMIT_PATTERN = 0.15  # P(description never names a non-solid pattern)
OMIT_SOLID = 0.60    # P(a plain item's description doesn't say so)

CLOSERS = (
    "Machine washable.", "A wardrobe staple.", "Easy to style for any occasion.",
    "Made to last.", "Responsibly made.", "Order your usual size.", "",
)


def _title_case(words: str) -> str:
    return " ".join(w if w[:1].isupper() else w.capitalize() for w in words.split())


def _article(noun_phrase: str, plural: bool) -> str:
    if plural:
        return "a pair of " + noun_phrase
    return ("an " if noun_phrase[:1] in "aeiou" else "a ") + noun_phrase


def write_text(category: int, colour: int, pattern: int, brand: int, rng: random.Random) -> tuple[str, str]:
    """One item's (title, description) from its attribute indices, using `rng` for every choice."""
    cat, col, pat, brand_name = CATEGORIES[category], COLOURS[colour], PATTERNS[pattern], BRANDS[brand].name
    noun = rng.choice(cat.nouns)
    colour_word = rng.choice(col.words)
    solid = pat.name == "solid"
    pattern_adj = rng.choice(pat.adjectives)

    title_pattern = "" if solid else pattern_adj + " "
    title = f"{brand_name} " + _title_case(f"{colour_word} {title_pattern}{noun}")

    say_colour = rng.random() >= OMIT_COLOUR
    say_pattern = rng.random() >= (OMIT_SOLID if solid else OMIT_PATTERN)
    this = "These" if cat.plural else "This"
    adj = " ".join(w for w in (colour_word if say_colour else "", pattern_adj if say_pattern else "") if w)
    phrase = rng.choice(pat.phrases)

    shapes = [f"{_article((adj + ' ' + noun).strip(), cat.plural).capitalize()} from {brand_name}."]
    if say_colour and say_pattern:
        shapes += [f"{this} {noun} {'come' if cat.plural else 'comes'} in {colour_word}, {phrase}.",
                   f"{brand_name}'s {pattern_adj} {noun} in {colour_word}.",
                   f"{_title_case(colour_word)} {noun} {phrase}, by {brand_name}."]
    elif say_colour:
        shapes += [f"{this} {noun} {'come' if cat.plural else 'comes'} in {colour_word}.",
                   f"{brand_name}'s {noun}, here in {colour_word}."]
    elif say_pattern:
        shapes += [f"{_title_case(noun)} {phrase}, by {brand_name}.",
                   f"{brand_name}'s {pattern_adj} {noun}."]
    sentences = [rng.choice(shapes)]
    if rng.random() < 0.8:
        sentences.append(rng.choice(cat.details))
    closer = rng.choice(CLOSERS)
    if closer:
        sentences.append(closer)
    if len(sentences) > 2 and rng.random() < 0.3:  # detail first, then the headline sentence
        sentences[0], sentences[1] = sentences[1], sentences[0]
    return title, " ".join(sentences)
