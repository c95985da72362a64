"""Tiny models shared by the studio's tests: an untrained U-Net, an untrained evaluator, and a
recommender fitted for one epoch on the small shop; the recommender and a tiny pipeline also saved."""

import pytest
import torch


@pytest.fixture(scope="session")
def recommender_dir(log, features, tmp_path_factory):
    from vitrine.recommend.data import make_fold
    from vitrine.recommend.multimodal import Multimodal, MultimodalConfig
    folder = tmp_path_factory.mktemp("rec")
    torch.manual_seed(0)
    Multimodal(features, MultimodalConfig(dim=8, epochs=1, batch_size=64, cf_factors=4)).fit(
        make_fold(log, "all")).save(folder, log.user_ids, log.item_ids)
    return folder


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
