"""The storefront's generative pages: designs for the picked shopper, the owner's launch form,
try-on from an item page, and the job page that shows any of them as it runs and when done.

A design is labelled by how close it is to stock: when its nearest item's similarity reaches
LIKE_ITEM, it is shown as "like" that item rather than as something new."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from vitrine.app import studio
from vitrine.errors import AppError, Busy, NotFound
from vitrine.service.deps import client_of, is_admin_token
from vitrine.service.errors import ServiceError
from vitrine.storefront.shop import error_page, page, price_bound, shop_of, user_of

router = APIRouter(include_in_schema=False)
LIKE_ITEM = 0.95  # cosine to the nearest stock item from which a design is "like" it, not new


def design_cards(request: Request, job) -> dict:
    """A finished design job as the pages show it: per design its picture, prompt, and the closest
    stock item's card, with whether the design is close enough to be called like it."""
    designs = (job.result or {}).get("designs", []) if job.status == "done" else []
    nearest = [d["nearest"][0] for d in designs if d.get("nearest")]
    cards = {c["id"]: c for c in shop_of(request).cards(nearest)}
    shown = []
    for d in designs:
        closest = cards.get(d["nearest"][0]) if d.get("nearest") else None
        similarity = (d.get("nearest_similarity") or [None])[0]
        shown.append({"image": f"/images/{d['image']}", "prompt": d["prompt"], "closest": closest,
                      "like": closest is not None and similarity is not None and similarity >= LIKE_ITEM,
                      "similarity": similarity})
    return {"job": job.id, "at": job.finished_at, "designs": shown}


def follow(request: Request, kind: str, body: dict) -> HTMLResponse | RedirectResponse:
    """Queue a job and show its page, or the queue's refusal as a page."""
    try:
        job_id = request.app.state.vitrine.queue.add(kind, body, client_of(request))
    except Busy as exc:
        return error_page(request, 429, "Busy", str(exc))
    return RedirectResponse(f"/shop/job/{job_id}", status_code=303)


@router.post("/shop/design")
def design(request: Request):
    """Queue the picked shopper's designs and show the job page (the home page keeps the last ones)."""
    ctx = request.app.state.vitrine
    user = user_of(request)
    if user is None or ctx.recs is None or user not in ctx.recs.user_pos:
        return error_page(request, 400, "Pick a shopper",
                          "Designs are made for a shopper the recommender knows: pick one at the top.")
    return follow(request, "design", {"user_id": user, "n": studio.DESIGNS})


@router.get("/shop/launch", response_class=HTMLResponse)
def launch_form(request: Request):
    return page(request, "launch.html")


@router.post("/shop/launch")
def launch_post(request: Request, description: str = Form(..., max_length=1000),
                price: str = Form("", max_length=20), token: str = Form(..., max_length=200)):
    """The owner's launch form: the token in the form's body stands for the API's bearer header (a
    browser form cannot send headers); it is compared in constant time and never put in a URL or a
    page, and the job counts as the owner's (see vitrine.app.queue)."""
    ctx = request.app.state.vitrine
    if not is_admin_token(ctx, token):
        return page(request, "launch.html", status=401, error="That is not the service's admin token.",
                    description=description, price=price)
    request.state.admin = True
    try:
        value = price_bound(price)
    except ValueError:
        return page(request, "launch.html", status=422, error="The price must be a number from 0 to 10,000,000.",
                    description=description, price=price)
    if not description.strip() or ctx.recs is None:
        return page(request, "launch.html", status=422, description=description, price=price,
                    error="Describe the product." if ctx.recs is not None else "No fitted recommender yet.")
    body = {"description": description.strip(), "price": value, "n": 4, "audience": 100, "seed": 0, "steps": None,
            "item_id": None}
    return follow(request, "launch", body)


@router.post("/shop/tryon")
async def tryon_post(request: Request, item_id: str = Form(..., max_length=128),
                     person: str = Form("", max_length=12), picture: UploadFile | None = File(None)):
    """The item page's "Try it on": a person of the drawn set, or the visitor's own picture."""
    from starlette.concurrency import run_in_threadpool

    from vitrine.app.tryon import prepare
    ctx = request.app.state.vitrine
    limit = ctx.settings.max_upload_bytes
    data = await picture.read(limit + 1) if picture is not None and picture.filename else None
    if data is not None and len(data) > limit:
        return error_page(request, 413, "Too large", f"The picture is larger than {limit:,} bytes.")
    chosen = int(person) if person.isdigit() and data is None else None
    try:
        job = await run_in_threadpool(prepare, ctx, picture=data, person=chosen, item_id=item_id)
    except AppError as exc:
        return error_page(request, 404 if isinstance(exc, NotFound) else 422, "Cannot try this on", str(exc))
    return follow(request, "tryon", job)


@router.get("/shop/job/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str):
    from vitrine.service.jobs import job_view
    ctx = request.app.state.vitrine
    try:
        job = job_view(ctx, job_id)
    except ServiceError as exc:
        return error_page(request, 404, "Not found", exc.message)
    audience = (job["result"] or {}).get("audience", [])[:12]
    inputs, designs = {}, None
    if job["kind"] == "tryon":  # the person and the true render, shown beside the results
        asked = ctx.store.job(job_id).request  # job_view shows the pictures' sizes, not their bytes
        inputs = {k: f"data:image/png;base64,{asked[k]}" for k in ("picture", "truth") if asked.get(k)}
    if job["kind"] == "design":
        designs = design_cards(request, ctx.store.job(job_id))
    return page(request, "job.html", job=job, audience=audience, inputs=inputs, designs=designs)
