import numpy as np

from vitrine.recommend.baselines import VBPR, RandomModel
from vitrine.recommend.data import make_fold
from vitrine.recommend.evaluate import evaluate_model


def test_vbpr_scores_every_item_and_cold_items_by_their_image(log, features):
    fold = make_fold(log, "test")
    model = VBPR(features.image.numpy(), k=8, k2=8, epochs=3, batch_size=128).fit(fold)
    scores = model.scores(np.arange(20))
    assert scores.shape == (20, log.n_items) and np.isfinite(scores).all()
    new = np.flatnonzero(log.is_new)
    assert not model.gamma_item[new].any()                  # no history: no learned item factor
    block = scores[:, new]
    assert block.std(axis=1).min() > 1e-6 and block.std(axis=0).max() > 1e-6  # the image still tells them apart
    recall = {m.name: next(r["recall@20"] for r in evaluate_model(m, fold, segments=("all",), filters=("none",)))
              for m in (model, RandomModel().fit(fold))}
    assert recall["VBPR (Cornac)"] > recall["random"]


def test_vbpr_rejects_features_of_another_catalog(log, features):
    import pytest
    with pytest.raises(ValueError, match="image vectors"):
        VBPR(features.image.numpy()[:5], epochs=1).fit(make_fold(log, "test"))
