"""Training the try-on model: the diffusion Trainer's loop, with inpainting batches.

One step differs from text-to-image training (diffusion/train.py) only in what x_0 is and what
the U-Net reads:
  1. an example (person, slot) → mask m = model.training_mask-style region (or its union with
     another cut's region, data.py); the window around m (window.py) gives x_0 (3, 32, 32) and m
  2. y = the worn garment's description (the empty prompt with probability p_uncond)
  3. x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε;  the U-Net reads [x_t, m, x_0·(1−m)] (model.unet_input)
  4. the loss, Min-SNR weighting, optimizer and EMA exactly as in text-to-image training.
The loss covers the whole window, as in Stable Diffusion's inpainting training: outside the
mask the answer is in the input, so those pixels are learnt fast and cost little.
"""

from __future__ import annotations

import numpy as np
import torch

from vitrine.diffusion.train import Trainer
from vitrine.paths import default_path
from vitrine.tryon.data import SLOT_LABELS, TryOnData
from vitrine.tryon.model import build_inpaint_unet, init_from_text_to_image, training_mask, unet_input
from vitrine.tryon.people_set import SLOTS
from vitrine.tryon.window import MODEL_SIZE, to_model, window_of

OTHER_CUT_SHARE = 0.25  # of examples whose region joins another cut's (when the slot has one)


class TryOnExamples:
    """Step 1–2's examples, shared by the try-on Trainer and its Distiller (diffusion/distill.py)."""
    data: TryOnData

    def region(self, person: int, slot: int, rng: np.random.Generator) -> np.ndarray:
        """Step 1's mask on the 64×64 picture."""
        data = self.data
        labels = data.labels[person]
        other = data.other_region[person, slot]
        if other.any() and rng.random() < OTHER_CUT_SHARE:
            union = (labels == SLOT_LABELS[SLOTS[slot]]) | other
            return training_mask(union.astype(np.uint8), 1, rng, box_share=0.0)
        return training_mask(labels, SLOT_LABELS[SLOTS[slot]], rng)

    def examples(self):
        """A batch of (x_0, token states, token masks, [m, x_0·(1−m)]): windows around drawn regions."""
        cfg, data, g = self.config, self.data, self.generator
        index = torch.randint(len(data), (cfg.batch_size,), generator=g).numpy()
        # the numpy draws (mask kind, dilation) are seeded from the torch generator, so a resumed
        # run draws the same masks as an unbroken one
        rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=g)))
        x0, mask = [], []
        for person, slot, _ in data.examples[index]:
            region = self.region(int(person), int(slot), rng)
            picture, m = to_model(data.images[person], region, window_of(region))
            x0.append(picture)
            mask.append(m)
        x0, mask = torch.stack(x0), torch.stack(mask)
        rows = torch.from_numpy(data.examples[index, 2])
        known = unet_input(torch.zeros_like(x0), mask, x0)[:, 3:]
        return x0, data.states[rows].float(), data.masks[rows], known


class TryOnTrainer(TryOnExamples, Trainer):
    def build_model(self, initialise: bool = False):
        unet = build_inpaint_unet(self.config.preset, MODEL_SIZE)
        if initialise and self.config.init_from:  # a path in the checkout (the recipe's) works from anywhere
            init_from_text_to_image(unet, default_path(self.config.init_from))
        return unet

    def pipeline_class(self):
        from vitrine.tryon.pipeline import TryOnPipeline
        return TryOnPipeline

    def batch(self):
        x0, states, masks, known = self.examples()
        xt, t, states, masks, target = self.noised(x0, states, masks)
        model_in = torch.cat([xt, known], dim=1)  # model.unet_input's layout
        if self.config.channels_last:
            model_in = model_in.contiguous(memory_format=torch.channels_last)
        return self.own_share(model_in, t, states, masks, target)


def distiller_for(config, run, teacher, store, out, limit: int | None = None, progress: bool = True):
    """`vitrine distill --task tryon`'s hook (registered by vitrine.tryon.cli): (distiller, data)."""
    from vitrine.diffusion.distill import Distiller

    class TryOnDistiller(TryOnExamples, Distiller):
        pass

    data = tryon_data(store, limit=limit, progress=progress)
    return TryOnDistiller(config, run, teacher, data, out), data


def tryon_data(store, limit: int | None = None, progress: bool = True) -> TryOnData:
    """The people set of DATA_DIR/people as training data (LookupError when there is none)."""
    from vitrine.tryon.data import from_people, held_out_for
    from vitrine.tryon.people_set import FOLDER, load_people
    if not (store.data_dir / FOLDER / "people.npz").is_file():
        raise LookupError(f"{store.data_dir / FOLDER}: no people set; draw one first with `vitrine catalog people`")
    people = load_people(store.data_dir)
    return from_people(store, people, held_out=held_out_for(len(people.images)), limit=limit, progress=progress)


def trainer_for(config, store, out, limit: int | None = None, progress: bool = True):
    """`vitrine train`'s hook for task tryon (registered by vitrine.tryon.cli): (trainer, data).
    A ValueError names the setting that cannot be used."""
    from pathlib import Path
    if config.init_from and not (Path(default_path(config.init_from)) / "model_index.json").is_file():
        raise ValueError(f"--init-from {config.init_from}: not a saved text-to-image pipeline folder")
    data = tryon_data(store, limit=limit, progress=progress)
    return TryOnTrainer(config, data, out), data
