"""The classical try-on baseline: paste a catalog photo's garment into the region to dress.

The photo's garment is cropped to its silhouette and stretched over the region's bounding box
(`people.fabric`), then written into the region's pixels only; everything outside the region
stays exactly as it was. No shading, folds or occlusion: a 2D overlay, which the learned
try-on model has to beat on the paired and unpaired measures (issue: SSIM, FID).
"""

from __future__ import annotations

import numpy as np

from vitrine.tryon.people import fabric


def overlay(picture: np.ndarray, region: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 picture with the photo's garment pasted into `region` ((H, W) bool)."""
    if picture.shape[:2] != region.shape:
        raise ValueError(f"the mask is {region.shape[1]}×{region.shape[0]}; the picture is "
                         f"{picture.shape[1]}×{picture.shape[0]}")
    out = picture.copy()
    out[region] = fabric(photo, region)[region].round().clip(0, 255).astype(np.uint8)
    return out
