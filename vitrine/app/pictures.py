"""Storing generated pictures: each file under the store's images, each with its own
generated-image row (prompt, seed, model, settings) — never as a photo — so `/images/SHA` serves
it and `store check` counts it. One transaction for the lot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vitrine.app.context import AppContext


def store_generated(ctx: AppContext, pictures, prompt: str, seeds: list[int], params: dict, model: Path | None = None,
                    item_id: str | None = None, user_id: str | None = None) -> list[str]:
    """Store pictures (PIL images or uint8 arrays) drawn by `model` (default: the text-to-image
    pipeline); their SHA-256s, in order."""
    from vitrine.storage.images import encode_png
    shas = []
    with ctx.write_lock, ctx.store.loading() as load:
        for picture, seed in zip(pictures, seeds):
            stored = load.images.put(encode_png(np.asarray(picture)))
            load.add_generated_image(stored, prompt, seed, str(model or ctx.settings.model), params, item_id=item_id,
                                     user_id=user_id)
            shas.append(stored.sha256)
    return shas
