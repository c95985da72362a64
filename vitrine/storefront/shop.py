"""What the storefront's pages share: who is shopping (cookies), the page frame, and the lists
that are costly to compute and change slowly (the picker's shoppers, unfiltered facet counts,
the search vocabulary, best sellers), each kept for a while."""

from __future__ import annotations

import heapq
import time
from pathlib import Path
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from vitrine.catalog.prices import MAX_PRICE
from vitrine.catalog.query import Vocabulary, vocabulary
from vitrine.service.items import picture_fields
from vitrine.storage.catalog import FACETS

HERE = Path(__file__).parent
USER_COOKIE, SEEN_COOKIE = "vitrine_user", "vitrine_seen"
SEEN_MAX = 12         # items remembered for an anonymous visitor's recommendations
PICKER_SHOPPERS = 12  # shoppers offered in the picker: the fitted ones with the longest histories
KEEP_S = 60           # how long facet counts and best sellers are reused
VOCABULARY_KEEP_S = 600  # the search vocabulary reads every title and description (~0.4 s at 70,000 items)
templates = Jinja2Templates(directory=HERE / "templates")


class Kept:
    """A value recomputed at most every `keep_s` seconds."""

    def __init__(self, compute, keep_s: float = KEEP_S):
        self.compute, self.keep_s, self.value, self.at = compute, keep_s, None, -float("inf")

    def __call__(self):
        if time.monotonic() - self.at > self.keep_s:
            self.value, self.at = self.compute(), time.monotonic()
        return self.value


class Shop:
    """The service state, and the pages' slowly changing lists."""

    def __init__(self, state):
        self.state = state
        self._picker, self._picker_recs = [], None
        store = state.store
        self.facets = Kept(lambda: {facet: store.facet_counts(facet) for facet in FACETS})
        self.best_sellers = Kept(store.purchase_counts)
        self.vocabulary: Kept = Kept(self._vocabulary, VOCABULARY_KEEP_S)

    def _vocabulary(self) -> Vocabulary:
        texts = [f"{r.title} {r.description or ''}" for r in self.state.store.item_rows(("title", "description"))]
        return vocabulary({facet: [v for v, _ in counts] for facet, counts in self.facets().items()}, texts)

    def picker(self) -> list[str]:
        """The fitted shoppers with the longest histories; before a fit, the store's most active."""
        recs = self.state.recs
        if recs is None:
            if self._picker_recs is not None or not self._picker:
                self._picker, self._picker_recs = sorted(self.state.store.most_active_users(PICKER_SHOPPERS)), None
            return self._picker
        if self._picker_recs is not recs:
            sizes = recs.model.history.getnnz(axis=1)
            best = sizes.argsort()[::-1][:PICKER_SHOPPERS]
            self._picker, self._picker_recs = sorted(str(recs.user_ids[u]) for u in best), recs
        return self._picker

    def top_sellers(self, n: int) -> list[str]:
        """The n items bought most (ties by ID)."""
        return [i for i, _ in heapq.nsmallest(n, self.best_sellers().items(), key=lambda kv: (-kv[1], kv[0]))]

    def by_popularity(self, ids: list[str]) -> list[str]:
        """These items, best sellers first (ties in the order given)."""
        sold = self.best_sellers()
        return sorted(ids, key=lambda i: -sold.get(i, 0))

    def cards(self, ids: list[str], because: dict[str, list[str]] | None = None) -> list[dict]:
        """Item cards in the given order: title, price, picture (generated flagged), the reason
        (each history item named once)."""
        store = self.state.store
        reasons = sorted({b for bs in (because or {}).values() for b in bs})
        titles = {r.id: r.title for r in store.item_rows(("id", "title"), ids=reasons)} if reasons else {}
        pictures = store.item_pictures(ids)
        cards = []
        for r in store.items_in_order(ids):
            named = list(dict.fromkeys(titles.get(b, b) for b in (because or {}).get(r.id, [])))
            cards.append({"id": r.id, "title": r.title, "category": r.category, "colour": r.colour,
                          "price": r.price, "is_new": bool(r.is_new), **picture_fields(pictures, r.id),
                          "because": named})
        return cards


def shop_of(request: Request) -> Shop:
    return request.app.state.shop


def cookie_value(ids: list[str]) -> str:
    """IDs (any Unicode) as one cookie value: each percent-encoded, joined by "|" (a header holds
    ASCII only, and an ID may hold "|" or ";" itself)."""
    return "|".join(quote(i, safe="") for i in ids)


def cookie_ids(raw: str | None) -> list[str]:
    return [unquote(i) for i in (raw or "").split("|") if i]


def user_of(request: Request) -> str | None:
    user = next(iter(cookie_ids(request.cookies.get(USER_COOKIE))), None)
    return user if user and len(user) <= 128 else None


def seen_of(request: Request) -> list[str]:
    return [i for i in cookie_ids(request.cookies.get(SEEN_COOKIE)) if len(i) <= 128][:SEEN_MAX]


def page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    """A page in the shop's frame: the picker, the category bar, the cart's count."""
    shop = shop_of(request)
    user = user_of(request)
    base = {"user": user, "picker": shop.picker(), "categories": shop.facets()["category"],
            "has_recommender": shop.state.recs is not None,
            "cart_count": shop.state.store.cart_size(user) if user else 0}
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return page(request, "error.html", status=status, title=title, message=message)


def price_bound(text: str) -> float | None:
    """A price bound from a form box: empty is none; anything else a number in [0, MAX_PRICE]."""
    if not text.strip():
        return None
    value = float(text)
    if not 0 <= value <= MAX_PRICE:  # also refuses nan
        raise ValueError(text)
    return value
