"""The shoppers' side of a simulated A/B test: what each simulated shopper truly wants, in the
terms of the simulator that wrote the shop's log (docs/shoppers.md). The service never sees any
of this; the test reads it to decide what a shopper does with what the service shows.

For shopper u and item i (c category, k colour, p pattern, π price, r the period):

    s(u, i) = w_k·log(φ_u[k] + ε) + w_p·log(ψ_u[p] + ε) − λ_u·log(π_i / median_c)   the preference part
    U(u, i) = log θ_u[c] + s(u, i) + β·log pop_i(r)                                 the whole appeal

U is what a shopper sees in an item's photo. An item shown without a picture shows only its text:
the colour and pattern its title and description name, and for one they leave out, the shopper's
expectation over that category's items (the catalog's share of each colour, or pattern, in it):

    U_text(u, i) = log θ_u[c] + E[w_k·log(φ_u[k] + ε) | text] + E[w_p·log(ψ_u[p] + ε) | text]
                   − λ_u·log(π_i / median_c) + β·log pop_i(r)

U is the simulator's view utility with the session's category draw (log θ) folded in, so items
of every category compare on one scale; pop_i(r) is the item's latent popularity, replayed from
the simulation's seed (catalog.shoppers.item_popularity), at the test period for what is shown
now. Each shopper's references are their logged views' means: Ū_u of U (each view at its own
period's popularity) and s̄_u of s, so "more appealing than usual" means the same for a
shopper with narrow tastes as for one with broad tastes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitrine.catalog.attributes import CATEGORIES, CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
from vitrine.catalog.read import read_attributes
from vitrine.catalog.shoppers import DAY_MS, ShopperConfig, item_popularity

THETA_FLOOR = 0.00005  # θ is stored to four decimals: a stored 0 counts as half the rounding step


class NoTruth(LookupError):
    """The store has no simulated shoppers (no known preferences) to run a test with."""


@dataclass
class World:
    config: ShopperConfig
    item_ids: np.ndarray       # (I,) in the simulation's order
    category: np.ndarray       # (I,) indices into CATEGORY_NAMES
    colour: np.ndarray
    pattern: np.ndarray
    price: np.ndarray          # (I,)
    log_price_ratio: np.ndarray  # (I,) log(π_i / median of its category)
    popularity: np.ndarray     # (I,) β·log pop_i at the test period, new items' launch boost included
    is_new: np.ndarray         # (I,) bool: launched in the test period
    text_colour: np.ndarray    # (I,) the colour the item's text names, −1 where it names none
    text_pattern: np.ndarray   # (I,) likewise the pattern
    user_ids: list[str]        # shoppers with known preferences
    log_theta: np.ndarray      # (U, 10)
    colour_term: np.ndarray    # (U, 13) w_k·log(φ + ε)
    pattern_term: np.ndarray   # (U, 4)  w_p·log(ψ + ε)
    price_sensitivity: np.ndarray  # (U,) λ
    appeal_reference: np.ndarray   # (U,) Ū_u, NaN for a shopper with no logged view
    preference_reference: np.ndarray  # (U,) s̄_u

    def __post_init__(self):
        self.item_pos = {str(i): k for k, i in enumerate(self.item_ids)}
        self.user_pos = {u: k for k, u in enumerate(self.user_ids)}
        # P(colour | category), P(pattern | category): what a shopper expects where the text is silent
        self.colour_given_category = _shares(self.category, self.colour, len(CATEGORY_NAMES), len(COLOUR_NAMES))
        self.pattern_given_category = _shares(self.category, self.pattern, len(CATEGORY_NAMES), len(PATTERN_NAMES))

    @classmethod
    def from_store(cls, store) -> "World":
        split = store.get_meta("split")
        if not split or "config" not in split:
            raise NoTruth(f"{store.data_dir}: no simulated shoppers (`vitrine shoppers simulate` writes them)")
        config = ShopperConfig(**split["config"])
        rows = store.item_rows(("id", "category", "colour", "pattern", "price", "title", "description"),
                               source="fashion-mnist")
        if not rows:
            raise NoTruth(f"{store.data_dir}: no Fashion-MNIST catalog, so no simulated shoppers' items")
        ids, cats, cols, pats, prices, titles, descriptions = zip(*rows)
        text = [read_attributes(" ".join(t for t in pair if t)) for pair in zip(titles, descriptions)]
        category = np.array([CATEGORY_NAMES.index(c) for c in cats])
        price = np.array(prices, dtype=float)
        popularity, new_items = item_popularity(config, len(ids))
        is_new = np.zeros(len(ids), dtype=bool)
        is_new[new_items] = True
        truth = {u: p for u, p in store.true_preferences().items() if p}
        if not truth:
            raise NoTruth(f"{store.data_dir}: no shopper has known preferences")
        user_ids = sorted(truth)
        theta = np.array([[truth[u]["category"][n] for n in CATEGORY_NAMES] for u in user_ids])
        phi = np.array([[truth[u]["colour"][n] for n in COLOUR_NAMES] for u in user_ids])
        psi = np.array([[truth[u]["pattern"][n] for n in PATTERN_NAMES] for u in user_ids])
        medians = np.array([c.median_price for c in CATEGORIES])
        world = cls(config, np.array(ids, dtype=object), category,
                    np.array([COLOUR_NAMES.index(c) for c in cols]), np.array([PATTERN_NAMES.index(p) for p in pats]),
                    price, np.log(price / medians[category]), popularity, is_new,
                    np.array([-1 if t.colour is None else t.colour for t in text]),
                    np.array([-1 if t.pattern is None else t.pattern for t in text]), user_ids,
                    np.log(np.maximum(theta, THETA_FLOOR)),
                    config.colour_weight * np.log(phi + config.preference_floor),
                    config.pattern_weight * np.log(psi + config.preference_floor),
                    np.array([truth[u]["price_sensitivity"] for u in user_ids]),
                    np.full(len(user_ids), np.nan), np.full(len(user_ids), np.nan))
        world._set_references(store, split["start_ms"])
        return world

    def _set_references(self, store, start_ms: int) -> None:
        """Ū_u and s̄_u over each shopper's logged views, each view at its own period's popularity."""
        cfg = self.config
        by_period = np.stack([item_popularity(cfg, len(self.item_ids), r)[0] for r in range(cfg.periods)])
        appeal_sum, pref_sum = np.zeros(len(self.user_ids)), np.zeros(len(self.user_ids))
        views = np.zeros(len(self.user_ids))
        for users, items, events, ts in store.interaction_batches():
            keep = [k for k, e in enumerate(events) if e == "view" and users[k] in self.user_pos
                    and items[k] in self.item_pos]
            if not keep:
                continue
            u = np.array([self.user_pos[users[k]] for k in keep])
            i = np.array([self.item_pos[items[k]] for k in keep])
            period = np.clip((ts[keep] - start_ms) // (cfg.period_days * DAY_MS), 0, cfg.periods - 1)
            pref = self.preference(u, i)
            np.add.at(pref_sum, u, pref)
            np.add.at(appeal_sum, u, pref + self.log_theta[u, self.category[i]] + by_period[period, i])
            np.add.at(views, u, 1)
        seen = views > 0
        self.appeal_reference[seen] = appeal_sum[seen] / views[seen]
        self.preference_reference[seen] = pref_sum[seen] / views[seen]

    # ---- utilities; u and i are index arrays of equal shape (or one of them a scalar) -------------
    def preference(self, u, i) -> np.ndarray:
        """s(u, i): colour, pattern and price, no category, no popularity."""
        return (self.colour_term[u, self.colour[i]] + self.pattern_term[u, self.pattern[i]]
                - self.price_sensitivity[u] * self.log_price_ratio[i])

    def appeal(self, u, i) -> np.ndarray:
        """U(u, i) now (the test period's popularity)."""
        return self.log_theta[u, self.category[i]] + self.preference(u, i) + self.popularity[i]

    def text_appeal(self, u: int, i: np.ndarray) -> np.ndarray:
        """U_text(u, i): the appeal of items shown by their text alone."""
        i = np.asarray(i)
        colour = np.where(self.text_colour[i] >= 0, self.colour_term[u, np.maximum(self.text_colour[i], 0)],
                          self.colour_given_category[self.category[i]] @ self.colour_term[u])
        pattern = np.where(self.text_pattern[i] >= 0, self.pattern_term[u, np.maximum(self.text_pattern[i], 0)],
                           self.pattern_given_category[self.category[i]] @ self.pattern_term[u])
        return (self.log_theta[u, self.category[i]] + colour + pattern
                - self.price_sensitivity[u] * self.log_price_ratio[i] + self.popularity[i])

    def look_appeal(self, u: int, category: int, colour: int, pattern: int, item: int) -> float:
        """The appeal of a picture that shows (category, colour, pattern), offered as "like this" for
        stock item `item`: the look from the picture, the price and popularity from the item."""
        return float(self.log_theta[u, category] + self.colour_term[u, colour] + self.pattern_term[u, pattern]
                     - self.price_sensitivity[u] * self.log_price_ratio[item] + self.popularity[item])


def _shares(given: np.ndarray, value: np.ndarray, n_given: int, n_values: int) -> np.ndarray:
    """(n_given, n_values): the share of each value among the items of each `given` class (uniform
    for a class with no items)."""
    counts = np.zeros((n_given, n_values))
    np.add.at(counts, (given, value), 1)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.full_like(counts, 1.0 / n_values), where=totals > 0)
