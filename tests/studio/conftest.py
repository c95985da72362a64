"""Tiny models shared by the studio's tests: an untrained U-Net, an untrained evaluator, and a
recommender (tests/conftest.py); the tiny pipeline saved as well."""

import pytest
import torch


@pytest.fixture(scope="session")
def parts(recommender_dir):
    from vitrine.diffusion.config import TrainConfig
    from vitrine.diffusion.models import build_unet
    from vitrine.diffusion.pipeline import VitrinePipeline
    from vitrine.diffusion.train import make_noise_scheduler
    from vitrine.evaluate.evaluator import Evaluator
    from vitrine.recommend.serve import Recommendations
    torch.manual_seed(0)
    pipe = VitrinePipeline(build_unet("tiny"), make_noise_scheduler(TrainConfig(schedule="cosine"))).with_sampler("dpm++")
    pipe.set_progress_bar_config(disable=True)
    return pipe, Evaluator(width=8), Recommendations(recommender_dir)


@pytest.fixture(scope="session")
def pipeline_dir(tiny_pipeline_dir):
    return tiny_pipeline_dir
