import numpy as np
import pytest

from vitrine.recommend.index import KINDS, ItemIndex, ivf_cells


@pytest.fixture(scope="module")
def vectors():
    """Items in kinds (as a catalog's are: content decides most of an item's vector), of very
    different lengths (so inner-product search is not cosine search), with biases."""
    rng = np.random.default_rng(0)
    kinds = rng.normal(size=(60, 16))[rng.integers(0, 60, 4000)]
    items = (kinds + 0.3 * rng.normal(size=(4000, 16))) * rng.lognormal(0, 0.5, size=(4000, 1))
    return items.astype(np.float32), rng.normal(0, 0.5, 4000).astype(np.float32), \
        rng.normal(size=(200, 16)).astype(np.float32)


def exact_top(items, bias, users, k):
    scores = users @ items.T + bias
    return np.argsort(-scores, axis=1)[:, :k], scores


@pytest.mark.parametrize("kind", KINDS)
def test_each_index_finds_the_inner_product_top_k_with_exact_scores(vectors, kind):
    items, bias, users = vectors
    index = ItemIndex(items, bias, kind)
    scores, found = index.search(users, 10)
    truth, all_scores = exact_top(items, bias, users, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)])
    assert recall == 1.0 if kind == "exact" else recall >= 0.9  # at the default effort (0.945–1.0 measured)
    # the scores are s(u, i) = ⟨u, v_i⟩ + b_i of the items returned, best first
    assert np.allclose(scores, np.take_along_axis(all_scores, found, 1), atol=1e-4)
    assert (np.diff(scores, axis=1) <= 1e-6).all()


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_indexes_leave_out_excluded_items_and_still_return_k(vectors, kind):
    items, bias, users = vectors
    index = ItemIndex(items, bias, kind)
    first = index.search(users[:5], 10)[1]
    exclude = [set(row[:4].tolist()) for row in first]
    found = index.search(users[:5], 10, exclude)[1]
    assert (found >= 0).all() and found.shape == (5, 10)
    assert all(not set(row.tolist()) & out for row, out in zip(found, exclude))
    assert all(set(a[4:].tolist()) <= set(b.tolist()) for a, b in zip(first, found))


def test_more_effort_finds_more_of_the_exact_top_k(vectors):
    items, bias, users = vectors
    index = ItemIndex(items, bias, "ivf")
    truth = exact_top(items, bias, users, 10)[0]
    recalls = []
    for probes in (1, 4, index.index.nlist):
        index.set_effort(probes)
        found = index.search(users, 10)[1]
        recalls.append(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)]))
    assert recalls[0] < recalls[1] < recalls[2] == 1.0  # every cell scanned: exact


def test_ivf_cells_and_unknown_kind():
    assert ivf_cells(10) == 1 and ivf_cells(4000) == 102 and ivf_cells(1_000_000) == 4000
    with pytest.raises(ValueError, match="exact, ivf, hnsw"):
        ItemIndex(np.zeros((3, 2), np.float32), kind="annoy")
