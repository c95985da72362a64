"""Which catalog photos train the generator, and their descriptions.

The items whose photo is in Fashion-MNIST's train split and that are not new (cold-start) items:
the test photos stay unseen for evaluation, and new items' photos stay unseen so generating their
previews is a fair test. The recommender reads the same list to reuse the generator's cached
text encodings.
"""

from __future__ import annotations

import numpy as np

from vitrine.catalog.save import load_catalog_arrays


def training_texts(store, ids: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """Rows of the catalog's array cache that train the generator, and their descriptions.
    `ids`: the cache's item_ids, when the caller has read them already."""
    ids = load_catalog_arrays(store)["item_ids"] if ids is None else ids
    text_of = {r.id: r.description or "" for r in store.item_rows(("id", "description", "is_new", "attributes"))
               if not r.is_new and (r.attributes or {}).get("fmnist_split") == "train"}
    keep = np.flatnonzero([i in text_of for i in ids])
    return keep, [text_of[ids[k]] for k in keep]
