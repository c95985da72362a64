"""The inpainting U-Net starts as the text-to-image model, takes 7 channels, and its masks and
put-back behave: dilated or boxed regions that contain the garment, original pixels kept exactly."""

import numpy as np
import pytest
import torch

from vitrine.tryon.model import (IN_CHANNELS, build_inpaint_unet, init_from_text_to_image, training_mask,
                                 unet_input)

SHIPPED = "models/vitrine-fashion-32"


def test_it_starts_as_the_shipped_text_to_image_model():
    from diffusers import UNet2DConditionModel
    unet = build_inpaint_unet("mini", 64)
    counts = init_from_text_to_image(unet, SHIPPED)
    assert counts["widened"] == 1 and counts["left"] == 0 and unet.conv_in.in_channels == IN_CHANNELS
    reference = UNet2DConditionModel.from_pretrained(f"{SHIPPED}/unet").eval()
    unet.eval()
    torch.manual_seed(0)
    xt = torch.randn(2, 3, 64, 64)
    states = torch.randn(2, 8, 384)
    t = torch.tensor([10, 500])
    mask = (torch.rand(2, 1, 64, 64) > 0.5).float()
    with torch.no_grad():
        ours = unet(unet_input(xt, mask, torch.randn(2, 3, 64, 64)), t, encoder_hidden_states=states).sample
        theirs = reference(xt, t, encoder_hidden_states=states).sample
    assert ours.shape == (2, 3, 64, 64) and torch.allclose(ours, theirs, atol=1e-5)


def test_a_pipeline_of_another_shape_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a saved pipeline"):
        init_from_text_to_image(build_inpaint_unet("tiny", 64), tmp_path)
    with pytest.raises(ValueError, match="does not fit"):
        init_from_text_to_image(build_inpaint_unet("tiny", 64), SHIPPED)


def test_training_masks_cover_the_garment_grown_or_boxed():
    labels = np.zeros((64, 64), np.uint8)
    labels[20:40, 25:35] = 3
    labels[22, 45] = 3
    grown = training_mask(labels, 3, np.random.default_rng(0), box_share=0.0, dilate=1)
    assert grown[labels == 3].all() and grown[19, 24] and not grown[18, 24] and grown.sum() > (labels == 3).sum()
    box = training_mask(labels, 3, np.random.default_rng(0), box_share=1.0, box_margin=2)
    ys, xs = np.where(box)
    assert box[ys.min():ys.max() + 1, xs.min():xs.max() + 1].all() and box[labels == 3].all()
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (18, 41, 23, 47)
    assert not training_mask(labels, 4, np.random.default_rng(0)).any()
