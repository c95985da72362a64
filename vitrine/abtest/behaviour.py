"""What a simulated shopper does with one page: which tiles they look at, click, cart and buy.

A position-based click model over the page's tiles in reading order (the recommendations, then
the designs below them, as the storefront lays them out):

    P(examine tile at rank r) = 1 / log2(r + 1)
    P(click | examined)       = σ(a_click + U(u, tile) − Ū_u − b·[the tile has no picture])

U of what the tile shows (world.World): an item's photo shows the item (U); a generated preview,
like a design, shows what the evaluator reads in its picture (its category, colour and pattern,
with the item's price and popularity); an item with no picture shows its text (U_text), and b
(NO_PICTURE_PENALTY) is what a missing picture costs a tile beyond what the text leaves unsaid —
an assumption of the test, not a measurement. Ū_u is the shopper's usual appeal. A click opens
the item (a design's "like this" opens its closest stock item), which then goes through the
simulator's own funnel on the true item, whatever its tile showed:

    P(cart | click) = σ(α_cart + γ·(s(u, i) − s̄_u)),   P(buy | cart) = σ(α_buy + γ·(s(u, i) − s̄_u))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitrine.abtest.world import World

CLICK_BIAS = -3.0  # a_click: a tile as appealing as the shopper's usual view, looked at, is clicked 4.7 % of the time
NO_PICTURE_PENALTY = 1.0  # b: a tile without a picture is clicked about e^-1 ≈ 0.37 times as often, all else equal
SHOWS = ("photo", "preview", "text", "design")  # what a tile shows of its item


@dataclass(frozen=True)
class Tile:
    item: int        # the stock item a click opens (World index)
    appeal: float    # U(u, ·) of what the tile shows, any penalty for a missing picture included
    shows: str = "photo"  # one of SHOWS

    def __post_init__(self):
        if self.shows not in SHOWS:
            raise ValueError(f"a tile shows one of {', '.join(SHOWS)}, not {self.shows!r}")


@dataclass(frozen=True)
class Reaction:
    rank: int        # 1-based position on the page
    item: int
    shows: str
    carted: bool
    bought: bool


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


def item_tiles(world: World, u: int, listed: list[tuple[int, str, tuple | None]],
               no_picture_penalty: float = NO_PICTURE_PENALTY) -> list[Tile]:
    """Tiles of listed stock items, each given as (World index, what its tile shows: photo, preview
    or text, the (category, colour, pattern) read in its preview or None)."""
    tiles = []
    for item, shows, look in listed:
        if shows == "photo":
            appeal = float(world.appeal(u, item))
        elif shows == "preview":
            appeal = world.look_appeal(u, *look, item)
        else:
            appeal = float(world.text_appeal(u, item)) - no_picture_penalty
        tiles.append(Tile(item, appeal, shows))
    return tiles


def react(world: World, u: int, tiles: list[Tile], rng: np.random.Generator,
          click_bias: float = CLICK_BIAS) -> list[Reaction]:
    """The clicks on one page, each with whether it was carted and bought (draws in page order)."""
    cfg = world.config
    usual, usual_preference = world.appeal_reference[u], world.preference_reference[u]
    out = []
    for rank, tile in enumerate(tiles, start=1):
        examined = rng.random() < 1.0 / np.log2(rank + 1)
        clicked = rng.random() < _sigmoid(click_bias + tile.appeal - usual)
        carted_draw, bought_draw = rng.random(), rng.random()  # drawn for every tile: arms share the stream
        if not (examined and clicked):
            continue
        centred = cfg.choice_slope * (float(world.preference(u, tile.item)) - usual_preference)
        carted = carted_draw < _sigmoid(cfg.cart_bias + centred)
        out.append(Reaction(rank, tile.item, tile.shows, carted, carted and bought_draw < _sigmoid(cfg.buy_bias + centred)))
    return out
