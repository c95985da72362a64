"""Generation inside recommendation: pictures from a prompt, designs for one shopper, a product
not yet made (its pictures, its audience, optionally a new catalog item), previews for items
without a photo. Every picture kept is stored as a generated image with its prompt, seed, model
and settings — never as a photo — so `/images/SHA` serves it and `store check` counts it."""

from __future__ import annotations

import hashlib

from vitrine.app.context import AppContext
from vitrine.app.pictures import store_generated
from vitrine.diffusion.saved import step_limit
from vitrine.errors import Conflict, Invalid, NotFound

DESIGNS = 4         # designs per request, the API's and the storefront's default
MAX_PICTURES = 8    # pictures per generation request
MAX_STEPS = 100     # sampling steps per request


def check_generate(ctx: AppContext, prompt: str, n: int = 4, steps: int | None = None) -> None:
    """Before queuing a generation: the prompt, the count, the steps the model takes."""
    if not prompt or not prompt.strip():
        raise Invalid("give some text", "prompt")
    if not 1 <= n <= MAX_PICTURES:
        raise Invalid(f"between 1 and {MAX_PICTURES}, got {n}", "n")
    check_steps(steps, ctx.settings.model)


def check_steps(steps: int | None, model, most: int = MAX_STEPS) -> None:
    """Steps a request asks of `model` (None: its default): at most `most`, and at most a distilled
    model's grid points, checked before anything is queued."""
    limit = min(most, step_limit(model))
    if steps is not None and not 1 <= steps <= limit:
        which = " for this distilled model" if limit < most else ""
        raise Invalid(f"between 1 and {limit}{which}, got {steps}", "steps")


def generate(ctx: AppContext, prompt: str, n: int = 4, steps: int | None = None, guidance: float = 3.0,
             seed: int = 0) -> dict:
    """n pictures of the prompt from seeds seed … seed + n − 1: {"images": [sha256, …]}. Unset, steps
    are the model's default (20; 4 for a distilled model)."""
    import torch
    check_generate(ctx, prompt, n, steps)
    pipe = ctx.pipeline()
    steps = pipe.steps_or_default(steps, 20)
    seeds = [seed + j for j in range(n)]
    images = pipe(prompt, num_images_per_prompt=n, num_inference_steps=steps, guidance_scale=guidance,
                  generator=[torch.Generator().manual_seed(s) for s in seeds]).images
    params = {"steps": steps, "guidance": guidance, "sampler": type(pipe.scheduler).__name__, "use": "job"}
    return {"images": store_generated(ctx, images, prompt, seeds, params)}


def check_designs_for(ctx: AppContext, user_id: str, n: int) -> None:
    """Before queuing: a shopper the recommender was fitted on, and a count it can make."""
    recs = ctx.require_recommender()
    if user_id not in recs.user_pos:
        raise NotFound(f"unknown user {user_id!r} (designs need a shopper the recommender was fitted on)",
                       "user_id")
    if not 1 <= n <= 16:
        raise Invalid(f"between 1 and 16, got {n}", "n")


def design(ctx: AppContext, user_id: str, n: int = DESIGNS) -> dict:
    """Designs for one shopper, each stored for them: {"images", "designs": [{image, prompt, score,
    nearest, nearest_similarity}]}, each of another prompt."""
    check_designs_for(ctx, user_id, n)
    designs = ctx.designer().design(user_id, n=n, prompts=max(8, n), max_per_prompt=1)
    user = user_id if ctx.store.user_exists(user_id) else None
    shown = []
    for d in designs:
        [sha] = store_generated(ctx, [d.image], d.prompt, [d.seed], {"use": "design", "score": d.score},
                                user_id=user)
        shown.append({"image": sha, "prompt": d.prompt, "score": round(d.score, 5),
                      "nearest": [i for i, _ in d.nearest], "nearest_similarity": [round(s, 4) for _, s in d.nearest]})
    return {"images": [d["image"] for d in shown], "designs": shown}


def launch_item_id(description: str, seed: int, given: str | None = None) -> str:
    """The ID a launched product gets in the catalog: the one given, else studio- and 10 hex
    digits of the description and seed (the same launch gets the same ID)."""
    digest = hashlib.sha256(f"{description}\x00{seed}".encode()).hexdigest()
    return given or f"studio-{digest[:10]}"


def check_new_item(store, item_id: str | None) -> None:
    """A launched product's ID must be no item's yet (None: it is not added)."""
    if item_id is not None and store.item_rows(("id",), ids=[item_id]):
        raise Conflict(f"an item {item_id!r} exists already", "item_id")


def check_launch(ctx: AppContext, description: str, price: float | None = None, n: int = 4, audience: int = 100,
                 item_id: str | None = None, steps: int | None = None) -> None:
    """Before any drawing: the inputs, an ID no item has yet, a fitted recommender."""
    from vitrine.studio.launch import check_launch as check_inputs
    check_inputs(description, price, n, audience)
    check_steps(steps, ctx.settings.model)
    check_new_item(ctx.store, item_id)
    ctx.require_recommender()


def launch(ctx: AppContext, description: str, price: float | None = None, n: int = 4, audience: int = 100,
           seed: int = 0, steps: int | None = None, item_id: str | None = None, keep_candidates: bool = True):
    """A product not yet made: n candidate pictures, the one showing most of the description
    kept, the shoppers most likely to buy it; with item_id, a new catalog item with that picture.
    Returns (LaunchResult, the candidates' SHA-256s — empty without keep_candidates)."""
    from vitrine.studio.launch import add_to_catalog, launch as draw
    check_launch(ctx, description, price, n, audience, item_id, steps)
    steps = ctx.pipeline().steps_or_default(steps, 20)
    result = draw(ctx.pipeline(), ctx.evaluator(), ctx.require_recommender(), description, price, n=n,
                  audience=audience, seed=seed, steps=steps)
    shas = []
    if keep_candidates:
        shas = store_generated(ctx, result.candidates, description, result.seeds,
                               {"steps": steps, "use": "launch-candidate"})
    if item_id is not None:
        with ctx.write_lock:
            add_to_catalog(ctx.store, result, item_id, str(ctx.settings.model), {"steps": steps, "use": "launch"})
    return result, shas


def launch_summary(result, shas: list[str], item_id: str | None) -> dict:
    """A launch as a job's result: pictures, the one kept, its agreement, the audience."""
    return {"images": shas, "chosen": result.chosen, "agreement": [round(a, 4) for a in result.agreement],
            "category": result.category, "item_id": item_id,
            "audience": [{"user": u, "score": round(s, 5)} for u, s in result.audience]}


def previews(ctx: AppContext, limit: int | None = 16, n: int = 4, steps: int | None = None, seed: int = 0,
             progress: bool = False):
    """Previews for up to `limit` items with no picture (PreviewRun: items, attributes read/stated)."""
    from vitrine.studio.previews import make_previews
    check_steps(steps, ctx.settings.model)
    return make_previews(ctx.store, ctx.pipeline(), ctx.evaluator(), str(ctx.settings.model), limit=limit, n=n,
                         steps=steps, seed=seed, progress=progress, write_lock=ctx.write_lock)
