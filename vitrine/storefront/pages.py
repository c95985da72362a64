"""The storefront: server-rendered pages (Jinja2) over the same state as the API.

Every page works without JavaScript; shop.js only makes the design and launch panels update in
place instead of through the job page. The shopper being shown is a cookie set by the picker
(`/shop/as`), not a login: this is a demo shop over simulated shoppers. A picked shopper's item
page views and cart / buy clicks are stored as events, so their recommendations follow at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from vitrine.catalog.prices import MAX_PRICE
from vitrine.app import recommend, studio, tryon
from vitrine.app.events import record_event
from vitrine.errors import AppError, NotFound
from vitrine.service.deps import client_of, is_admin_token
from vitrine.service.errors import ServiceError
from vitrine.service.items import picture_fields

HERE = Path(__file__).parent
USER_COOKIE, SEEN_COOKIE = "vitrine_user", "vitrine_seen"
SEEN_MAX = 12        # items remembered for an anonymous visitor's recommendations
PICKER_SHOPPERS = 12  # shoppers offered in the picker: the fitted ones with the longest histories
FACETS_TTL_S = 60
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


class Shop:
    """What the pages share: the service state, and the picker's and facets' cached lists."""

    def __init__(self, state):
        self.state = state
        self._picker, self._picker_recs = [], None
        self._facets, self._facets_at = None, 0.0

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

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        if self._facets is None or time.monotonic() - self._facets_at > FACETS_TTL_S:
            store = self.state.store
            self._facets = {"category": store.facet_counts("category"), "colour": store.facet_counts("colour")}
            self._facets_at = time.monotonic()
        return self._facets

    def cards(self, ids: list[str], scores: dict[str, float] | None = None,
              because: dict[str, list[str]] | None = None) -> list[dict]:
        """Item cards in the given order: title, price, picture (generated flagged), the reason."""
        store = self.state.store
        rows = {r.id: r for r in store.item_rows(("id", "title", "category", "colour", "price", "is_new"), ids=ids)}
        reasons = {b for bs in (because or {}).values() for b in bs}
        titles = {r.id: r.title for r in store.item_rows(("id", "title"), ids=sorted(reasons))} if reasons else {}
        pictures = store.item_pictures(ids)
        cards = []
        for i in ids:
            r = rows.get(i)
            if r is None:
                continue
            cards.append({"id": i, "title": r.title, "category": r.category, "colour": r.colour, "price": r.price,
                          "is_new": bool(r.is_new), **picture_fields(pictures, i),
                          "because": [{"id": b, "title": titles.get(b, b)} for b in (because or {}).get(i, [])]})
        return cards


def _user(request: Request) -> str | None:
    user = request.cookies.get(USER_COOKIE)
    return user if user and len(user) <= 128 else None


def _seen(request: Request) -> list[str]:
    raw = request.cookies.get(SEEN_COOKIE, "")
    return [i for i in raw.split("|") if i and len(i) <= 128][:SEEN_MAX]


def _page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    shop: Shop = request.app.state.shop
    base = {"user": _user(request), "picker": shop.picker(), "categories": shop.facets()["category"],
            "has_recommender": shop.state.recs is not None}
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def _price(text: str) -> float | None:
    """A price bound from a form box: empty is none; anything else a number in [0, MAX_PRICE]."""
    if not text.strip():
        return None
    value = float(text)
    if not 0 <= value <= MAX_PRICE:  # also refuses nan
        raise ValueError(text)
    return value


def _not_found(request: Request, message: str) -> HTMLResponse:
    return _page(request, "error.html", status=404, title="Not found", message=message)


def _recommended(request: Request, user: str | None, seen: list[str], k: int = 12) -> tuple[list[dict], str]:
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
    if not suggestions:
        return [], ""
    shop: Shop = request.app.state.shop
    return shop.cards([s.item_id for s in suggestions], because={s.item_id: s.because for s in suggestions}), heading


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request):
    user = _user(request)
    recommended, heading = _recommended(request, user, _seen(request))
    shop: Shop = request.app.state.shop
    rows, _ = shop.state.store.browse_items(limit=12, offset=0, newest_first=True)
    fitting = shop.state.fit_progress() if shop.state.recs is None else None
    return _page(request, "home.html", recommended=recommended, heading=heading,
                 newest=shop.cards([r.id for r in rows]), fitting=fitting)


@router.get("/shop/as", include_in_schema=False)
def pick_shopper(request: Request, user: str = Query("", max_length=128)):
    """Shop as one shopper (a cookie), or as an anonymous visitor (empty)."""
    state = request.app.state.vitrine
    response = RedirectResponse("/", status_code=303)
    if not user:
        response.delete_cookie(USER_COOKIE)
        return response
    if not (state.recs is not None and user in state.recs.user_pos) and not state.store.user_exists(user):
        return _not_found(request, f"There is no shopper {user!r}.")
    response.set_cookie(USER_COOKIE, user, httponly=True, samesite="lax")
    return response


@router.get("/shop/browse", response_class=HTMLResponse, include_in_schema=False)
def browse(request: Request, category: list[str] | None = Query(None, max_length=20),
           colour: list[str] | None = Query(None, max_length=20), min_price: str = Query("", max_length=20),
           max_price: str = Query("", max_length=20), page: int = Query(1, ge=1, le=100_000)):
    """The filter form sends empty price boxes as empty strings: they mean no bound."""
    shop: Shop = request.app.state.shop
    try:
        min_price, max_price = _price(min_price), _price(max_price)
    except ValueError:
        return _page(request, "error.html", status=422, title="Price",
                     message="A price bound must be a number from 0 to 10,000,000.")
    per_page = 24
    rows, total = shop.state.store.browse_items(category or None, colour or None, min_price, max_price,
                                                per_page, (page - 1) * per_page)
    query = {"category": category or [], "colour": colour or []}
    if min_price is not None:
        query["min_price"] = min_price
    if max_price is not None:
        query["max_price"] = max_price
    link = "/shop/browse?" + urlencode(query, doseq=True)
    pages = max(1, -(-total // per_page))
    return _page(request, "browse.html", cards=shop.cards([r.id for r in rows]), total=total, page=page,
                 pages=pages, link=link, chosen_categories=set(category or []), chosen_colours=set(colour or []),
                 colours=shop.facets()["colour"], min_price=min_price, max_price=max_price)


@router.get("/shop/item/{item_id}", response_class=HTMLResponse, include_in_schema=False)
def item_page(request: Request, item_id: str):
    state = request.app.state.vitrine
    rows = state.store.item_rows(("id", "title", "description", "category", "colour", "pattern", "brand",
                                  "price", "is_new"), ids=[item_id])
    if not rows:
        return _not_found(request, f"There is no item {item_id!r}.")
    user = _user(request)
    if user is not None:
        record_event(state, user, item_id, "view")
    shop: Shop = request.app.state.shop
    similar = []
    if state.recs is not None and item_id in state.recs.item_pos:
        similar = shop.cards([i for i, _ in recommend.similar(state, item_id, 12)])
    item = {**rows[0]._asdict(), **picture_fields(state.store.item_pictures([item_id]), item_id)}
    response = _page(request, "item.html", item=item, similar=similar, bought=request.query_params.get("done"),
                     models=tryon.people_to_offer(state, item["category"]))
    if user is None:  # an anonymous visitor's recent items, newest first, for their recommendations
        seen = [item_id] + [i for i in _seen(request) if i != item_id]
        response.set_cookie(SEEN_COOKIE, "|".join(seen[:SEEN_MAX]), httponly=True, samesite="lax")
    return response


@router.post("/shop/event", include_in_schema=False)
def event(request: Request, item_id: str = Form(..., max_length=128), event: str = Form(..., max_length=16)):
    state = request.app.state.vitrine
    user = _user(request)
    if event not in ("cart", "purchase") or not state.store.item_rows(("id",), ids=[item_id]):
        return _not_found(request, "No such item or action.")
    if user is None:
        return _page(request, "error.html", status=400, title="Pick a shopper",
                     message="Pick a shopper at the top of the page first: this demo shop has no accounts.")
    record_event(state, user, item_id, event)
    return RedirectResponse(f"/shop/item/{item_id}?done={event}", status_code=303)


@router.get("/shop/search", response_class=HTMLResponse, include_in_schema=False)
def search(request: Request, q: str = Query("", max_length=200)):
    state = request.app.state.vitrine
    cards, waiting = [], None
    if q.strip():
        try:
            cards = request.app.state.shop.cards([i for i, _ in recommend.search(state, q, 24)])
        except AppError as exc:  # no fitted recommender yet: say so, and how far its fit is
            waiting = str(exc)
    return _page(request, "search.html", q=q, cards=cards, waiting=waiting)


@router.post("/shop/design", include_in_schema=False)
def design(request: Request):
    """Without JavaScript: queue the picked shopper's designs and show the job page."""
    state = request.app.state.vitrine
    user = _user(request)
    if user is None or state.recs is None or user not in state.recs.user_pos:
        return _page(request, "error.html", status=400, title="Pick a shopper",
                     message="Designs are made for a shopper the recommender knows: pick one at the top.")
    return _follow(request, "design", {"user_id": user, "n": studio.DESIGNS})


@router.get("/shop/launch", response_class=HTMLResponse, include_in_schema=False)
def launch_form(request: Request):
    return _page(request, "launch.html")


@router.post("/shop/launch", include_in_schema=False)
def launch_post(request: Request, description: str = Form(..., max_length=1000),
                price: str = Form("", max_length=20), token: str = Form(..., max_length=200)):
    """The owner's launch form: the token in the form stands for the bearer header."""
    state = request.app.state.vitrine
    if not is_admin_token(state, token):
        return _page(request, "launch.html", status=401, error="That is not the service's admin token.",
                     description=description, price=price)
    try:
        value = _price(price)
    except ValueError:
        return _page(request, "launch.html", status=422, error="The price must be a number from 0 to 10,000,000.",
                     description=description, price=price)
    if not description.strip() or state.recs is None:
        return _page(request, "launch.html", status=422, description=description, price=price,
                     error="Describe the product." if state.recs is not None else "No fitted recommender yet.")
    body = {"description": description.strip(), "price": value, "n": 4, "audience": 100, "seed": 0, "steps": 20,
            "item_id": None}
    return _follow(request, "launch", body)


@router.post("/shop/tryon", include_in_schema=False)
async def tryon_post(request: Request, item_id: str = Form(..., max_length=128),
                     person: str = Form("", max_length=12), picture: UploadFile | None = File(None)):
    """The item page's "Try it on": a person of the drawn set, or the visitor's own picture."""
    from starlette.concurrency import run_in_threadpool

    from vitrine.app.tryon import prepare
    state = request.app.state.vitrine
    limit = state.settings.max_upload_bytes
    data = await picture.read(limit + 1) if picture is not None and picture.filename else None
    if data is not None and len(data) > limit:
        return _page(request, "error.html", status=413, title="Too large",
                     message=f"The picture is larger than {limit:,} bytes.")
    chosen = int(person) if person.isdigit() and data is None else None
    try:
        job = await run_in_threadpool(prepare, state, picture=data, person=chosen, item_id=item_id)
    except AppError as exc:
        status = 404 if isinstance(exc, NotFound) else 422
        return _page(request, "error.html", status=status, title="Cannot try this on", message=str(exc))
    return _follow(request, "tryon", job)


@router.get("/shop/job/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def job_page(request: Request, job_id: str):
    from vitrine.service.jobs import job_view
    try:
        job = job_view(request.app.state.vitrine, job_id)
    except ServiceError as exc:
        return _not_found(request, exc.message)
    audience = (job["result"] or {}).get("audience", [])[:12]
    inputs = {}
    if job["kind"] == "tryon":  # the person and the true render, shown beside the results
        asked = request.app.state.vitrine.store.job(job_id).request
        inputs = {k: f"data:image/png;base64,{asked[k]}" for k in ("picture", "truth") if asked.get(k)}
    return _page(request, "job.html", job=job, audience=audience, inputs=inputs)


def _follow(request: Request, kind: str, body: dict) -> HTMLResponse | RedirectResponse:
    """Queue a job and show its page, or the queue's refusal as a page."""
    from vitrine.errors import Busy
    try:
        job_id = request.app.state.vitrine.queue.add(kind, body, client_of(request))
    except Busy as exc:
        return _page(request, "error.html", status=429, title="Busy", message=str(exc))
    return RedirectResponse(f"/shop/job/{job_id}", status_code=303)


def install(app: FastAPI) -> None:
    """The pages on top of the API: their routes, their static files, what they share."""
    app.state.shop = Shop(app.state.vitrine)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)
