"""An image encoder for the recommender, trained here: photos and descriptions pulled together.

CLIP's recipe in miniature (Radford et al. 2021): a small CNN maps a photo to a 64-dim unit
vector, a linear map does the same for the photo's frozen MiniLM description vector, and the
symmetric InfoNCE loss over a batch makes each photo closest to its own description. The image
vectors then carry what the text says (category, colour, pattern) — read off the pixels, so an
item with a photo and no useful text still gets a meaningful vector. It shares no weights with
the generation evaluator (vitrine/evaluate/evaluator.py), which must stay independent.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch
from torch import nn

from vitrine.progress import Reporter, bar


@dataclass
class ImageEncoderConfig:
    dim: int = 64
    width: int = 32
    epochs: int = 2
    batch_size: int = 256
    lr: float = 2e-3
    temperature: float = 0.07  # CLIP's initial τ
    seed: int = 0


class ImageEncoder(nn.Module):
    """(B, 3, 32, 32) in [0, 1] → (B, dim) unit vectors."""

    def __init__(self, dim: int = 64, width: int = 32):
        super().__init__()
        def block(c_in, c_out):
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.GroupNorm(8, c_out), nn.GELU(),
                                 nn.MaxPool2d(2))
        self.body = nn.Sequential(block(3, width), block(width, 2 * width), block(2 * width, 4 * width),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * width, dim))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.body(images * 2 - 1), dim=-1)

    @torch.inference_mode()
    def embed(self, images: torch.Tensor, batch: int = 1024) -> torch.Tensor:
        self.eval()
        return torch.cat([self(images[s:s + batch].float()) for s in range(0, len(images), batch)])


def train_image_encoder(images: torch.Tensor, text_vectors: torch.Tensor,
                        config: ImageEncoderConfig = ImageEncoderConfig(),
                        progress: bool | Reporter = True) -> tuple[ImageEncoder, dict]:
    """Fit on matching (photo, description vector) pairs with the symmetric InfoNCE loss:
    L = ½[CE(softmax_j(s_ij/τ), i) + CE(softmax_i(s_ij/τ), j)], s_ij = ⟨f(x_i), g(y_j)⟩."""
    if len(images) != len(text_vectors):
        raise ValueError(f"{len(images)} images but {len(text_vectors)} text vectors")
    torch.manual_seed(config.seed)
    g = torch.Generator().manual_seed(config.seed)
    encoder, text_map = ImageEncoder(config.dim, config.width), nn.Linear(text_vectors.shape[1], config.dim)
    params = list(encoder.parameters()) + list(text_map.parameters())
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=1e-4)
    steps = config.epochs * max(len(images) // config.batch_size, 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=steps)
    start, losses = time.perf_counter(), []
    encoder.train()
    with bar(steps, "train image encoder", "step", progress) as steps_bar:
        for _ in range(config.epochs):
            order = torch.randperm(len(images), generator=g)
            for k in range(steps // config.epochs):
                idx = order[k * config.batch_size:(k + 1) * config.batch_size]
                x = encoder(images[idx].float())
                y = nn.functional.normalize(text_map(text_vectors[idx].float()), dim=-1)
                logits = x @ y.T / config.temperature
                labels = torch.arange(len(idx))
                loss = (nn.functional.cross_entropy(logits, labels) + nn.functional.cross_entropy(logits.T, labels)) / 2
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                losses.append(float(loss.detach()))
                steps_bar.update()
                steps_bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
    info = {"config": asdict(config), "train_seconds": round(time.perf_counter() - start, 1),
            "final_loss": sum(losses[-20:]) / len(losses[-20:]) if losses else math.nan,
            "chance_loss": math.log(config.batch_size)}
    return encoder.eval(), info
