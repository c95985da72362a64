"""Size presets of the text-conditioned U-Net (diffusers' UNet2DConditionModel).

All presets: 32×32 RGB in and out (or an autoencoder's latent: 16×16×4 for a 64-px model),
sinusoidal time embedding, and cross-attention to the 384-dim MiniLM token states only below the
top level (16×16 and below for a 32-px photo: attention over 32×32 maps costs more than the rest
of the network here, measured on 2 cores). `tiny` exists for tests.

`small` and `mini` keep cross-attention but drop the self-attention of their transformer blocks
(`only_cross_attention`): on 2 cores the CPU flash-attention kernels took ~37 % of a step, and
dropping self-attention made a training step 1.39× faster (1.55 → 1.12 s at batch 32, measured
with the 32-tiny-heads layout below, so it overstates self-attention's cost).
At 32×32 the convolutions at 8×8 already see the whole image. `base` keeps both.

Heads: diffusers' UNet2DConditionModel reads its `attention_head_dim` argument as the number of
heads (a naming slip kept for compatibility, diffusers issue 2011). `small` was written as
`attention_head_dim=32` meaning 32-dimensional heads and so got 32 heads of 2 and 4 dimensions;
weights trained with it have that layout, so `small` keeps it (`heads=32`). `small-hd32` is
the same network with the intended 32-dimensional heads (1, 2, 4 heads by level; identical
parameter count): attention over 32 tiny heads costs far more than its arithmetic (its training
steps are 1.30–1.35× faster, bench/train_step.py). `mini` (16/32/64 channels, 32-dim heads) is
the shipped model's network and the quick preset's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from vitrine.text.encoder import DIM


@dataclass(frozen=True)
class UNetPreset:
    block_out_channels: tuple[int, ...]
    layers_per_block: int
    heads: int = 0           # the same number of heads at every level (when head_dim is 0)
    head_dim: int = 0        # or: channels // head_dim heads at each level
    norm_num_groups: int = 32
    self_attention: bool = True

    def heads_per_level(self) -> tuple[int, ...]:
        if self.head_dim:
            return tuple(max(1, c // self.head_dim) for c in self.block_out_channels)
        return (self.heads,) * len(self.block_out_channels)


PRESETS = {
    "tiny": UNetPreset((16, 32), 1, heads=8, norm_num_groups=8),
    "small": UNetPreset((32, 64, 128), 1, heads=32, self_attention=False),
    "small-hd32": UNetPreset((32, 64, 128), 1, head_dim=32, self_attention=False),
    "mini": UNetPreset((16, 32, 64), 1, head_dim=32, norm_num_groups=8, self_attention=False),
    "base": UNetPreset((64, 128, 256), 2, head_dim=32),
}


def unet_config(preset: str, sample_size: int = 32, channels: int = 3) -> dict:
    """The UNet2DConditionModel keyword arguments of a preset, for `channels`-deep inputs of
    sample_size² (an RGB photo, or an autoencoder's latent)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown model preset {preset!r}; choose one of {', '.join(PRESETS)}")
    p = PRESETS[preset]
    heads = p.heads_per_level()
    heads = heads[0] if len(set(heads)) == 1 else heads  # a plain int where uniform, as saved before
    levels = len(p.block_out_channels)
    # Level 0 runs at full resolution without attention; every lower level cross-attends.
    down = ("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (levels - 1)
    up = ("CrossAttnUpBlock2D",) * (levels - 1) + ("UpBlock2D",)
    return {
        "sample_size": sample_size, "in_channels": channels, "out_channels": channels,
        "down_block_types": down, "up_block_types": up,
        "mid_block_type": "UNetMidBlock2DCrossAttn",
        "block_out_channels": p.block_out_channels, "layers_per_block": p.layers_per_block,
        "cross_attention_dim": DIM, "attention_head_dim": heads,  # diffusers reads it as heads
        "norm_num_groups": p.norm_num_groups, "only_cross_attention": not p.self_attention,
        "flip_sin_to_cos": True, "freq_shift": 0,  # the sinusoidal time embedding
    }


def build_unet(preset: str, sample_size: int = 32, channels: int = 3):
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel(**unet_config(preset, sample_size, channels))


def describe(preset: str) -> dict:
    return {"preset": preset, **asdict(PRESETS[preset])}
