"""The shipped default checkpoint loads through diffusers and draws the demo's grid."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "vitrine-fashion-32"
pytestmark = pytest.mark.skipif(not (SHIPPED / "model_index.json").exists(), reason="no shipped model")


def test_shipped_model_makes_a_red_garment_on_a_light_background(tmp_path):
    from diffusers import DiffusionPipeline

    from vitrine.diffusion.showcase import showcase
    pipe = DiffusionPipeline.from_pretrained(str(SHIPPED), trust_remote_code=True).with_sampler("dpm++")
    pipe.set_progress_bar_config(disable=True)
    images = pipe("a red t-shirt", num_images_per_prompt=4, num_inference_steps=10, guidance_scale=3.0,
                  generator=torch.Generator().manual_seed(0), output_type="np").images
    centre, corner = images[:, 10:22, 10:22], images[:, :3, :3]
    assert (centre[..., 0] > centre[..., 1] + 0.2).mean() > 0.5  # mostly red in the middle
    assert corner.mean() > 0.7                                  # a light background at the corners
    out = showcase(pipe, tmp_path / "grid.png", prompts=("a navy blue sneaker",), per_prompt=2, steps=4)
    assert out.exists() and np.asarray(Image.open(out)).std() > 10
