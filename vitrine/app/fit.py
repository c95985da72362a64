"""Fit the multimodal recommender on a store's events and save it where it is served.

The model is written beside its folder (`NAME.fitting`) and swapped in whole, so a reader never
sees half a model and the old one answers until the swap. `events.json` beside the weights holds
the newest event row the fit could read; later events count per request (AppContext.since_fit)."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

from vitrine.errors import Invalid
from vitrine.progress import Reporter

FOLDS = ("all", "test", "valid")
CONTENT_PARTS = ("text", "image", "price")


@dataclass(frozen=True)
class Fitted:
    name: str
    folder: Path
    fold: str
    pairs: int   # (user, item) pairs learnt from
    users: int
    items: int
    seconds: float


def config_from(overrides: dict):
    """A MultimodalConfig: the chosen configuration with the given fields changed (None: not given)."""
    from vitrine.recommend.config import MultimodalConfig
    known = {f.name for f in fields(MultimodalConfig)}
    given = {k: v for k, v in overrides.items() if v is not None}
    for name in given:
        if name not in known:
            raise Invalid(f"not a recommender setting; known: {', '.join(sorted(known))}", name)
    unknown = set(given.get("parts", ())) - set(CONTENT_PARTS)
    if unknown:
        raise Invalid(f"unknown {', '.join(sorted(unknown))}; choose from {', '.join(CONTENT_PARTS)}", "parts")
    return MultimodalConfig(**given)


def fit(store, out: Path, overrides: dict | None = None, fold: str = "all", progress: bool | Reporter = True) -> Fitted:
    """Fit on the fold's events (`all`, or those before the test / valid period) and save to `out`.
    `progress`: a bar, or a reporter told each phase (reading the events, encoding item texts,
    training the image encoder, fitting, saving) and the fraction of it done."""
    from vitrine.recommend.features import load_fold
    from vitrine.recommend.multimodal import Multimodal
    if fold not in FOLDS:
        raise Invalid(f"one of {', '.join(FOLDS)}, got {fold!r}", "fold")
    config = config_from(overrides or {})
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / "model.json").is_file():  # it is replaced whole
        raise Invalid(f"{out} holds files and no fitted recommender; give a new or empty folder", "out")
    start = time.perf_counter()
    report = progress if callable(progress) else (lambda phase, fraction: None)
    report("read the events", 0.0)
    last_event = store.last_event_id()  # read before the events, so none is counted twice or missed
    log, data, features = load_fold(store, fold, progress=progress)
    model = Multimodal(features, config).fit(data, progress=progress)
    report("save", 1.0)
    fresh, old = out.with_name(out.name + ".fitting"), out.with_name(out.name + ".previous")
    shutil.rmtree(fresh, ignore_errors=True)
    model.save(fresh, log.user_ids, log.item_ids)
    (fresh / "events.json").write_text(json.dumps({"last_event_id": int(last_event), "fold": fold,
                                                   "fit_id": uuid.uuid4().hex}) + "\n")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    fresh.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return Fitted(model.name, out, fold, int(data.train.nnz), len(log.user_ids), len(log.item_ids),
                  time.perf_counter() - start)


def fit_served(store, overrides: dict | None = None, progress: bool = True) -> tuple[Fitted, int]:
    """`fit` on every event into the store's served folder, then `serve_new_fit` it:
    (what was fitted, the shoppers' entries cached)."""
    from vitrine.app.context import AppContext
    from vitrine.app.settings import Settings
    from vitrine.paths import RECOMMENDER_DIR
    fitted = fit(store, store.data_dir / RECOMMENDER_DIR, overrides, "all", progress)
    return fitted, serve_new_fit(AppContext(Settings(store.data_dir), store), progress, load=False)


def refit(ctx, overrides: dict | None = None, progress: bool | Reporter = False) -> Fitted:
    """Fit on every stored event into the served folder, then serve the new model."""
    fitted = fit(ctx.store, ctx.settings.recommender_dir, overrides, "all", progress)
    serve_new_fit(ctx, progress)
    return fitted


def serve_new_fit(ctx, progress: bool | Reporter = False, load: bool = True) -> int:
    """Load the served folder's new fit (unless `ctx` just did), cache every shopper's
    recommendations from it, then tell the other processes serving the folder to load it too.
    Returns the entries cached."""
    from vitrine.app.served import warm
    if load:
        ctx.load_recommender()
    cached = warm(ctx, progress)
    ctx.store.announce_fit(ctx.fit_id, str(ctx.settings.recommender_dir))
    return cached
