"""Recommendations: for a shopper (their fitted history plus their events since the fit), for an
anonymous session (the items it viewed), items like an item, and search by meaning. Items
deleted since the fit are never returned; a category filter ranks deep enough to fill k."""

from __future__ import annotations

import numpy as np

from vitrine.app.context import AppContext
from vitrine.errors import Invalid, NotFound, NotReady

MAX_K = 1000       # recommendations or neighbours at most (the recommender's own bound)
MAX_SESSION = 100  # items of an anonymous session at most
SIMILAR_POOL = 50  # similar items are picked from the 50·k nearest


def _check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise Invalid(f"between 1 and {MAX_K}, got {k}", "k")


def ranked(ctx: AppContext, k: int, per_category: int | None = None, wanted: list[str] | None = None,
           user_id: str | None = None, history: dict[int, float] | None = None, bought: set[int] | None = None):
    """Suggestions for a fitted shopper, or for a history (item index → weight) with or without one."""
    recs, deleted = ctx.require_recommender(), ctx.deleted
    depth = min(MAX_K, len(recs.item_ids)) if wanted else k
    if history is None:
        suggestions = recs.for_user(user_id, k=depth, per_category=per_category, categories=ctx.categories,
                                    exclude=deleted)
    else:
        suggestions = recs.for_history(history, (bought or set()) | deleted, user_id, k=depth,
                                       per_category=per_category, categories=ctx.categories)
    if wanted:
        allowed = np.isin(ctx.categories, wanted)
        suggestions = [s for s in suggestions if allowed[recs.item_pos[s.item_id]]][:k]
    return suggestions


def for_shopper(ctx: AppContext, user_id: str, k: int = 20, per_category: int | None = None,
                wanted: list[str] | None = None, require_known_items: bool = False):
    """The shopper's top k (items they bought left out), each with the history items behind it:
    from their fitted history plus their events since the fit, or from those events alone for a
    shopper new since the fit. NotFound for a shopper neither fitted nor with events (with
    require_known_items: nor with any event on an item the recommender knows)."""
    return shopper_list(ctx, user_id, k, per_category, wanted, require_known_items)[0]


def shopper_list(ctx: AppContext, user_id: str, k: int = 20, per_category: int | None = None,
                 wanted: list[str] | None = None, require_known_items: bool = False, rank: bool = True):
    """`for_shopper`, and the catalog version its items are to be shown at (None: read it). The
    list comes from the shopper's cached entry (vitrine.app.served) when the entry answers the
    request in full, else from a live ranking. With rank=False, nothing is ranked: None unless a
    valid entry answers (a caller on an event loop does only that much there)."""
    from vitrine.app import served
    _check_k(k)
    recs = ctx.require_recommender()
    if k <= served.CACHE_DEPTH and not (require_known_items and user_id not in recs.user_pos):
        compute = (lambda: live_for_shopper(ctx, user_id, served.CACHE_DEPTH)) if rank else None
        found = served.cached(ctx, user_id, compute)
        if found is None:
            return None
        top, catalog = found
        # without filters, the first k and a few spare for items deleted since are enough to look at
        looked = len(top) if wanted or per_category else min(len(top), k + 8)
        while True:
            ids = [str(i) for i in recs.item_ids[top.items[:looked]]]
            chosen = _shown(ids, ctx.cards.get(ids, catalog), k, per_category, set(wanted or ()))
            if len(chosen) == k or looked == len(top):
                break
            looked = len(top)
        if len(chosen) == k or len(top) < served.CACHE_DEPTH:  # all the shopper may be shown: live finds no more
            return top.suggestions(recs, chosen), catalog
    if not rank:
        return None
    return live_for_shopper(ctx, user_id, k, per_category, wanted, require_known_items)[0], None


def _shown(ids: list[str], cards: dict, k: int, per_category: int | None, wanted: set[str]) -> list[int]:
    """Positions of the first k items still in the store, of the wanted categories (any if none),
    at most `per_category` of one category."""
    chosen, per = [], {}
    for position, item_id in enumerate(ids):
        card = cards[item_id]
        if card is None or (wanted and card["category"] not in wanted):
            continue
        if per_category is not None:
            if per.get(card["category"], 0) >= per_category:
                continue
            per[card["category"]] = per.get(card["category"], 0) + 1
        chosen.append(position)
        if len(chosen) == k:
            break
    return chosen


def _unknown_shopper(user_id: str) -> NotFound:
    return NotFound(f"unknown user {user_id!r} (neither fitted nor with events since the fit)", "user_id")


def refresh_cached(ctx: AppContext, user_id: str) -> None:
    """Recompute a shopper's cached recommendations now (after their event), so their next request
    finds them; a failure leaves it to that request."""
    from vitrine.app import served
    if ctx.recs is None:
        return
    try:
        served.cached(ctx, user_id, lambda: live_for_shopper(ctx, user_id, served.CACHE_DEPTH))
    except Exception:  # the event is stored either way
        pass


def live_for_shopper(ctx: AppContext, user_id: str, k: int, per_category: int | None = None,
                     wanted: list[str] | None = None, require_known_items: bool = False):
    """(`for_shopper` ranked now, the newest event row it read)."""
    recs = ctx.require_recommender()
    recent = ctx.since_fit(user_id)
    known = user_id in recs.user_pos
    if not known and (recent is None or (require_known_items and not recent[0])):
        raise _unknown_shopper(user_id)
    if recent is None:
        return ranked(ctx, k, per_category, wanted, user_id), ctx.fit_mark
    history, bought, mark = recent
    return ranked(ctx, k, per_category, wanted, user_id if known else None, history, bought), mark


def arm_list(ctx: AppContext, user_id: str, k: int, arm: str):
    """An A/B test's baseline list for a shopper (vitrine.recommend.arms: "als", "popularity"),
    their events since the fit counted as the multimodal arm counts them."""
    from vitrine.recommend.arms import baseline_list
    _check_k(k)
    recs = ctx.require_recommender()
    recent = ctx.since_fit(user_id)
    if user_id not in recs.user_pos and recent is None:
        raise _unknown_shopper(user_id)
    history, bought = (recent[0], recent[1]) if recent else ({}, set())
    try:
        return baseline_list(recs, arm, user_id, history, bought | ctx.deleted, k)
    except ValueError as exc:
        raise Invalid(str(exc), "arm") from None


def for_session(ctx: AppContext, item_ids: list[str], k: int = 20, per_category: int | None = None,
                wanted: list[str] | None = None, skip_unknown: bool = False):
    """For a visitor with no user ID: from the items of their session, each counted once per view.
    Items the recommender does not know are an Invalid error, or skipped with skip_unknown."""
    _check_k(k)
    recs = ctx.require_recommender()
    if not item_ids or len(item_ids) > MAX_SESSION:
        raise Invalid(f"give 1 to {MAX_SESSION} items, got {len(item_ids)}", "item_ids")
    unknown = [i for i in item_ids if i not in recs.item_pos]
    if unknown and not skip_unknown:
        raise Invalid(f"unknown to the fitted recommender: {', '.join(map(repr, unknown[:5]))}", "item_ids")
    history: dict[int, float] = {}
    for item_id in item_ids:
        if item_id in recs.item_pos:
            history[recs.item_pos[item_id]] = history.get(recs.item_pos[item_id], 0.0) + 1.0
    return ranked(ctx, k, per_category, wanted, None, history, set()) if history else []


def _present(ctx: AppContext, lookup, k: int) -> list[tuple[str, float]]:
    """The first k (item, score) of `lookup(depth)` still in the store; the depth asked for covers
    the items deleted since the fit (within the recommender's bound)."""
    gone = {str(ctx.recs.item_ids[i]) for i in ctx.deleted}
    return [(i, s) for i, s in lookup(min(1000, k + len(gone))) if i not in gone][:k]


def similar(ctx: AppContext, item_id: str, k: int = 10) -> list[tuple[str, float]]:
    """The k items nearest the item in the recommender's space (cosine), nearest first, at most
    half of them of one category × colour × pattern (the nearest are otherwise all one look:
    `vitrine eval diversity`)."""
    from vitrine.recommend.diversity import group_capped
    _check_k(k)
    recs = ctx.require_recommender()
    if item_id not in recs.item_pos:
        raise NotFound(f"no item {item_id!r} in the fitted recommender", "item_id")
    near = _present(ctx, lambda depth: recs.similar(item_id, depth), min(MAX_K, SIMILAR_POOL * k))
    if ctx.looks is None:
        return near[:k]
    score = dict(near)
    kept = group_capped([recs.item_pos[i] for i, _ in near], ctx.looks, k)
    return [(str(recs.item_ids[i]), score[str(recs.item_ids[i])]) for i in kept]


def search(ctx: AppContext, query: str, k: int = 20) -> list[tuple[str, float]]:
    """Items nearest the query in meaning (sentence vectors of their descriptions)."""
    _check_k(k)
    recs = ctx.require_recommender()
    if not query.strip():
        raise Invalid("give some text to search for", "q")
    try:
        return _present(ctx, lambda depth: recs.search(query, depth), k)
    except ValueError as exc:  # a recommender fitted without text has no search
        raise NotReady(str(exc)) from None
