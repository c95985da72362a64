import numpy as np
import pytest
import torch
from diffusers import DiffusionPipeline

from vitrine.diffusion.models import build_unet
from vitrine.diffusion.pipeline import VitrinePipeline, load_pipeline
from vitrine.diffusion.train import TrainConfig, make_noise_scheduler


@pytest.fixture(scope="module")
def pipe():
    torch.manual_seed(0)
    p = VitrinePipeline(build_unet("tiny"), make_noise_scheduler(TrainConfig(schedule="brief"))).with_sampler("dpm++")
    p.set_progress_bar_config(disable=True)
    return p


def _run(pipe, prompt="a red t-shirt", **kw):
    kw = {"num_inference_steps": 4, "guidance_scale": 3.0, "output_type": "np", **kw}
    return pipe(prompt, generator=torch.Generator().manual_seed(7), **kw).images


def test_save_and_load_through_diffusers_round_trip(pipe, tmp_path):
    pipe.save(tmp_path / "model")
    loaded = DiffusionPipeline.from_pretrained(str(tmp_path / "model"), trust_remote_code=True)
    assert type(loaded).__name__ == "VitrinePipeline"
    # saved with the default sampler, so plain from_pretrained samples as `vitrine generate` does
    assert loaded.scheduler.config.algorithm_type == "sde-dpmsolver++"
    assert loaded.scheduler.config.timestep_spacing == "trailing"
    assert pipe.scheduler.config.algorithm_type == "dpmsolver++"  # the pipeline saved keeps its own sampler
    loaded = load_pipeline(tmp_path / "model", sampler="dpm++")
    np.testing.assert_allclose(_run(loaded), _run(pipe), atol=1e-6)


def test_guidance_scales_behave_as_defined(pipe):
    # w = 1: the conditional model alone, so the negative prompt plays no part.
    np.testing.assert_allclose(_run(pipe, guidance_scale=1.0), _run(pipe, guidance_scale=1.0, negative_prompt="blue"),
                               atol=1e-6)
    # w = 0: the unconditional model alone, so the prompt plays no part.
    np.testing.assert_allclose(_run(pipe, "a red t-shirt", guidance_scale=0.0),
                               _run(pipe, "a green bag", guidance_scale=0.0), atol=1e-6)
    # w > 1 extrapolates away from the unconditional prediction: different from both.
    strong = _run(pipe, guidance_scale=5.0)
    assert np.abs(strong - _run(pipe, guidance_scale=1.0)).max() > 1e-4
    assert np.abs(strong - _run(pipe, guidance_scale=0.0)).max() > 1e-4


def test_seeds_batching_and_shapes(pipe):
    a = _run(pipe, num_images_per_prompt=2)
    assert a.shape == (2, 32, 32, 3) and 0 <= a.min() and a.max() <= 1
    b = pipe(["a red t-shirt", "a green bag"], num_inference_steps=4, output_type="np",
             generator=[torch.Generator().manual_seed(s) for s in (1, 2)]).images
    c = pipe(["a red t-shirt"], num_inference_steps=4, output_type="np",
             generator=[torch.Generator().manual_seed(1)]).images
    np.testing.assert_allclose(b[0], c[0], atol=1e-4)  # per-image seeds: same noise whatever the batch
    assert np.abs(b[0] - b[1]).max() > 0.1


@pytest.mark.parametrize("name", ["dpm++sde", "ddpm", "euler-a"])
def test_stochastic_samplers_draw_each_images_noise_from_its_own_seed(pipe, name):
    pipe.with_sampler(name)
    try:
        run = lambda prompts, seeds: pipe(prompts, num_inference_steps=4, output_type="np",  # noqa: E731
                                          generator=[torch.Generator().manual_seed(s) for s in seeds]).images
        torch.manual_seed(0)
        alone = run(["a red t-shirt"], [1])
        torch.manual_seed(123)  # the global RNG must play no part
        batched = run(["a green bag", "a red t-shirt"], [2, 1])
        np.testing.assert_allclose(batched[1], alone[0], atol=1e-4)
    finally:
        pipe.with_sampler("dpm++")


@pytest.mark.parametrize("kwargs,message", [
    ({"prompt": ""}, "non-empty"),
    ({"num_inference_steps": 0}, "between 1 and 1000"),
    ({"num_inference_steps": 5000}, "between 1 and 1000"),
    ({"guidance_scale": -1.0}, "guidance_scale"),
    ({"height": 512}, "32×32"),
    ({"num_images_per_prompt": 1000}, "images per call"),
])
def test_bad_requests_get_clear_errors(pipe, kwargs, message):
    kwargs = {"prompt": "a red t-shirt", "num_inference_steps": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        pipe(**kwargs)


def test_samplers_by_name(pipe):
    for name in ("ddim", "ddpm", "unipc", "EulerDiscreteScheduler"):
        pipe.with_sampler(name)
        assert _run(pipe, num_inference_steps=3).shape == (1, 32, 32, 3)
    with pytest.raises(ValueError, match="unknown sampler"):
        pipe.with_sampler("warp-drive")
    pipe.with_sampler("dpm++")


@pytest.mark.parametrize("name", ["ddpm", "ddim", "dpm++", "dpm++sde", "unipc", "euler", "euler-a", "heun", "pndm"])
def test_every_named_sampler_starts_at_the_last_training_step(pipe, name):
    # x_T ~ N(0, I) is pure noise, so the first step must be t = T − 1, not the 940 that
    # "leading" spacing gives 20 DPM-Solver++ steps
    pipe.with_sampler(name)
    try:
        pipe.scheduler.set_timesteps(20)
        assert int(pipe.scheduler.timesteps[0]) == pipe.scheduler.config.num_train_timesteps - 1
        assert not pipe.scheduler.config.get("clip_sample") or name == "ddpm"  # DDIM: see pipeline.SAMPLERS
    finally:
        pipe.with_sampler("dpm++")


def test_guidance_interval_outside_every_step_is_the_conditional_model(pipe):
    pipe.scheduler.set_timesteps(4)
    assert int(pipe.scheduler.timesteps.min()) > 0  # so the interval [0, 0] contains no step
    # 1e-5: the prompt's states come from a batch that also holds ∅ here, alone at w = 1 (GEMM rounding)
    np.testing.assert_allclose(_run(pipe, guidance_interval=(0.0, 0.0)), _run(pipe, guidance_scale=1.0), atol=1e-5)
    np.testing.assert_allclose(_run(pipe, guidance_interval=(0.0, 1.0)), _run(pipe), atol=1e-6)
    partly = _run(pipe, guidance_interval=(0.5, 1.0))
    assert np.abs(partly - _run(pipe)).max() > 1e-4 and np.abs(partly - _run(pipe, guidance_scale=1.0)).max() > 1e-4
    with pytest.raises(ValueError, match="guidance_interval"):
        _run(pipe, guidance_interval=(0.8, 0.2))


def test_bf16_and_channels_last_give_nearly_the_fp32_images():
    torch.manual_seed(0)
    make = lambda: VitrinePipeline(build_unet("tiny"), make_noise_scheduler(TrainConfig())).with_sampler("dpm++")  # noqa: E731
    fp32 = make()
    fp32.set_progress_bar_config(disable=True)
    fast = VitrinePipeline(fp32.unet.__class__.from_config(fp32.unet.config), fp32.scheduler)
    fast.unet.load_state_dict(fp32.unet.state_dict())
    fast.set_progress_bar_config(disable=True)
    fast.speed_up("bf16", channels_last=True)
    assert fast.unet.dtype == torch.bfloat16
    a, b = _run(fp32), _run(fast)
    assert a.dtype == b.dtype and np.abs(a - b).mean() < 0.05  # same picture, bf16 rounding aside
    with pytest.raises(ValueError, match="precision"):
        fast.speed_up("fp8")


def test_a_sampler_inherits_the_noise_schedule_but_not_the_previous_samplers_options(pipe):
    betas = pipe.scheduler.betas.clone()
    pipe.with_sampler("dpm++").with_sampler("UniPCMultistepScheduler")
    try:
        assert not pipe.scheduler.config.thresholding  # DPM-Solver++'s thresholding did not carry over
        torch.testing.assert_close(pipe.scheduler.betas, betas)
        assert pipe.scheduler.config.prediction_type == "epsilon"
    finally:
        pipe.with_sampler("dpm++")


def test_encode_runs_the_encoder_once_per_distinct_text(pipe, monkeypatch):
    texts = ["a red t-shirt", "", "a red t-shirt", "a green bag", ""]
    direct = pipe.text_encoder.token_states(texts)
    seen = []
    original = pipe.text_encoder.token_states
    monkeypatch.setattr(pipe.text_encoder, "token_states", lambda batch: seen.append(list(batch)) or original(batch))
    states, masks = pipe.encode(texts)
    assert seen == [["a red t-shirt", "", "a green bag"]]
    torch.testing.assert_close(states, direct[0], atol=1e-5, rtol=0)
    assert torch.equal(masks, direct[1])
