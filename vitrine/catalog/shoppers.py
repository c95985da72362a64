"""Simulated shoppers with known preferences, and the view → cart → purchase log they produce.

The generative model (docs/shoppers.md has it in full, with its numbers):

- User u has latent preferences: θ_u ~ Dir(0.3) over categories, φ_u ~ Dir(0.4) over colours,
  ψ_u ~ Dir(0.6) over patterns, a price sensitivity λ_u (log-normal, one of 8 levels) and an
  activity level a_u (log-normal). A fifth of users are "short history": 1–2 sessions.
- Item i has a category c_i, colour k_i, pattern p_i, price π_i and a popularity that follows a
  Zipf law over a random ranking, log pop_i = −α·log rank_i, drifting by a random walk per period.
- A session picks a category c ~ θ_u, then views items by a multinomial logit over that category:
      U(u, i) = w_k·log(φ_u[k_i] + ε) + w_p·log(ψ_u[p_i] + ε) − λ_u·log(π_i / median_c) + β·log pop_i(r)
  (Gumbel noise makes the choice a softmax). It is sampled exactly in two steps: a (colour,
  pattern) type by its summed weight, then an item within the type.
- Each view is carted with probability σ(α_cart + γ·(s_ui − s̄_u)), s_ui the preference part of
  U; each cart is bought with probability σ(α_buy + γ·(s_ui − s̄_u)).
- Time: 26 weeks in 2-week periods. The last period is the test split, the one before it the
  valid split. New items exist only in the test period (with a launch boost), so they have no
  training events: the cold-start set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from tqdm import tqdm

from vitrine.catalog.attributes import CATEGORIES, COLOUR_NAMES, PATTERN_NAMES

DAY_MS = 86_400_000
START_MS = 1_767_571_200_000  # 2026-01-05 00:00 UTC, a Monday
LAMBDA_LEVELS = 8


@dataclass(frozen=True)
class ShopperConfig:
    n_users: int = 25_000
    periods: int = 13            # 13 × 2 weeks = 26 weeks
    period_days: int = 14
    new_item_fraction: float = 0.02
    short_history_fraction: float = 0.2
    mean_sessions: float = 10.0  # for users who are not short-history, times their activity
    mean_views: float = 4.0      # views per session: 1 + Poisson(mean_views − 1)
    category_concentration: float = 0.3
    colour_concentration: float = 0.4
    pattern_concentration: float = 0.6
    colour_weight: float = 1.0   # w_k
    pattern_weight: float = 0.8  # w_p
    preference_floor: float = 0.02  # ε: nobody's affinity for anything is exactly zero
    zipf_alpha: float = 0.8
    popularity_weight: float = 1.0  # β
    popularity_drift: float = 0.2   # sd of the per-period random walk of log popularity
    new_item_boost: float = 1.5     # added to a new item's log popularity at launch
    cart_bias: float = -2.3         # α_cart: about 10 % of views are carted
    buy_bias: float = -0.7          # α_buy: about half of carts are bought
    choice_slope: float = 1.0       # γ
    seed: int = 0

    @property
    def train_end_ms(self) -> int:
        return START_MS + (self.periods - 2) * self.period_days * DAY_MS

    @property
    def valid_end_ms(self) -> int:
        return START_MS + (self.periods - 1) * self.period_days * DAY_MS

    @property
    def end_ms(self) -> int:
        return START_MS + self.periods * self.period_days * DAY_MS


@dataclass
class ShopperLog:
    """Users with their true preferences, and the event log as parallel arrays sorted by time."""

    config: ShopperConfig
    category_pref: np.ndarray  # (U, 10) θ
    colour_pref: np.ndarray    # (U, 13) φ
    pattern_pref: np.ndarray   # (U, 4) ψ
    price_sensitivity: np.ndarray  # (U,) λ
    activity: np.ndarray       # (U,) a
    short_history: np.ndarray  # (U,) bool
    new_items: np.ndarray      # (M,) item indices launched in the test period
    user: np.ndarray           # (E,) user index
    item: np.ndarray           # (E,) item index
    event: np.ndarray          # (E,) 0 view, 1 cart, 2 purchase
    ts: np.ndarray             # (E,) epoch ms
    session: np.ndarray        # (E,) global session index

    EVENT_NAMES = ("view", "cart", "purchase")

    def true_preferences(self, u: int) -> dict:
        return {
            "category": dict(zip((c.name for c in CATEGORIES), self.category_pref[u].round(4).tolist())),
            "colour": dict(zip(COLOUR_NAMES, self.colour_pref[u].round(4).tolist())),
            "pattern": dict(zip(PATTERN_NAMES, self.pattern_pref[u].round(4).tolist())),
            "price_sensitivity": float(self.price_sensitivity[u]),
            "activity": round(float(self.activity[u]), 4),
            "short_history": bool(self.short_history[u]),
        }

    def split_meta(self) -> dict:
        c = self.config
        return {"train_end_ms": c.train_end_ms, "valid_end_ms": c.valid_end_ms, "end_ms": c.end_ms,
                "start_ms": START_MS, "config": asdict(c)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _segment_cdf(weights: np.ndarray, type_of_sorted: np.ndarray) -> np.ndarray:
    """Per type segment, a CDF shifted to [t, t+1): searchsorted(cdf, t + U(0,1)) picks an item of type t
    with probability ∝ its weight. `weights` and `type_of_sorted` are in type-sorted item order."""
    cumulative = np.cumsum(weights)
    segment_start = np.r_[0, np.flatnonzero(np.diff(type_of_sorted)) + 1]
    before = np.repeat(np.r_[0.0, cumulative[segment_start[1:] - 1]], np.diff(np.r_[segment_start, len(weights)]))
    total = np.repeat(np.add.reduceat(weights, segment_start), np.diff(np.r_[segment_start, len(weights)]))
    within = np.where(total > 0, (cumulative - before) / np.where(total > 0, total, 1.0), 0.0)
    return type_of_sorted + within


LAM_LEVELS = np.exp(np.linspace(np.log(0.25), np.log(3.0), LAMBDA_LEVELS))  # λ's 8 levels in [0.25, 3]


def _draw_users(rng: np.random.Generator, cfg: ShopperConfig):
    """(θ, φ, ψ, λ level index, activity, short-history flag) of every user: the first draws of a
    simulation, in this order (item_popularity replays them to reach the items' draws)."""
    n = cfg.n_users
    theta = rng.dirichlet(np.full(len(CATEGORIES), cfg.category_concentration), size=n)
    phi = rng.dirichlet(np.full(len(COLOUR_NAMES), cfg.colour_concentration), size=n)
    psi = rng.dirichlet(np.full(len(PATTERN_NAMES), cfg.pattern_concentration), size=n)
    lam_bucket = np.clip(np.digitize(rng.lognormal(0.0, 0.6, n), LAM_LEVELS) - 1, 0, LAMBDA_LEVELS - 1)
    activity = rng.lognormal(0.0, 0.6, n)
    short = rng.random(n) < cfg.short_history_fraction
    return theta, phi, psi, lam_bucket, activity, short


def _draw_items(rng: np.random.Generator, cfg: ShopperConfig, n_items: int):
    """(log pop_i at period 0 without drift, the drift per period (periods, I), new item indices)."""
    log_pop = -cfg.zipf_alpha * np.log(rng.permutation(n_items) + 1.0)
    drift = np.cumsum(rng.normal(0.0, cfg.popularity_drift, size=(cfg.periods, n_items)), axis=0)
    new_items = np.sort(rng.choice(n_items, size=int(round(cfg.new_item_fraction * n_items)), replace=False))
    return log_pop, drift, new_items


def _popularity_term(cfg: ShopperConfig, log_pop: np.ndarray, drift: np.ndarray, is_new: np.ndarray,
                     period: int) -> np.ndarray:
    """β·log pop_i(r), a new item's launch boost included: the popularity part of U(u, i)."""
    return cfg.popularity_weight * (log_pop + drift[period]) + cfg.new_item_boost * is_new


def item_popularity(config: ShopperConfig, n_items: int, period: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The popularity part of every item's utility in `period` (default: the last, the test period)
    and the new items' indices, as the simulation with this config drew them for a catalog of
    `n_items` (in the order it was given). The log does not store them: they are replayed from the
    seed, so a later experiment can show these same shoppers these same items."""
    rng = np.random.default_rng(config.seed)
    _draw_users(rng, config)
    log_pop, drift, new_items = _draw_items(rng, config, n_items)
    is_new = np.zeros(n_items, dtype=bool)
    is_new[new_items] = True
    return _popularity_term(config, log_pop, drift, is_new, config.periods - 1 if period is None else period), new_items


def simulate(category: np.ndarray, colour: np.ndarray, pattern: np.ndarray, price: np.ndarray,
             config: ShopperConfig = ShopperConfig(), progress: bool = True) -> ShopperLog:
    """Draw users and their event log for a catalog given as attribute-index arrays."""
    cfg = config
    rng = np.random.default_rng(cfg.seed)
    n_items, n_users = len(category), cfg.n_users
    n_cat, n_col, n_pat = len(CATEGORIES), len(COLOUR_NAMES), len(PATTERN_NAMES)
    per_cat = n_col * n_pat
    bar = tqdm(total=6, desc="simulate shoppers", unit="step", disable=not progress)

    # 1. Users' latent preferences.
    theta, phi, psi, lam_bucket, activity, short = _draw_users(rng, cfg)
    lam = LAM_LEVELS[lam_bucket]
    # Preference utility of every (user, type), type t = c·52 + k·4 + p; the category term is
    # carried by the session's category draw, so it is 0 here.
    type_util = (cfg.colour_weight * np.log(phi + cfg.preference_floor))[:, :, None] \
        + (cfg.pattern_weight * np.log(psi + cfg.preference_floor))[:, None, :]
    type_util = np.tile(type_util.reshape(n_users, per_cat), (1, n_cat))  # (U, 520)
    bar.update()

    # 2. Items: type, price term, popularity per period, new items.
    item_type = category * per_cat + colour * n_pat + pattern
    order = np.argsort(item_type, kind="stable")
    sorted_type = item_type[order]
    median = np.array([c.median_price for c in CATEGORIES])[category]
    log_price_ratio = np.log(price / median)
    log_pop, drift, new_items = _draw_items(rng, cfg, n_items)
    is_new = np.zeros(n_items, dtype=bool)
    is_new[new_items] = True
    test_period = cfg.periods - 1
    # Within-type weights w[b, r, i] and the summed type weights W[b, r, t].
    cdf = np.empty((LAMBDA_LEVELS, cfg.periods, n_items))
    log_type_mass = np.full((LAMBDA_LEVELS, cfg.periods, n_cat * per_cat), -np.inf)
    for r in range(cfg.periods):
        available = ~is_new if r < test_period else np.ones(n_items, dtype=bool)
        log_w_pop = _popularity_term(cfg, log_pop, drift, is_new, r)
        for b in range(LAMBDA_LEVELS):
            w = np.where(available, np.exp(log_w_pop - LAM_LEVELS[b] * log_price_ratio), 0.0)[order]
            cdf[b, r] = _segment_cdf(w, sorted_type)
            mass = np.bincount(sorted_type, weights=w, minlength=n_cat * per_cat)
            with np.errstate(divide="ignore"):
                log_type_mass[b, r] = np.log(mass)
    bar.update()

    # 3. Sessions: how many per user, when, and which category each one browses.
    n_sessions = np.where(short, rng.integers(1, 3, n_users),
                          2 + rng.poisson(np.maximum(cfg.mean_sessions * activity - 2, 0.1)))
    s_user = np.repeat(np.arange(n_users), n_sessions)
    span_ms = cfg.end_ms - START_MS
    join = np.where(short, rng.random(n_users), rng.random(n_users) * 0.7) * span_ms
    s_start = START_MS + (join[s_user] + rng.random(len(s_user)) * (span_ms - join[s_user])).astype(np.int64)
    s_period = np.minimum((s_start - START_MS) // (cfg.period_days * DAY_MS), cfg.periods - 1)
    cum_theta = np.cumsum(theta, axis=1)
    s_cat = np.minimum((cum_theta[s_user] < rng.random(len(s_user))[:, None]).sum(axis=1), n_cat - 1)
    bar.update()

    # 4. Views: type by Gumbel-max over the session category's 52 types, then the item.
    n_views = 1 + rng.poisson(cfg.mean_views - 1, len(s_user))
    v_session = np.repeat(np.arange(len(s_user)), n_views)
    v_user, v_cat, v_period = s_user[v_session], s_cat[v_session], s_period[v_session]
    v_bucket = lam_bucket[v_user]
    v_type = np.empty(len(v_session), dtype=np.int64)
    offsets = np.arange(per_cat)
    for start in range(0, len(v_session), 200_000):
        sl = slice(start, start + 200_000)
        cols = v_cat[sl, None] * per_cat + offsets
        logits = type_util[v_user[sl, None], cols] + log_type_mass[v_bucket[sl, None], v_period[sl, None], cols]
        v_type[sl] = cols[np.arange(len(cols)), np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)]
    v_item = np.empty(len(v_session), dtype=np.int64)
    u01 = rng.random(len(v_session))
    group = v_bucket * cfg.periods + v_period
    for g in np.unique(group):
        idx = np.flatnonzero(group == g)
        pos = np.searchsorted(cdf[g // cfg.periods, g % cfg.periods], v_type[idx] + u01[idx], side="right")
        v_item[idx] = order[np.minimum(pos, n_items - 1)]
    bar.update()

    # 5. Funnel: carts and purchases follow the preference part of the utility.
    pref = type_util[v_user, item_type[v_item]] - lam[v_user] * log_price_ratio[v_item]
    mean_pref = np.bincount(v_user, weights=pref, minlength=n_users) / np.maximum(np.bincount(v_user, minlength=n_users), 1)
    centred = cfg.choice_slope * (pref - mean_pref[v_user])
    carted = rng.random(len(pref)) < _sigmoid(cfg.cart_bias + centred)
    bought = carted & (rng.random(len(pref)) < _sigmoid(cfg.buy_bias + centred))
    bar.update()

    # 6. Timestamps: views 10–120 s apart; a cart 5–60 s after its view; purchases at checkout.
    gaps = rng.integers(10_000, 120_000, len(v_session))
    first_of_session = np.r_[True, v_session[1:] != v_session[:-1]]
    gaps[first_of_session] = 0
    cum = np.cumsum(gaps)
    v_ts = s_start[v_session] + cum - np.maximum.accumulate(np.where(first_of_session, cum, 0))
    session_end = np.zeros(len(s_user), dtype=np.int64)
    np.maximum.at(session_end, v_session, v_ts)
    c_ts = v_ts + rng.integers(5_000, 60_000, len(v_ts))
    p_ts = session_end[v_session] + 90_000
    user = np.concatenate([v_user, v_user[carted], v_user[bought]])
    item = np.concatenate([v_item, v_item[carted], v_item[bought]])
    event = np.concatenate([np.zeros(len(v_item)), np.ones(carted.sum()), np.full(bought.sum(), 2)]).astype(np.int8)
    ts = np.concatenate([v_ts, c_ts[carted], p_ts[bought]])
    session = np.concatenate([v_session, v_session[carted], v_session[bought]])
    # The log ends with the last period: events past it (a late checkout) are dropped, and no
    # event falls in the period a new item is not yet on sale.
    keep = ts < cfg.end_ms
    by_time = np.lexsort((event, ts))
    by_time = by_time[keep[by_time]]
    bar.update()
    bar.close()
    return ShopperLog(cfg, theta, phi, psi, lam, activity, short, new_items,
                      user[by_time], item[by_time], event[by_time], ts[by_time], session[by_time])
