"""Content features of every catalog item: what the multimodal model and cold start read.

Per item: the MiniLM sentence vector of its description (384), the vector of its photo from the
image encoder trained here (64; zeros and a "no photo" flag when it has none), and its price as
log(price / median price of its category). An item without a photo but with a generated picture
(`vitrine studio previews`, a launch's picture) takes that picture as its image, with a flag that
says it is generated; the image encoder itself learns from real photos only. Built once per store and cached under
DATA_DIR/cache/ (safetensors), keyed by the store's catalog and the encoders' settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from vitrine.progress import Reporter, bar
from vitrine.atomic import save_safetensors
from vitrine.recommend.image_encoder import ImageEncoder, ImageEncoderConfig, train_image_encoder
from vitrine.text.cache import encode_texts
from vitrine.text.encoder import pool


@dataclass
class ItemFeatures:
    item_ids: np.ndarray      # (I,) str, sorted like Log.item_ids
    text: torch.Tensor        # (I, 384) unit vectors
    image: torch.Tensor       # (I, d) unit vectors, zeros where no photo
    has_image: torch.Tensor   # (I,) bool
    price: torch.Tensor       # (I,) log(price / category median); 0 where unknown
    encoder: ImageEncoder | None = None         # what made `image` (None: too few photos to train one)
    price_medians: dict[str, float] = field(default_factory=dict)  # category → median price
    generated: torch.Tensor | None = None       # (I,) bool: `image` is a generated picture, not a photo

    @property
    def any_generated(self) -> bool:
        """Whether some item's picture is generated: only then does the image part carry the flag
        (a catalog of photos keeps the layout, and the fit, it always had)."""
        return self.generated is not None and bool(self.generated.any())

    def matrix(self, parts: tuple[str, ...] = ("text", "image", "price")) -> torch.Tensor:
        """The chosen parts side by side, (I, F) float32 — the content tower's input."""
        image = [self.image, self.has_image[:, None].float()]
        if self.any_generated:
            image.append(self.generated[:, None].float())
        blocks = {"text": self.text, "image": torch.cat(image, 1), "price": self.price[:, None]}
        unknown = set(parts) - set(blocks)
        if unknown:
            raise ValueError(f"unknown feature parts {sorted(unknown)}; choose from text, image, price")
        if not parts:  # behaviour only
            return torch.zeros((len(self.item_ids), 0))
        return torch.cat([blocks[p].float() for p in parts], dim=1)


def price_medians(price: np.ndarray, category: np.ndarray) -> dict[str, float]:
    """Median known price per category."""
    known = np.isfinite(price) & (price > 0)
    return {str(c): float(np.median(price[known & (category == c)])) for c in np.unique(category)
            if (known & (category == c)).any()}


def relative_log_price(price: np.ndarray, category: np.ndarray, medians: dict[str, float]) -> np.ndarray:
    """log(price / median price of its category); 0 where the price or the category's median is unknown."""
    out = np.zeros(len(price), dtype=np.float32)
    for k, (p, c) in enumerate(zip(price, category)):
        median = medians.get(str(c))
        if median and np.isfinite(p) and p > 0:
            out[k] = np.log(p / median)
    return out


def _read_pictures(store, paths: list[tuple[int, str]], images: np.ndarray, has: np.ndarray) -> None:
    """Fill images[k] from each (k, path) of the image store; a missing or damaged file leaves the
    item without a picture (`vitrine store check` reports it)."""
    from PIL import Image
    for k, path in paths:
        try:
            with Image.open(store.images.resolve(path)) as im:
                images[k] = np.asarray(im.convert("RGB").resize((32, 32)))
        except (OSError, ValueError):
            continue
        has[k] = True


def _item_photos(store, item_ids: np.ndarray) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """(I, 3, 32, 32) pictures in [0, 1] (zeros where none), a has-picture mask and a generated
    mask: an item's photo, else its newest generated picture. The Fashion-MNIST catalog's array
    cache is read directly; other shops' photos are read from the image store."""
    from vitrine.catalog.save import load_catalog_arrays
    images = np.zeros((len(item_ids), 32, 32, 3), dtype=np.uint8)
    has = np.zeros(len(item_ids), dtype=bool)
    position = {i: k for k, i in enumerate(item_ids)}
    try:
        arrays = load_catalog_arrays(store)
        photos, photo_ids = arrays["images"], arrays["item_ids"]  # each npz access decompresses: read once
        for k, item_id in enumerate(photo_ids):
            if item_id in position:
                images[position[item_id]], has[position[item_id]] = photos[k], True
    except LookupError:
        _read_pictures(store, [(position[i], path) for i, path in store.main_photos() if i in position], images, has)
    photo = has.copy()
    _read_pictures(store, [(position[i], path) for i, path in store.item_previews()
                           if i in position and not photo[position[i]]], images, has)
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0, has, has & ~photo


def _text_vectors(texts: list[str], progress: bool | Reporter) -> torch.Tensor:
    """Pooled MiniLM vectors of `texts`, encoded in chunks (token states are 24 KB a text)."""
    out = torch.empty((len(texts), 384))
    with bar(len(texts), "encode item texts", "text", progress) as texts_bar:
        for start in range(0, len(texts), 8192):
            states, masks = encode_texts(texts[start:start + 8192], bar=texts_bar)
            out[start:start + 8192] = pool(states, masks)
    return out


def build_features(store, item_ids: np.ndarray, config: ImageEncoderConfig = ImageEncoderConfig(),
                   progress: bool | Reporter = True) -> tuple[ItemFeatures, dict]:
    """Encode descriptions, train the image encoder on (photo, description) pairs, embed photos."""
    rows = {r.id: r for r in store.item_rows(("id", "title", "description", "category", "price"))}
    texts = [(rows[i].description or rows[i].title or "") for i in item_ids]
    text = _text_vectors(texts, progress)
    photos, has, generated = _item_photos(store, item_ids)
    train_rows = torch.from_numpy(np.flatnonzero(has & ~generated))  # real photos only
    shown = torch.from_numpy(np.flatnonzero(has))
    info = {"items": len(item_ids), "with_photo": len(train_rows), "with_generated_picture": int(generated.sum())}
    image = torch.zeros((len(item_ids), config.dim))
    encoder = None
    if len(train_rows) >= config.batch_size:
        encoder, info["image_encoder"] = train_image_encoder(photos[train_rows], text[train_rows], config, progress)
        image[shown] = encoder.embed(photos[shown])
    price = np.array([rows[i].price if rows[i].price is not None else np.nan for i in item_ids], dtype=np.float64)
    category = np.array([rows[i].category or "" for i in item_ids], dtype=object)
    medians = price_medians(price, category)
    features = ItemFeatures(np.asarray(item_ids), text, image, torch.from_numpy(has),
                            torch.from_numpy(relative_log_price(price, category, medians)), encoder, medians,
                            torch.from_numpy(generated))
    return features, info


def _content_digest(store, item_ids: np.ndarray, config: ImageEncoderConfig) -> str:
    """A key that changes when any item's text, price, category or main photo does."""
    digest = hashlib.sha256(json.dumps({"format": 2, "catalog": store.get_meta("catalog"), "n": len(item_ids),
                                        "encoder": asdict(config)}, sort_keys=True, default=str).encode())
    for row in store.item_rows(("id", "title", "description", "category", "price")):
        digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
    for item_id, path in store.main_photos():
        digest.update(f"{item_id}\x00{path}".encode("utf-8", "surrogatepass"))
    for item_id, path in store.item_previews():  # none: the key is what it was before previews existed
        digest.update(f"preview\x00{item_id}\x00{path}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:20]


def cached_features(store, item_ids: np.ndarray, config: ImageEncoderConfig = ImageEncoderConfig(),
                    progress: bool | Reporter = True) -> ItemFeatures:
    """build_features, read from / written atomically to DATA_DIR/cache/items-<key>.safetensors."""
    path = Path(store.data_dir) / "cache" / f"items-{_content_digest(store, item_ids, config)}.safetensors"
    if path.exists():
        from safetensors import safe_open
        data = load_file(str(path))
        with safe_open(str(path), "pt") as f:
            meta = json.loads(f.metadata()["content"])
        encoder = None
        if meta["encoder"] is not None:
            encoder = ImageEncoder(meta["encoder"]["dim"], meta["encoder"]["width"])
            encoder.load_state_dict({k[len("encoder."):]: v for k, v in data.items() if k.startswith("encoder.")})
            encoder.eval()
        generated = data["generated"].bool() if "generated" in data else torch.zeros(len(item_ids), dtype=torch.bool)
        return ItemFeatures(np.asarray(item_ids), data["text"], data["image"], data["has_image"].bool(), data["price"],
                            encoder, meta["price_medians"], generated)
    features, _ = build_features(store, item_ids, config, progress)
    tensors = {"text": features.text.contiguous(), "image": features.image.contiguous(),
               "has_image": features.has_image.to(torch.uint8), "price": features.price.contiguous(),
               "generated": features.generated.to(torch.uint8)}
    if features.encoder is not None:
        tensors.update({f"encoder.{k}": v.contiguous() for k, v in features.encoder.state_dict().items()})
    encoder_meta = {"dim": config.dim, "width": config.width} if features.encoder is not None else None
    save_safetensors(tensors, path, metadata={"content": json.dumps({"encoder": encoder_meta,
                                                                      "price_medians": features.price_medians})})
    return features


def load_fold(store, name: str, progress: bool | Reporter = True):
    """(log, fold, features): the shopper log, its `name` fold (valid, test or all) and the items'
    content features — what fitting and scoring a model on the default shop needs."""
    from vitrine.recommend.data import load_log, make_fold
    log = load_log(store)
    return log, make_fold(log, name), cached_features(store, log.item_ids, progress=progress)
