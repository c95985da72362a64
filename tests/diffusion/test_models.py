import pytest
import torch

from vitrine.diffusion.models import PRESETS, build_unet, unet_config


def test_presets_sizes_and_attention_levels():
    sizes = {name: sum(p.numel() for p in build_unet(name).parameters()) for name in ("tiny", "small")}
    assert sizes["tiny"] < 1e6 < 3e6 < sizes["small"] < 8e6
    config = unet_config("small")
    assert config["down_block_types"][0] == "DownBlock2D"  # no attention at 32×32
    assert all(b == "CrossAttnDownBlock2D" for b in config["down_block_types"][1:])
    assert config["cross_attention_dim"] == 384 and config["only_cross_attention"] is True
    assert unet_config("base")["only_cross_attention"] is False


def test_output_matches_input_shape_and_depends_on_text():
    torch.manual_seed(0)
    unet = build_unet("tiny").eval()
    x, t = torch.randn(2, 3, 32, 32), torch.tensor([10, 500])
    a = unet(x, t, encoder_hidden_states=torch.randn(2, 5, 384)).sample
    b = unet(x, t, encoder_hidden_states=torch.randn(2, 5, 384)).sample
    assert a.shape == x.shape and not torch.allclose(a, b)


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown model preset"):
        unet_config("giant")
    assert set(PRESETS) == {"tiny", "small", "small-hd32", "mini", "base"}


def attention_layouts(unet) -> list[tuple[int, int]]:
    """(heads, dims per head) of every attention layer."""
    return [(m.heads, m.inner_dim // m.heads) for m in unet.modules() if type(m).__name__ == "Attention"]


def test_head_layouts():
    import json
    from pathlib import Path
    # `small` keeps its checkpoints' layout: diffusers reads attention_head_dim as the number of heads.
    assert unet_config("small")["attention_head_dim"] == 32
    shipped = json.loads(Path("models/vitrine-fashion-32/unet/config.json").read_text())
    assert shipped["attention_head_dim"] == list(unet_config("mini")["attention_head_dim"]) == [1, 1, 2]
    assert set(attention_layouts(build_unet("small"))) == {(32, 2), (32, 4)}
    # small-hd32: the same parameters, with 32-dimensional heads at every level.
    fast = build_unet("small-hd32")
    assert {d for _, d in attention_layouts(fast)} == {32}
    assert sum(p.numel() for p in fast.parameters()) == sum(p.numel() for p in build_unet("small").parameters())


def test_quick_recipe_trains_the_mini_unet():
    from vitrine.diffusion.config import TRAIN_PRESETS, TrainConfig
    config = TrainConfig.from_dict(TRAIN_PRESETS["quick"])
    config.validate()
    assert config.preset == "mini" and config.prediction == "v_prediction"
    mini = build_unet("mini")
    assert 1e6 < sum(p.numel() for p in mini.parameters()) < 2e6
    assert {d for _, d in attention_layouts(mini)} == {32}


def test_default_recipe_is_the_shipped_models():
    """`vitrine train --preset default` is the command the model card gives: same config as shipped."""
    import json
    from dataclasses import asdict
    from pathlib import Path

    from vitrine.diffusion.config import TRAIN_PRESETS, TrainConfig
    shipped = json.loads(Path("models/vitrine-fashion-32/training_config.json").read_text())
    # fields added since the model was trained take their defaults (task: text-to-image)
    assert asdict(TrainConfig.from_dict(TRAIN_PRESETS["default"])) == asdict(TrainConfig.from_dict(
        {**shipped, "threads": 0}))
    assert set(shipped) <= set(asdict(TrainConfig()))


def test_tryon_recipe_is_the_shipped_tryon_models():
    import json
    from dataclasses import asdict
    from pathlib import Path

    from vitrine.diffusion.config import TRAIN_PRESETS, TrainConfig
    shipped = json.loads(Path("models/vitrine-tryon/training_config.json").read_text())
    # fields added since the model was trained take their defaults (the photo fields: unused by try-on)
    assert asdict(TrainConfig.from_dict(TRAIN_PRESETS["tryon"])) == asdict(TrainConfig.from_dict({**shipped, "threads": 0}))
