"""Generation metrics in the evaluator's feature space.

- FID and KID: torchmetrics' implementations with the evaluator as the feature extractor
  (Heusel et al. 2017; Bińkowski et al. 2018). Lower is better; real-vs-real gives the floor.
- Attribute accuracy: how often the evaluator reads the prompt's category/colour/pattern
  (defined beside the evaluator, which scores itself with it; imported here with the others).
- Diversity: mean pairwise L2 distance between the features of images made for one prompt,
  against the same for real photos that share the prompt's attributes (catches mode collapse).
"""

from __future__ import annotations

import numpy as np
import torch

from vitrine.evaluate.evaluator import Evaluator, attribute_accuracy  # noqa: F401 (one of the metrics)


def fid_kid(evaluator: Evaluator, real: torch.Tensor, fake: torch.Tensor, kid_subset: int = 100,
            batch: int = 500) -> dict[str, float]:
    """FID and KID (mean ± std over subsets) between two sets of (N, 3, 32, 32) images in [0, 1]."""
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance
    evaluator.eval()
    subset = min(kid_subset, len(real), len(fake))
    fid = FrechetInceptionDistance(feature=evaluator, normalize=True)
    kid = KernelInceptionDistance(feature=evaluator, subset_size=subset, normalize=True)
    with torch.inference_mode():
        for images, is_real in ((real, True), (fake, False)):
            for start in range(0, len(images), batch):
                chunk = images[start:start + batch].float()
                fid.update(chunk, real=is_real)
                kid.update(chunk, real=is_real)
        kid_mean, kid_std = kid.compute()
        return {"fid": float(fid.compute()), "kid": float(kid_mean), "kid_std": float(kid_std)}


def mean_pairwise_distance(features: torch.Tensor) -> float:
    """Mean L2 distance over all distinct pairs of rows."""
    if len(features) < 2:
        return float("nan")
    d = torch.cdist(features.double(), features.double())
    n = len(features)
    return float(d.sum() / (n * (n - 1)))


def bootstrap_fids(evaluator: Evaluator, real: torch.Tensor, fakes: list[torch.Tensor], rounds: int = 200,
                   seed: int = 0) -> np.ndarray:
    """(rounds, len(fakes)) FIDs of the image sets `fakes` against `real`, each round resampling the
    real set and, with one shared draw of indices, every fake set (the sets are aligned: picture i
    of each is the same prompt and seed), so a column difference is a paired comparison.
    Resampling with replacement repeats pictures, which lowers the spread of the features and
    raises FID: the rounds measure FID's sampling spread and paired differences, not its level."""
    evaluator.eval()
    with torch.inference_mode():  # the features fid_kid's FID reads (a custom extractor gets the images as given)
        real_f = evaluator.embed(real.float()).double()
        fake_f = [evaluator.embed(f.float()).double() for f in fakes]
    g = torch.Generator().manual_seed(seed)
    out = np.empty((rounds, len(fakes)))
    for k in range(rounds):
        r = real_f[torch.randint(len(real_f), (len(real_f),), generator=g)]
        pick = torch.randint(len(fake_f[0]), (len(fake_f[0]),), generator=g)
        out[k] = [_frechet(r, f[pick]) for f in fake_f]
    return out


def _frechet(real_f: torch.Tensor, fake_f: torch.Tensor) -> float:
    """torchmetrics' Fréchet distance between two feature sets' Gaussians (its own matrix square root)."""
    from torchmetrics.image.fid import _compute_fid
    return float(_compute_fid(real_f.mean(0), torch.cov(real_f.T), fake_f.mean(0), torch.cov(fake_f.T)))
