"""The try-on network: a text-conditioned inpainting U-Net, and what it is trained and sampled with.

As in Stable Diffusion's inpainting models, the U-Net's input is 7 channels: the noisy picture x_t
(3), the mask m (1: 1 where the garment goes) and the masked picture x_0·(1 − m) (3); it
cross-attends to the MiniLM token states of the garment's description. It starts from the
shipped text-to-image weights wherever shapes agree: every layer but the first convolution is
copied; the first convolution's weights for x_t are copied and those for the mask and the masked
picture start at zero, so at step 0 the network is exactly the text-to-image model.
Convolutions do not depend on the picture size, so the 32×32 model's weights start a 64×64 one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vitrine.diffusion.models import unet_config

IN_CHANNELS = 7  # x_t, mask, masked picture


def build_inpaint_unet(preset: str = "mini", sample_size: int = 64):
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel(**{**unet_config(preset, sample_size), "in_channels": IN_CHANNELS})


def init_from_text_to_image(unet, pipeline_folder: str | Path) -> dict[str, int]:
    """Copy a saved text-to-image pipeline's U-Net weights into the inpainting U-Net where shapes
    allow (see the module's docstring). Returns how many tensors were copied, widened and left."""
    from safetensors.torch import load_file
    path = Path(pipeline_folder) / "unet" / "diffusion_pytorch_model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"{pipeline_folder}: not a saved pipeline "
                                "(no unet/diffusion_pytorch_model.safetensors)")
    source, own = load_file(str(path)), unet.state_dict()
    counts = {"copied": 0, "widened": 0, "left": 0}
    for name, tensor in own.items():
        given = source.get(name)
        if given is not None and given.shape == tensor.shape:
            own[name] = given
            counts["copied"] += 1
        elif name == "conv_in.weight" and given is not None and given.shape[1] == 3:
            widened = torch.zeros_like(tensor)
            widened[:, :3] = given
            own[name] = widened
            counts["widened"] += 1
        else:
            counts["left"] += 1
    if counts["copied"] < len(own) // 2:
        raise ValueError(f"{pipeline_folder}: its U-Net does not fit this preset ({counts['copied']} of "
                         f"{len(own)} tensors match)")
    unet.load_state_dict(own)
    return counts


def unet_input(xt: torch.Tensor, mask: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
    """(B, 7, H, W): x_t, the mask (B, 1, H, W) in {0, 1}, and the picture with the mask's pixels zeroed."""
    return torch.cat([xt, mask, x0 * (1 - mask)], dim=1)


def training_mask(labels: np.ndarray, label: int, rng: np.random.Generator, box_share: float = 0.25,
                  dilate: int = 1, box_margin: int = 2) -> np.ndarray:
    """The region to repaint when training on one picture: the pixels of `label` grown by `dilate`
    pixels (so the garment's edge is repainted too), or — with probability `box_share` — their
    bounding box widened by `box_margin`, so the model also works from a rough mask. Empty when
    the label is absent."""
    region = labels == label
    if not region.any():
        return region
    if rng.random() < box_share:
        ys, xs = np.where(region)
        box = np.zeros_like(region)
        h, w = region.shape
        box[max(ys.min() - box_margin, 0):min(ys.max() + box_margin + 1, h),
            max(xs.min() - box_margin, 0):min(xs.max() + box_margin + 1, w)] = True
        return box
    return grow(region, dilate)


def grow(mask: np.ndarray, pixels: int = 1) -> np.ndarray:
    """The mask grown by `pixels` (8-neighbourhood dilation)."""
    h, w = mask.shape
    for _ in range(pixels):
        padded = np.pad(mask, 1)
        mask = np.zeros_like(mask)
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                mask |= padded[dy:dy + h, dx:dx + w]
    return mask
