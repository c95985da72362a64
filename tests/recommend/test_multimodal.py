import numpy as np
import pytest

from vitrine.recommend.data import make_fold
from vitrine.recommend.multimodal import CONSTANT_SPREAD, Multimodal, MultimodalConfig, decayed_item_counts

SMALL = MultimodalConfig(dim=16, epochs=3, batch_size=64)


@pytest.fixture(scope="module")
def fitted(log, features):
    return Multimodal(features, SMALL).fit(make_fold(log, "test"))


def test_training_lowers_the_loss(fitted):
    assert np.mean(fitted.losses[-3:]) < np.mean(fitted.losses[:3])


def test_save_and_load_score_identically(fitted, log, tmp_path):
    fitted.save(tmp_path / "m", log.user_ids, log.item_ids)
    loaded, user_ids, item_ids = Multimodal.load(tmp_path / "m")
    assert list(user_ids) == list(log.user_ids) and list(item_ids) == list(log.item_ids)
    users = np.arange(10)
    np.testing.assert_allclose(loaded.scores(users), fitted.scores(users), rtol=1e-5, atol=1e-5)


def test_new_items_get_content_scores_that_differ_by_item_and_user(fitted, log):
    new = np.flatnonzero(log.is_new)
    assert len(new) > 1
    block = fitted.scores(np.arange(20))[:, new]
    assert np.isfinite(block).all()
    assert block.std(axis=1).min() > 1e-4   # items are told apart
    assert block.std(axis=0).max() > 1e-4   # and users see them differently


def test_content_only_variant_reads_no_ids(log, features):
    model = Multimodal(features, MultimodalConfig(dim=8, epochs=1, batch_size=64, parts=("text",), use_ids=False))
    model.fit(make_fold(log, "valid"))
    assert not hasattr(model.net, "item_id") and "text" in model.name
    with pytest.raises(ValueError, match="unknown feature parts"):
        features.matrix(("smell",))


def test_logq_correction_follows_the_inclusion_probability(log, features):
    model = Multimodal(features, MultimodalConfig(dim=8, epochs=1, batch_size=64, use_ids=False, logq=True))
    model.fit(make_fold(log, "valid"))
    log_pi = model.log_inclusion.numpy()
    assert (log_pi <= 0).all() and np.isfinite(log_pi).all()
    # π_i = 1 − (1 − n/I)(1 − f_i)^n_t: an item nobody touched is only ever a uniform negative
    share = np.bincount(model.history.indices, minlength=log.n_items)
    untouched, busiest = np.flatnonzero(share == 0), share.argmax()
    n, items = min(model.config.negatives, log.n_items), log.n_items
    if len(untouched):
        np.testing.assert_allclose(np.exp(log_pi[untouched]), n / items, rtol=1e-5)
    assert log_pi[busiest] == log_pi.max()


def test_collaborative_block_scores_warm_items_and_leaves_new_ones_to_content(log, features, tmp_path):
    fold = make_fold(log, "test")
    config = MultimodalConfig(dim=8, epochs=1, batch_size=64, use_ids=False, cf_weight=2.0, cf_factors=4)
    model = Multimodal(features, config).fit(fold)
    assert "ALS factors" in model.name
    new, warm = np.flatnonzero(log.is_new), np.flatnonzero(fold.item_users > 0)
    assert not model.cf_item[new].any() and model.cf_item[warm].any()
    users = np.arange(10)
    scores = model.scores(users)
    content = model.user_vectors(users)[:, :8] @ model.item_vectors[:, :8].T + model.item_bias
    np.testing.assert_allclose(scores[:, new], content[:, new], rtol=1e-5, atol=1e-5)
    assert np.abs(scores[:, warm] - content[:, warm]).max() > 1e-4
    model.save(tmp_path / "m", log.user_ids, log.item_ids)
    loaded, _, _ = Multimodal.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.scores(users), scores, rtol=1e-5, atol=1e-5)


def test_binary_history_and_targets_train_and_survive_save_load(log, features, tmp_path):
    config = MultimodalConfig(dim=8, epochs=1, batch_size=64, binary_history=True, binary_targets=True)
    model = Multimodal(features, config).fit(make_fold(log, "test"))
    # the user tower reads the event-weighted and the unweighted history mean side by side
    assert model.net.user_tower[0].in_features == 2 * model.content.shape[1] + 1
    model.save(tmp_path / "m", log.user_ids, log.item_ids)
    loaded, _, _ = Multimodal.load(tmp_path / "m")
    users = np.arange(10)
    np.testing.assert_allclose(loaded.scores(users), model.scores(users), rtol=1e-5, atol=1e-5)


def test_recency_term_weighs_each_event_by_its_age(fitted, log):
    fold = make_fold(log, "test")
    before = log.ts < fold.cut_ms
    every = decayed_item_counts(fold, 1.0)  # γ = 1: every event before the cut counts once
    np.testing.assert_allclose(every, np.bincount(log.item[before], minlength=log.n_items))
    half = decayed_item_counts(fold, 0.5)
    once = np.flatnonzero(every == 1)  # items with one event: D_i = γ^(age / 14 days) by hand
    event = {int(i): t for i, t in zip(log.item[before], log.ts[before]) if every[i] == 1}
    age_days = np.array([(fold.cut_ms - event[int(i)]) / 86_400_000 for i in once])
    np.testing.assert_allclose(half[once], 0.5 ** (age_days / 14), rtol=1e-9)
    # the term adds a·log(1 + D_i) to every user's score of item i, and a = 0 removes it
    assert fitted.config.recency_weight > 0 and "recency" in fitted.name
    users = np.arange(5)
    with_term = fitted.scores(users)
    a = fitted.config.recency_weight
    try:
        fitted.set_recency(0.0, 0.5, fold)
        expected = np.broadcast_to(a * np.log1p(half), with_term.shape)
        np.testing.assert_allclose(with_term - fitted.scores(users), expected, rtol=1e-4, atol=1e-4)
    finally:
        fitted.set_recency(a, 0.5, fold)
    with pytest.raises(ValueError, match="recency_decay"):
        decayed_item_counts(fold, 0.0)


def test_an_unseen_item_scores_from_its_content_like_a_new_catalog_item(shop, log, tmp_path):
    """Fitted on the valid fold, the test period's new items have no history: their stored vectors
    come from content alone, so the saved model's content → vector path must reproduce them."""
    from PIL import Image

    from vitrine.recommend.data import make_fold
    from vitrine.recommend.features import cached_features
    from vitrine.recommend.image_encoder import ImageEncoderConfig
    features = cached_features(shop, log.item_ids, ImageEncoderConfig(epochs=1, batch_size=64, width=8, dim=16),
                               progress=False)
    fold = make_fold(log, "valid")
    model = Multimodal(features, MultimodalConfig(dim=8, epochs=1, batch_size=64, cf_factors=4)).fit(fold)
    model.save(tmp_path / "m", log.user_ids, log.item_ids)
    loaded, _, item_ids = Multimodal.load(tmp_path / "m")
    new = [i for i in np.flatnonzero(log.is_new)][:4]
    rows = {r.id: r for r in shop.item_rows(("id", "description", "title", "price", "category"),
                                            ids=[str(item_ids[i]) for i in new])}
    photos = dict(shop.main_photos([str(item_ids[i]) for i in new]))
    texts, images, prices, categories = [], [], [], []
    for i in new:
        row = rows[str(item_ids[i])]
        texts.append(row.description or row.title)
        with Image.open(shop.images.resolve(photos[row.id])) as im:
            images.append(im.convert("RGB").copy())
        prices.append(row.price)
        categories.append(row.category)
    vectors = loaded.vectors_from_content(texts, images, prices, categories)
    assert vectors.shape == (len(new), loaded.item_vectors.shape[1])
    np.testing.assert_allclose(vectors, loaded.item_vectors[new], atol=1e-4)
    # without the photo the vector moves: the image part is really read
    assert not np.allclose(loaded.vectors_from_content(texts, None, prices, categories), vectors, atol=1e-3)
    # every item of the shop has a photo, so the has-photo flag never varied in the fit: a missing
    # photo leaves it at its fitted 1 rather than entering the tower at −1 / 1e-3 = −1,000
    flag = loaded.content_encoder.columns("image").stop - 1
    raw = loaded.content_encoder.features(texts, None, prices, categories)
    assert (raw[:, flag] == 0).all() and bool(loaded.std[flag] <= CONSTANT_SPREAD)
    lifted = raw.clone()
    lifted[:, flag] = 1.0
    np.testing.assert_allclose(loaded.vectors_from_features(raw), loaded.vectors_from_features(lifted))
    assert np.abs(loaded.vectors_from_features(raw)).max() < 100


def test_a_recommended_item_is_never_its_own_reason(shop, log, features, tmp_path):
    from vitrine.recommend.serve import Recommendations
    model = Multimodal(features, MultimodalConfig(dim=8, epochs=1, batch_size=64, cf_factors=4))
    model.fit(make_fold(log, "all")).save(tmp_path / "m", log.user_ids, log.item_ids)
    recs = Recommendations(tmp_path / "m")
    seen_recommended = 0
    for user in log.user_ids[:60]:
        history = {str(log.item_ids[i]) for i in recs.model.history[recs.user_pos[str(user)]].indices}
        for s in recs.for_user(str(user), k=20):
            assert s.item_id not in s.because
            seen_recommended += s.item_id in history
    assert seen_recommended > 0  # the case arises: viewed items are recommended again
