import numpy as np
import pytest
import torch

from vitrine.evaluate.evaluator import Evaluator, EvaluatorConfig, accuracy, train_evaluator
from vitrine.evaluate.metrics import attribute_accuracy, fid_kid, mean_pairwise_distance


@pytest.fixture(scope="module")
def evaluator():
    torch.manual_seed(0)
    return Evaluator(width=8).eval()


def _images(n, seed, shift=0.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 3, 32, 32, generator=g) * 0.5 + shift).clamp(0, 1)


def test_identical_sets_have_fid_near_zero_and_a_shifted_set_more(evaluator):
    real = _images(200, 0)
    same = fid_kid(evaluator, real, real.clone(), kid_subset=50)
    assert abs(same["fid"]) < 1e-3 and abs(same["kid"]) < 1e-3
    other = fid_kid(evaluator, real, _images(200, 1), kid_subset=50)
    shifted = fid_kid(evaluator, real, _images(200, 1, shift=0.4), kid_subset=50)
    assert shifted["fid"] > other["fid"] > same["fid"]
    assert shifted["kid"] > other["kid"]


def test_attribute_accuracy_on_a_hand_built_batch():
    predicted = {"colour": np.array([1, 2, 3, 4]), "category": np.array([0, 0, 1, 1])}
    wanted = {"colour": np.array([1, 2, 0, 4]), "category": np.array([0, 1, 1, 1])}
    assert attribute_accuracy(predicted, wanted) == {"colour": 0.75, "category": 0.75}


def test_mean_pairwise_distance():
    points = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    assert mean_pairwise_distance(points) == pytest.approx((5 + 5 + 0) * 2 / 6)
    assert mean_pairwise_distance(torch.zeros(5, 3)) == 0.0


def test_evaluator_beats_chance_by_far_on_a_tiny_real_slice():
    data = np.load(_catalog_arrays())
    images = torch.from_numpy(data["images"][:3000]).permute(0, 3, 1, 2).float() / 255
    labels = {k: data[k][:3000] for k in ("category", "colour", "pattern")}
    train = slice(0, 2500)
    model, _ = train_evaluator(images[train], {k: v[train] for k, v in labels.items()},
                               EvaluatorConfig(width=16, epochs=3, batch_size=64), progress=False)
    held_out = accuracy(model, images[2500:], {k: v[2500:] for k, v in labels.items()})
    chance = {"category": 1 / 10, "colour": 1 / 13, "pattern": 1 / 4}  # pattern: solid is half, so 0.5 is the floor
    assert held_out["category"] > 3 * chance["category"] and held_out["colour"] > 8 * chance["colour"], held_out
    assert held_out["pattern"] > 0.8, held_out


def _catalog_arrays():
    """A real 3,000-item slice of the Fashion-MNIST catalog, built once per session (skips if not installed)."""
    import tempfile
    from pathlib import Path

    from vitrine.catalog import fashion
    from vitrine.catalog.build import build_catalog
    cache = Path(tempfile.gettempdir()) / "vitrine-test-catalog-3000.npz"
    if not cache.exists():
        try:
            fm = fashion.load()
        except FileNotFoundError:
            pytest.skip("Fashion-MNIST not installed")
        c = build_catalog(fm, seed=0, limit=3000, progress=False)
        np.savez(cache, images=c.images, category=c.category, colour=c.colour, pattern=c.pattern)
    return cache
