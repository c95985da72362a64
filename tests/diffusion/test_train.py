import json

import pytest
import torch
from safetensors import safe_open

from vitrine.diffusion.config import TRAIN_PRESETS, TrainConfig
from vitrine.diffusion.train import Trainer


def _config(**overrides):
    return TrainConfig.from_dict({**TRAIN_PRESETS["tiny"], "batch_size": 4, "log_every": 5, **overrides})


@pytest.mark.slow  # hundreds of training steps
def test_tiny_preset_overfits_a_handful(handful, tmp_path):
    trainer = Trainer(_config(steps=200, lr=3e-3, warmup_steps=10, checkpoint_every=1000), handful, tmp_path)
    losses = trainer.run(progress=False).losses
    first, last = sum(losses[:20]) / 20, sum(losses[-20:]) / 20
    assert last < 0.35 * first, (first, last)
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_stopped_and_resumed_run_matches_an_unbroken_one(handful, tmp_path):
    config = _config(steps=8, checkpoint_every=4)
    unbroken = Trainer(config, handful, tmp_path / "a")
    unbroken.run(progress=False)
    first = Trainer(config, handful, tmp_path / "b")
    first.run(until=4, progress=False)
    resumed = Trainer(config, handful, tmp_path / "b")
    resumed.resume()
    assert resumed.step == 4
    resumed.run(progress=False)
    assert resumed.losses == unbroken.losses  # bit-identical, not just close
    a, b = unbroken.ema_unet().state_dict(), resumed.ema_unet().state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_checkpoint_is_safetensors_with_config(handful, tmp_path):
    trainer = Trainer(_config(steps=2, checkpoint_every=2), handful, tmp_path)
    trainer.run(progress=False)
    with safe_open(str(trainer.checkpoint_path), framework="pt") as f:
        keys, meta = list(f.keys()), f.metadata()
    assert any(k.startswith("ema.") for k in keys) and any(k.startswith("optim.") for k in keys)
    assert meta["step"] == "2" and json.loads(meta["info"])["config"]["preset"] == "tiny"
    assert json.loads((tmp_path / "config.json").read_text())["steps"] == 2


def test_same_seed_same_losses_other_seed_differs(handful, tmp_path):
    runs = [Trainer(_config(steps=3, seed=s), handful, tmp_path / str(i)).run(progress=False).losses
            for i, s in enumerate((0, 0, 1))]
    assert runs[0] == runs[1] and runs[0] != runs[2]


@pytest.mark.parametrize("field,value,flag", [("preset", "huge", "--unet"), ("schedule", "quadratic", "--schedule"),
                                              ("precision", "fp8", "--precision"), ("steps", 0, "--steps")])
def test_bad_config_is_refused_naming_the_flag(field, value, flag):
    with pytest.raises(ValueError, match=flag):
        _config(**{field: value}).validate()


def test_min_snr_weights_follow_the_closed_form():
    from vitrine.diffusion.train import min_snr_weights
    snr = torch.tensor([0.1, 1.0, 5.0, 50.0])
    eps = min_snr_weights(snr, 5.0, "epsilon")
    v = min_snr_weights(snr, 5.0, "v_prediction")
    torch.testing.assert_close(eps, torch.tensor([1.0, 1.0, 1.0, 0.1]))           # min(SNR, γ)/SNR
    torch.testing.assert_close(v, torch.tensor([0.1 / 1.1, 0.5, 5 / 6, 5 / 51]))  # min(SNR, γ)/(SNR + 1)
    assert torch.equal(min_snr_weights(snr, 0.0, "epsilon"), torch.ones(4))


def test_v_prediction_with_min_snr_trains(handful, tmp_path):
    config = _config(steps=60, lr=3e-3, warmup_steps=5, checkpoint_every=1000, prediction="v_prediction",
                     schedule="cosine", snr_gamma=5.0)
    losses = Trainer(config, handful, tmp_path).run(progress=False).losses
    assert sum(losses[-10:]) / 10 < 0.7 * sum(losses[:10]) / 10


def test_init_from_a_checkpoint_or_its_exported_pipeline_gives_the_same_weights(handful, tmp_path):
    from vitrine.diffusion.checkpoint import WeightsDoNotFit, load_ema_weights
    from vitrine.diffusion.models import build_unet
    trainer = Trainer(_config(steps=2, checkpoint_every=2), handful, tmp_path / "run")
    trainer.run(progress=False)
    folder = trainer.export(tmp_path / "pipeline")
    from_checkpoint, from_pipeline = build_unet("tiny"), build_unet("tiny")
    load_ema_weights(trainer.checkpoint_path, from_checkpoint)
    load_ema_weights(folder, from_pipeline)
    a, b = from_checkpoint.state_dict(), from_pipeline.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="do not fit"):
        load_ema_weights(folder, build_unet("small"))
    with pytest.raises(WeightsDoNotFit, match="not a saved model folder"):
        load_ema_weights(tmp_path, build_unet("tiny"))
