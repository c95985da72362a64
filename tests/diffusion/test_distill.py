"""Guided consistency distillation: the student's start, the teacher's step, the consistency map
against LCMScheduler, resuming, and the distilled pipeline (one U-Net call a step)."""

import json

import pytest
import torch

from vitrine.diffusion.config import DistillConfig
from vitrine.diffusion.consistency import consistency_output, guidance_embedding
from vitrine.diffusion.distill import Distiller, lcm_scheduler, run_config
from vitrine.diffusion.pipeline import load_pipeline
from vitrine.diffusion.saved import step_limit


def _distiller(teacher_dir, data, out, **overrides):
    config = DistillConfig(teacher=str(teacher_dir), **{"steps": 6, "batch_size": 4, "checkpoint_every": 3,
                                                        "log_every": 2, **overrides})
    teacher = load_pipeline(teacher_dir, sampler=None)
    return Distiller(config, run_config(config, teacher_dir, latent=False), teacher, data, out)


def test_student_starts_as_the_teachers_conditional_model(tiny_pipeline_dir, handful, tmp_path):
    distiller = _distiller(tiny_pipeline_dir, handful, tmp_path)
    student, teacher = distiller.model, distiller.teacher.unet
    x, t = torch.randn(2, 3, 32, 32), torch.tensor([999, 259])
    states, masks = handful.states[:2].float(), handful.masks[:2]
    with torch.no_grad():
        a = student(x, t, encoder_hidden_states=states, encoder_attention_mask=masks,
                    timestep_cond=guidance_embedding(torch.tensor([1.5, 5.0]))).sample
        b = teacher(x, t, encoder_hidden_states=states, encoder_attention_mask=masks).sample
    assert torch.allclose(a, b, atol=1e-6)


def test_teacher_step_is_a_guided_ddim_step(tiny_pipeline_dir, handful, tmp_path):
    from diffusers import DDIMScheduler
    distiller = _distiller(tiny_pipeline_dir, handful, tmp_path)
    x_t, t, w = torch.randn(2, 3, 32, 32), torch.tensor([499, 499]), torch.tensor([3.0, 3.0])
    states, masks = handful.states[:2].float(), handful.masks[:2]
    with torch.no_grad():
        mine = distiller.teacher_step(x_t, t, t - 20, w, states, masks, None)
        unet = distiller.teacher.unet
        u = unet(x_t, t, encoder_hidden_states=handful.null_state.float().expand(2, -1, -1),
                 encoder_attention_mask=handful.null_mask.expand(2, -1)).sample
        c = unet(x_t, t, encoder_hidden_states=states, encoder_attention_mask=masks).sample
    ddim = DDIMScheduler.from_config(distiller.teacher.scheduler.config, clip_sample=False, thresholding=False)
    ddim.set_timesteps(50)  # prev = t − 1000/50
    expected = ddim.step(u + 3.0 * (c - u), 499, x_t, eta=0.0).prev_sample
    assert torch.allclose(mine, expected, atol=1e-4)


def test_a_clipped_teacher_step_is_a_thresholded_dpm_solver_pp_step(tiny_pipeline_dir, handful, tmp_path):
    from diffusers import DPMSolverMultistepScheduler
    distiller = _distiller(tiny_pipeline_dir, handful, tmp_path, clip_teacher=True)
    x_t, t, w = 3 * torch.randn(2, 3, 32, 32), torch.tensor([499, 499]), torch.tensor([3.0, 3.0])  # x̂_0 out of range
    states, masks = handful.states[:2].float(), handful.masks[:2]
    with torch.no_grad():
        mine = distiller.teacher_step(x_t, t, t - 20, w, states, masks, None)
        unclipped = _distiller(tiny_pipeline_dir, handful, tmp_path / "u").teacher_step(x_t, t, t - 20, w, states,
                                                                                      masks, None)
        unet = distiller.teacher.unet
        u = unet(x_t, t, encoder_hidden_states=handful.null_state.float().expand(2, -1, -1),
                 encoder_attention_mask=handful.null_mask.expand(2, -1)).sample
        c = unet(x_t, t, encoder_hidden_states=states, encoder_attention_mask=masks).sample
    solver = DPMSolverMultistepScheduler.from_config(distiller.teacher.scheduler.config, algorithm_type="dpmsolver++",
                                                     solver_order=1, thresholding=True, sample_max_value=1.0)
    solver.set_timesteps(timesteps=[499, 479])
    expected = solver.step(u + 3.0 * (c - u), 499, x_t).prev_sample
    assert torch.allclose(mine, expected, atol=1e-4) and not torch.allclose(mine, unclipped, atol=1e-2)


@pytest.mark.parametrize("prediction", ["epsilon", "v_prediction"])
def test_consistency_output_is_what_lcm_sampling_returns(tiny_pipeline_dir, prediction):
    teacher = load_pipeline(tiny_pipeline_dir, sampler=None)
    teacher.scheduler.register_to_config(prediction_type=prediction)
    lcm = lcm_scheduler(teacher.scheduler, 20, pixels=False)
    lcm.set_timesteps(1)
    x, out = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    t = int(lcm.timesteps[0])
    stepped = lcm.step(out, t, x).prev_sample  # one step: the consistency function's output itself
    assert torch.allclose(consistency_output(out, x, torch.tensor([t, t]), lcm, prediction), stepped, atol=1e-5)


def test_stopped_and_resumed_distillation_matches_an_unbroken_one(tiny_pipeline_dir, handful, tmp_path):
    unbroken = _distiller(tiny_pipeline_dir, handful, tmp_path / "a")
    unbroken.run(progress=False)
    first = _distiller(tiny_pipeline_dir, handful, tmp_path / "b")
    first.run(until=3, progress=False)
    resumed = _distiller(tiny_pipeline_dir, handful, tmp_path / "b")
    resumed.resume()
    assert resumed.step == 3
    resumed.run(progress=False)
    assert resumed.losses == unbroken.losses and len(resumed.losses) == 6  # bit-identical
    a, b = unbroken.ema_unet().state_dict(), resumed.ema_unet().state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((tmp_path / "b" / "distill.json").read_text())["skip"] == 20


def test_distilled_pipeline_calls_the_unet_once_a_step(tiny_pipeline_dir, handful, tmp_path):
    from diffusers import DiffusionPipeline
    distiller = _distiller(tiny_pipeline_dir, handful, tmp_path, steps=2, guidance_min=2.0, guidance_max=4.0)
    distiller.run(progress=False)
    folder = distiller.export(tmp_path / "student")
    pipe = load_pipeline(folder)
    assert pipe.distilled and type(pipe.scheduler).__name__ == "LCMScheduler" and pipe.default_steps() == 4
    assert step_limit(folder) == pipe.max_steps == 50 and step_limit(tiny_pipeline_dir) == 1000  # read, not loaded
    calls = []
    pipe.unet.register_forward_hook(lambda *_: calls.append(1))
    images = pipe(["a red t-shirt", "a green bag"], num_images_per_prompt=2, num_inference_steps=4,
                  guidance_scale=3.0, output_type="np").images
    assert images.shape == (4, 32, 32, 3) and len(calls) == 4  # 4 steps, one call each for the whole batch
    # guidance outside the learnt range, a negative prompt, more steps than the grid, another sampler
    for bad in ({"guidance_scale": 5.0}, {"negative_prompt": "blue"}, {"num_inference_steps": 51}):
        with pytest.raises(ValueError, match="guidance_scale must be between 2 and 4|negative prompt|between 1 and 50"):
            pipe("a red t-shirt", **bad)
    with pytest.raises(ValueError, match="samples with lcm only"):
        pipe.with_sampler("dpm++")
    with pytest.raises(ValueError, match="distilled model only"):
        load_pipeline(tiny_pipeline_dir, sampler="lcm")
    loaded = DiffusionPipeline.from_pretrained(folder, trust_remote_code=True)
    assert loaded.distilled and loaded.config.guidance_range == [2.0, 4.0]
    assert type(loaded.scheduler).__name__ == "LCMScheduler"


def test_full_pipeline_saves_no_guidance_range(tiny_pipeline_dir):
    index = json.loads((tiny_pipeline_dir / "model_index.json").read_text())
    assert index.get("guidance_range") is None and not load_pipeline(tiny_pipeline_dir).distilled


@pytest.mark.parametrize("field,value,flag", [("guidance_min", 7.0, "--guidance-range"), ("skip", 7, "--skip"),
                                              ("skip", 600, "--skip"), ("steps", 0, "--steps"),
                                              ("task", "paint", "--task"), ("lr_schedule", "linear", "--lr-schedule")])
def test_bad_config_is_refused_naming_the_flag(field, value, flag):
    with pytest.raises(ValueError, match=flag):
        DistillConfig(**{field: value}).validate()


def test_a_cosine_schedule_brings_the_learning_rate_to_zero_at_the_last_step(tiny_pipeline_dir, handful, tmp_path):
    distiller = _distiller(tiny_pipeline_dir, handful, tmp_path, lr_schedule="cosine", warmup_steps=1)
    distiller.run(progress=False)
    assert distiller.step == 6 and distiller.lr_scheduler.get_last_lr()[0] == pytest.approx(0.0, abs=1e-12)


def test_a_clipped_teacher_step_is_refused_for_a_latent_teacher():
    DistillConfig(clip_teacher=True).validate()
    with pytest.raises(ValueError, match="--clip-teacher: the teacher is a latent model"):
        DistillConfig(clip_teacher=True).validate(latent=True)


@pytest.mark.slow  # distils through the verb
def test_distill_verb_bad_input_then_a_run_resumed_and_drawn_with(tiny_pipeline_dir, shop, tmp_path, capsys):
    import shutil

    from vitrine.cli import main
    from vitrine.paths import REPO
    data = tmp_path / "data"
    shutil.copytree(shop.data_dir, data)
    run = tmp_path / "run"
    verb = ["--data-dir", str(data), "-q", "distill", "--out", str(run)]
    not_a_model = tmp_path / "empty"
    not_a_model.mkdir()
    for flags, says in ((["--from", str(not_a_model)], "not a saved model"),
                        (["--from", str(REPO / "models" / "vitrine-tryon")], "--task tryon"),
                        (["--from", str(tiny_pipeline_dir), "--guidance-range", "5,2"], "--guidance-range"),
                        (["--from", str(tiny_pipeline_dir), "--guidance-range", "x"], "--guidance-range"),
                        (["--from", str(tiny_pipeline_dir), "--skip", "7"], "--skip"),
                        (["--from", str(tiny_pipeline_dir), "--lr-schedule", "linear"], "--lr-schedule"),
                        (["--resume"], "no checkpoint")):
        try:
            status = main(verb + flags)
        except SystemExit as exit:  # a flag argparse itself refuses
            status = exit.code
        assert status == 2, flags
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err, (flags, err)
        assert not run.exists(), flags  # nothing written
    small = ["--from", str(tiny_pipeline_dir), "--steps", "4", "--batch-size", "4", "--limit", "40", "--min-photos",
             "10", "--checkpoint-every", "2"]
    assert main(verb + small + ["--until", "2"]) == 0 and not (run / "pipeline").exists()
    assert main(verb + ["--resume"]) == 0
    out = capsys.readouterr().out
    assert "resumed" in out and "distilled to step 4" in out
    student = run / "pipeline"
    assert "guided consistency distillation" in (student / "README.md").read_text()
    assert main(verb + ["--from", str(student)]) == 2
    assert "already a distilled model" in capsys.readouterr().err
    grid = tmp_path / "grid.png"
    assert main(["generate", "a red t-shirt", "-n", "2", "--model", str(student), "-o", str(grid)]) == 0
    assert "(lcm, 4 steps" in capsys.readouterr().out and grid.exists()
    assert main(["generate", "a red t-shirt", "--model", str(student), "--steps", "60", "-o", str(grid)]) == 2
    assert "between 1 and 50" in capsys.readouterr().err

