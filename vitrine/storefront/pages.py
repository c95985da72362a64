"""The storefront's shopping pages: home, the shopper picker, browse (filters, facet counts,
sort), an item, search, and the cart and buy buttons' events.

Every page works without JavaScript. The shopper being shown is a cookie set by the picker
(`/shop/as`), not a login: this is a demo shop over simulated shoppers. A picked shopper's item
page views and cart / buy clicks are stored as events, so their recommendations follow at once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from vitrine.app import recommend, tryon
from vitrine.app.events import record_event
from vitrine.catalog.query import read_query
from vitrine.errors import AppError, NotFound
from vitrine.service.items import picture_fields
from vitrine.storage.catalog import FACETS, ItemFilter
from vitrine.storefront.shop import (SEEN_COOKIE, SEEN_MAX, USER_COOKIE, cookie_value, error_page, page,
                                     price_bound, seen_of, shop_of, user_of)

router = APIRouter(include_in_schema=False)
PER_PAGE = 24
SORTS = {"relevance": "Relevance", "new": "Newest", "price": "Price: low to high", "-price": "Price: high to low"}
BRANDS_SHOWN = 12  # brands listed in the filter, most items first (any ticked one is listed too)
CART_SHOWN = 200  # cart items drawn on the cart page, latest first; buying takes them all


def recommended(request: Request, user: str | None, seen: list[str], k: int = 12) -> tuple[list[dict], str]:
    """Cards for the shopper (their history and live events) or for an anonymous visitor's viewed
    items; the heading says which."""
    ctx = request.app.state.vitrine
    if ctx.recs is None:
        return [], ""
    if user is not None:
        try:
            suggestions = recommend.for_shopper(ctx, user, k, per_category=3, require_known_items=True)
        except NotFound:
            return [], ""
        heading = "Recommended for you"
    else:
        if not seen:
            return [], ""
        suggestions = recommend.for_session(ctx, seen, k, per_category=3, skip_unknown=True)
        heading = "Picked from what you viewed"
    cards = shop_of(request).cards([s.item_id for s in suggestions], {s.item_id: s.because for s in suggestions})
    return cards, heading if cards else ""


def ranked_by_relevance(request: Request, ids: list[str]) -> list[str]:
    """Items in the order a shopper would want them: their recommendations first (when a fitted
    recommender knows them), then best sellers."""
    ctx, user = request.app.state.vitrine, user_of(request)
    shop = shop_of(request)
    first = []
    if ctx.recs is not None and user is not None:
        try:
            first = [s.item_id for s in recommend.for_shopper(ctx, user, recommend.MAX_K)]
        except NotFound:
            pass
    wanted = set(ids)
    first = [i for i in first if i in wanted]
    return first + shop.by_popularity(sorted(wanted - set(first)))


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    user, shop, ctx = user_of(request), shop_of(request), request.app.state.vitrine
    cards, heading = recommended(request, user, seen_of(request))
    newest, _ = ctx.store.browse_items(limit=12, sort="new")
    viewed = ctx.store.recent_items(user, "view", 12) if user else seen_of(request)
    designs = latest_designs(request, user) if user else None
    best = [] if cards else shop.cards(shop.top_sellers(12))  # a home page without recommendations
    return page(request, "home.html", recommended=cards, heading=heading, newest=shop.cards([r.id for r in newest]),
                viewed=shop.cards(viewed), best=best, designs=designs,
                fitting=ctx.fit_progress() if ctx.recs is None else None)


def latest_designs(request: Request, user: str) -> dict | None:
    """The shopper's last designs, kept until they ask again: each with its closest item's card."""
    from vitrine.storefront.studio import design_cards
    job = request.app.state.vitrine.store.latest_job("design", {"user_id": user})
    return design_cards(request, job) if job is not None else None


@router.get("/shop/as")
def pick_shopper(request: Request, user: str = Query("", max_length=128)):
    """Shop as one shopper (a cookie), or as an anonymous visitor (empty)."""
    ctx = request.app.state.vitrine
    response = RedirectResponse("/", status_code=303)
    if not user:
        response.delete_cookie(USER_COOKIE)
        return response
    if not (ctx.recs is not None and user in ctx.recs.user_pos) and not ctx.store.user_exists(user):
        return error_page(request, 404, "Not found", f"There is no shopper {user!r}.")
    response.set_cookie(USER_COOKIE, cookie_value([user]), httponly=True, samesite="lax")
    return response


def _facet_lists(request: Request, filters: ItemFilter) -> dict[str, list[tuple[str, int]]]:
    """Each facet's values with their counts under the other active filters (the shop's cached
    counts when nothing is filtered); values ticked but matching nothing are listed with 0."""
    store, shop = request.app.state.vitrine.store, shop_of(request)
    active = filters != ItemFilter()
    lists = {}
    for facet in FACETS:
        counts = store.facet_counts(facet, filters) if active else shop.facets()[facet]
        if facet == "brand":
            counts = counts[:BRANDS_SHOWN] + [c for c in counts[BRANDS_SHOWN:] if c[0] in filters.chosen(facet)]
        listed = {v for v, _ in counts}
        lists[facet] = counts + [(v, 0) for v in sorted(filters.chosen(facet) - listed)]
    return lists


@router.get("/shop/browse", response_class=HTMLResponse)
def browse(request: Request, category: list[str] | None = Query(None, max_length=20),
           colour: list[str] | None = Query(None, max_length=20), pattern: list[str] | None = Query(None, max_length=20),
           brand: list[str] | None = Query(None, max_length=20), min_price: str = Query("", max_length=20),
           max_price: str = Query("", max_length=20), sort: str = Query("relevance", max_length=10),
           page_number: int = Query(1, ge=1, le=100_000, alias="page")):
    """The filter form sends empty price boxes as empty strings: they mean no bound."""
    try:
        low, high = price_bound(min_price), price_bound(max_price)
    except ValueError:
        return error_page(request, 422, "Price", "A price bound must be a number from 0 to 10,000,000.")
    if sort not in SORTS:
        return error_page(request, 422, "Sort", f"Sort by one of: {', '.join(SORTS)}.")
    filters = ItemFilter(tuple(category or ()), tuple(colour or ()), tuple(pattern or ()), tuple(brand or ()),
                         low, high)
    store = request.app.state.vitrine.store
    offset = (page_number - 1) * PER_PAGE
    if sort == "relevance":
        ranked = ranked_by_relevance(request, store.matching_ids(filters))
        ids, total = ranked[offset:offset + PER_PAGE], len(ranked)
    else:
        rows, total = store.browse_items(filters, PER_PAGE, offset, sort)
        ids = [r.id for r in rows]
    query = {**{facet: list(filters.chosen(facet)) for facet in FACETS}, "sort": sort}
    query |= {k: v for k, v in (("min_price", low), ("max_price", high)) if v is not None}
    return page(request, "browse.html", cards=shop_of(request).cards(ids), total=total, page=page_number,
                pages=max(1, -(-total // PER_PAGE)), link="/shop/browse?" + urlencode(query, doseq=True),
                facets=_facet_lists(request, filters), filters=filters, sort=sort, sorts=SORTS,
                min_price=low, max_price=high)


@router.get("/shop/item/{item_id:path}", response_class=HTMLResponse)
def item_page(request: Request, item_id: str):
    ctx = request.app.state.vitrine
    rows = ctx.store.item_rows(("id", "title", "description", "category", "colour", "pattern", "brand",
                                "price", "is_new"), ids=[item_id])
    if not rows:
        return error_page(request, 404, "Not found", f"There is no item {item_id!r}.")
    user = user_of(request)
    if user is not None:
        record_event(ctx, user, item_id, "view")
    similar = []
    if ctx.recs is not None and item_id in ctx.recs.item_pos:
        similar = shop_of(request).cards([i for i, _ in recommend.similar(ctx, item_id, 12)])
    item = {**rows[0]._asdict(), **picture_fields(ctx.store.item_pictures([item_id]), item_id)}
    response = page(request, "item.html", item=item, similar=similar, bought=request.query_params.get("done"),
                    models=tryon.people_to_offer(ctx, item["category"]))
    if user is None:  # an anonymous visitor's recent items, newest first, for their recommendations
        seen = [item_id] + [i for i in seen_of(request) if i != item_id]
        response.set_cookie(SEEN_COOKIE, cookie_value(seen[:SEEN_MAX]), httponly=True, samesite="lax")
    return response


@router.post("/shop/event")
def event(request: Request, item_id: str = Form(..., max_length=128), event: str = Form(..., max_length=16),
          back: str = Form("", max_length=16)):
    """Add to cart or buy one item; back to the item page, or to the cart (back=cart)."""
    ctx = request.app.state.vitrine
    user = user_of(request)
    if event not in ("cart", "purchase") or not ctx.store.item_rows(("id",), ids=[item_id]):
        return error_page(request, 404, "Not found", "No such item or action.")
    if user is None:
        return error_page(request, 400, "Pick a shopper",
                          "Pick a shopper at the top of the page first: this demo shop has no accounts.")
    record_event(ctx, user, item_id, event)
    if back == "cart":
        return RedirectResponse("/shop/cart?done=1", status_code=303)
    return RedirectResponse(f"/shop/item/{item_id}?done={event}", status_code=303)


@router.get("/shop/cart", response_class=HTMLResponse)
def cart(request: Request):
    """The picked shopper's cart (added, not bought since) and their latest orders."""
    user = user_of(request)
    if user is None:
        return error_page(request, 400, "Pick a shopper",
                          "Pick a shopper at the top of the page to see their cart: this demo shop has no accounts.")
    store, shop = request.app.state.vitrine.store, shop_of(request)
    items = shop.cards(store.cart(user, CART_SHOWN))
    return page(request, "cart.html", items=items, size=store.cart_size(user), total=sum(c["price"] or 0 for c in items),
                orders=shop.cards(store.recent_items(user, "purchase", 12)), done=request.query_params.get("done"))


@router.post("/shop/cart/buy")
def buy_cart(request: Request):
    """Buy everything in the cart: one purchase event per item."""
    ctx, user = request.app.state.vitrine, user_of(request)
    if user is None:
        return error_page(request, 400, "Pick a shopper", "Pick a shopper at the top of the page first.")
    for item_id in ctx.store.cart(user):
        record_event(ctx, user, item_id, "purchase")
    return RedirectResponse("/shop/cart?done=1", status_code=303)


@router.get("/shop/search", response_class=HTMLResponse)
def search(request: Request, q: str = Query("", max_length=200)):
    """Search by meaning, with the query's catalog words read as filters ("red dres under 30":
    dress, red, at most €30, the typo corrected); before a fit, the filters alone."""
    ctx, shop = request.app.state.vitrine, shop_of(request)
    if not q.strip():
        return page(request, "search.html", q=q, cards=[], read=None, waiting=None)
    read = read_query(q, shop.vocabulary())
    filters = read.filters
    waiting, ids = None, []
    if ctx.recs is not None and read.text.strip():
        allowed = set(ctx.store.matching_ids(filters)) if filters != ItemFilter() else None
        try:
            found = recommend.search(ctx, read.text, recommend.MAX_K if allowed is not None else PER_PAGE)
            ids = [i for i, _ in found if allowed is None or i in allowed][:PER_PAGE]
        except AppError as exc:
            waiting = str(exc)
    elif filters != ItemFilter():
        ids = shop.by_popularity(ctx.store.matching_ids(filters))[:PER_PAGE]
    if ctx.recs is None:  # search by meaning comes with the fit: say when
        waiting = ctx.fit_status() or "no fitted recommender yet"
    return page(request, "search.html", q=q, cards=shop.cards(ids), read=read, waiting=waiting)
