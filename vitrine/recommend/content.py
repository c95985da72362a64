"""An item the fitted recommender has never seen, turned into the item tower's input from content.

c = [MiniLM sentence vector of its description (384) | image-encoder vector of its picture (d), a
has-picture flag and, for a model fitted on a catalog with generated pictures, a generated flag |
log(price / median price of its category)], the parts the model was fitted on,
in the layout of ItemFeatures.matrix. The image encoder and the category medians are the ones
the model was fitted with, saved beside its weights, so a new product (a design, a launch, an
item imported after the fit) is scored exactly as a catalog item with the same content would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from vitrine.recommend.features import relative_log_price
from vitrine.recommend.image_encoder import ImageEncoder

PHOTO_SIZE = 32


@dataclass
class ContentEncoder:
    parts: tuple[str, ...]
    image_dim: int
    image_encoder: ImageEncoder | None = None
    price_medians: dict[str, float] = field(default_factory=dict)
    generated_flag: bool = False  # the image part ends with a "this picture is generated" flag

    def features(self, texts: list[str], images: list | None = None, prices: list[float | None] | None = None,
                 categories: list[str | None] | None = None, generated: bool = False) -> torch.Tensor:
        """(n, F) raw content of n items; images are PIL images or (H, W, 3) uint8 arrays, None
        where an item has no picture; `generated` says the pictures are generated, not photos; a
        missing price or category gives the price part 0."""
        from PIL import Image

        from vitrine.text.encoder import shared_encoder
        n = len(texts)
        for name, values in (("images", images), ("prices", prices), ("categories", categories)):
            if values is not None and len(values) != n:
                raise ValueError(f"{n} texts but {len(values)} {name}")
        blocks = []
        if "text" in self.parts:
            blocks.append(shared_encoder().pooled(list(texts)).float())
        if "image" in self.parts:
            vectors, has = torch.zeros((n, self.image_dim)), torch.zeros(n)
            rows = [k for k in range(n) if images is not None and images[k] is not None]
            if rows and self.image_encoder is not None:
                pixels = np.stack([np.asarray((im if isinstance(im, Image.Image) else Image.fromarray(np.asarray(im)))
                                              .convert("RGB").resize((PHOTO_SIZE, PHOTO_SIZE))) for im in
                                   (images[k] for k in rows)])
                photos = torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 255.0
                vectors[rows] = self.image_encoder.embed(photos)
                has[rows] = 1.0
            image_part = [vectors, has[:, None]]
            if self.generated_flag:
                image_part.append(has[:, None] * float(generated))
            blocks.append(torch.cat(image_part, 1))
        if "price" in self.parts:
            price = np.array([p if p is not None else np.nan for p in (prices or [None] * n)], dtype=np.float64)
            category = np.array([c or "" for c in (categories or [None] * n)], dtype=object)
            blocks.append(torch.from_numpy(relative_log_price(price, category, self.price_medians))[:, None])
        return torch.cat(blocks, 1) if blocks else torch.zeros((n, 0))

    def columns(self, part: str) -> slice | None:
        """Where one part ("text", "image" with its has-photo flag, "price") sits in a features row;
        None when the model was fitted without it."""
        widths = {"text": 384, "image": self.image_dim + 1 + self.generated_flag, "price": 1}
        start = 0
        for name in self.parts:
            if name == part:
                return slice(start, start + widths[name])
            start += widths[name]
        return None

    def has_picture_column(self) -> int | None:
        """Where the has-picture flag sits in a features row."""
        image = self.columns("image")
        return None if image is None else image.start + self.image_dim

    # ---- saved with the model -----------------------------------------------------------------
    def tensors(self) -> dict[str, torch.Tensor]:
        if self.image_encoder is None:
            return {}
        return {f"image_encoder.{k}": v.contiguous() for k, v in self.image_encoder.state_dict().items()}

    def meta(self) -> dict:
        encoder = None
        if self.image_encoder is not None:
            first = self.image_encoder.body[0][0]
            encoder = {"dim": self.image_dim, "width": first.out_channels}
        return {"parts": list(self.parts), "image_dim": self.image_dim, "image_encoder": encoder,
                "price_medians": self.price_medians, "generated_flag": self.generated_flag}

    @classmethod
    def restore(cls, meta: dict, tensors: dict[str, torch.Tensor]) -> "ContentEncoder":
        encoder = None
        if meta.get("image_encoder"):
            encoder = ImageEncoder(meta["image_encoder"]["dim"], meta["image_encoder"]["width"])
            encoder.load_state_dict({k[len("image_encoder."):]: v for k, v in tensors.items()
                                     if k.startswith("image_encoder.")})
            encoder.eval()
        return cls(tuple(meta["parts"]), int(meta["image_dim"]), encoder, dict(meta.get("price_medians", {})),
                   bool(meta.get("generated_flag", False)))
