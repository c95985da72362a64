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
