"""The catalog's vocabularies: categories, colours, patterns and brands, with the words shops use.

Canonical names (the ground truth stored with every item) come first in each entry; the word lists
give the synonyms descriptions draw from, so text varies the way real shop text does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str            # canonical, e.g. "t-shirt"
    label: int           # Fashion-MNIST class index
    nouns: tuple[str, ...]
    plural: bool         # "trousers", "sneakers": takes "these" and "a pair of"
    median_price: float  # EUR, before brand tier and noise
    details: tuple[str, ...]  # one-sentence material / fit notes


@dataclass(frozen=True)
class Colour:
    name: str
    rgb: tuple[int, int, int]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Pattern:
    name: str
    adjectives: tuple[str, ...]  # "striped t-shirt"
    phrases: tuple[str, ...]     # "t-shirt with bold stripes"


@dataclass(frozen=True)
class Brand:
    name: str
    tier: str  # budget | mid | premium


CATEGORIES = (
    Category("t-shirt", 0, ("t-shirt", "tee", "top"), False, 19.0,
             ("Soft cotton jersey with a relaxed fit.", "Crew neck, short sleeves.",
              "Breathable organic cotton.", "Cut for an easy, boxy fit.")),
    Category("trousers", 1, ("trousers", "pants", "slacks"), True, 45.0,
             ("Straight leg with a mid rise.", "Stretch twill that keeps its shape.",
              "Tapered fit with side pockets.", "Wide leg, elasticated waist.")),
    Category("pullover", 2, ("pullover", "sweater", "jumper"), False, 49.0,
             ("Knitted from a warm wool blend.", "Ribbed cuffs and hem.",
              "Chunky knit for cold days.", "Fine-gauge knit, regular fit.")),
    Category("dress", 3, ("dress", "midi dress", "shift dress"), False, 59.0,
             ("Flowing viscose that falls below the knee.", "Fitted waist and a flared skirt.",
              "Lightweight fabric for warm days.", "Sleeveless with a round neck.")),
    Category("coat", 4, ("coat", "jacket", "overcoat"), False, 119.0,
             ("Water-repellent shell with a warm lining.", "Long cut with a button front.",
              "Padded for winter, with deep pockets.", "Tailored wool blend.")),
    Category("sandals", 5, ("sandals", "strappy sandals", "summer sandals"), True, 39.0,
             ("Adjustable straps and a cushioned sole.", "Flat sole, open toe.",
              "Leather straps on a cork footbed.", "Low block heel.")),
    Category("shirt", 6, ("shirt", "button-down shirt", "blouse"), False, 39.0,
             ("Crisp cotton poplin with a classic collar.", "Long sleeves with buttoned cuffs.",
              "Relaxed fit in soft flannel.", "Lightweight and easy to iron.")),
    Category("sneakers", 7, ("sneakers", "trainers", "running shoes"), True, 79.0,
             ("Lace-up with a cushioned rubber sole.", "Breathable mesh upper.",
              "Low-top with a padded collar.", "Lightweight for everyday wear.")),
    Category("bag", 8, ("bag", "handbag", "tote bag"), False, 69.0,
             ("Roomy main compartment with a zip.", "Sturdy canvas with leather handles.",
              "Detachable shoulder strap.", "Fits a laptop and more.")),
    Category("ankle boots", 9, ("ankle boots", "boots", "chelsea boots"), True, 99.0,
             ("Leather upper with a side zip.", "Chunky sole with a good grip.",
              "Elastic side panels, easy to pull on.", "Lined for warmth.")),
)

COLOURS = (
    Colour("black", (30, 30, 32), ("black", "jet black")),
    Colour("white", (242, 242, 238), ("white", "off-white", "ivory")),
    Colour("grey", (128, 128, 132), ("grey", "gray", "heather grey")),
    Colour("red", (205, 30, 35), ("red", "scarlet", "cherry red")),
    Colour("orange", (242, 120, 20), ("orange", "tangerine", "bright orange")),
    Colour("yellow", (246, 208, 30), ("yellow", "lemon yellow", "sunny yellow")),
    Colour("green", (40, 150, 60), ("green", "emerald", "grass green")),
    Colour("blue", (40, 100, 225), ("blue", "royal blue", "cobalt")),
    Colour("navy", (25, 35, 95), ("navy", "navy blue", "dark blue")),
    Colour("pink", (242, 130, 180), ("pink", "rose", "blush pink")),
    Colour("purple", (125, 50, 160), ("purple", "violet", "plum")),
    Colour("brown", (115, 70, 35), ("brown", "chocolate", "chestnut")),
    Colour("beige", (216, 190, 150), ("beige", "sand", "camel")),
)
# Shop mix: dark neutrals sell most; bright colours less (sums to 1).
COLOUR_WEIGHTS = (0.12, 0.10, 0.08, 0.08, 0.06, 0.06, 0.07, 0.08, 0.09, 0.07, 0.06, 0.06, 0.07)

PATTERNS = (
    Pattern("solid", ("plain", "solid", "solid-colour"), ("in a single solid colour", "with no print")),
    Pattern("striped", ("striped", "stripe-print"), ("with horizontal stripes", "with bold stripes")),
    Pattern("dotted", ("polka-dot", "dotted", "spotted"), ("with polka dots", "covered in small dots")),
    Pattern("checked", ("checked", "check", "plaid", "gingham"), ("with a check pattern", "in a checked print")),
)
PATTERN_WEIGHTS = (0.50, 0.18, 0.16, 0.16)

BRANDS = (
    Brand("Basiq", "budget"), Brand("Kloth", "budget"), Brand("Dayly", "budget"),
    Brand("Thrifty Co.", "budget"), Brand("Urbanette", "budget"),
    Brand("Nordvik", "mid"), Brand("Marlow & Finch", "mid"), Brand("Halden", "mid"),
    Brand("Oak Street", "mid"), Brand("Lumen", "mid"), Brand("Kestrel", "mid"), Brand("Sora", "mid"),
    Brand("Maison Verre", "premium"), Brand("Atelier Noor", "premium"), Brand("Ravel", "premium"),
    Brand("Castellane", "premium"), Brand("Hollis Row", "premium"),
)
# Price multiplier by tier; budget brands sell more units (weights below).
TIER_PRICE = {"budget": 0.6, "mid": 1.0, "premium": 1.8}
TIER_WEIGHT = {"budget": 1.4, "mid": 1.0, "premium": 0.6}

CATEGORY_NAMES = tuple(c.name for c in CATEGORIES)
COLOUR_NAMES = tuple(c.name for c in COLOURS)
PATTERN_NAMES = tuple(p.name for p in PATTERNS)
BRAND_NAMES = tuple(b.name for b in BRANDS)
