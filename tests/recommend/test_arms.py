"""The A/B test's baseline lists, served from the fitted multimodal model's own parts."""

import numpy as np
import pytest

from vitrine.recommend.arms import als_user_vector, baseline_list, popularity_scores
from vitrine.recommend.serve import Recommendations


@pytest.fixture(scope="module")
def recs(recommender_dir):
    return Recommendations(recommender_dir)


def _buyer(recs) -> tuple[str, int]:
    u = next(k for k in range(len(recs.user_ids)) if recs.model.bought[k].nnz)
    return str(recs.user_ids[u]), u


def test_popularity_is_one_list_for_everyone_less_their_purchases(recs):
    user, u = _buyer(recs)
    other = next(str(x) for k, x in enumerate(recs.user_ids) if not recs.model.bought[k].nnz)
    mine = [s.item_id for s in baseline_list(recs, "popularity", user, {}, set(), 30)]
    theirs = [s.item_id for s in baseline_list(recs, "popularity", other, {}, set(), 30)]
    bought = {str(recs.item_ids[i]) for i in recs.model.bought[u].indices}
    assert not set(mine) & bought and [i for i in theirs if i not in bought][:20] == mine[:20]
    scores = popularity_scores(recs)
    assert [scores[recs.item_pos[i]] for i in theirs] == sorted((scores[recs.item_pos[i]] for i in theirs), reverse=True)


def test_als_fold_in_of_a_fitted_history_gives_back_the_fitted_factors(recs):
    _, u = _buyer(recs)
    row = recs.model.history[u]
    folded = als_user_vector(recs, dict(zip(row.indices.tolist(), row.data.tolist())))
    fitted = recs.model.cf_user[u]
    assert np.dot(folded, fitted) / (np.linalg.norm(folded) * np.linalg.norm(fitted)) > 0.95


def test_als_reads_events_since_the_fit_and_leaves_out_what_was_bought(recs):
    user, u = _buyer(recs)
    before = [s.item_id for s in baseline_list(recs, "als", user, {}, set(), 10)]
    scored = recs.model.cf_item @ recs.model.cf_user[u]
    assert [s.score for s in baseline_list(recs, "als", user, {}, set(), 10)] == pytest.approx(
        sorted(scored[[recs.item_pos[i] for i in before]], reverse=True), rel=1e-5)
    clicked = recs.item_pos[before[-1]]
    recent = {clicked: 5.0, recs.item_pos[before[0]]: 5.0}
    after = [s.item_id for s in baseline_list(recs, "als", user, recent, {recs.item_pos[before[0]]}, 10)]
    assert after != before and before[0] not in after


def test_a_shopper_new_since_the_fit_gets_als_from_their_events_alone(recs):
    history = {int(i): 1.0 for i in np.flatnonzero(recs.model.cf_item.any(axis=1))[:3]}
    listed = baseline_list(recs, "als", "someone-new", history, set(), 5)
    assert len(listed) == 5 and all(s.because == [] for s in listed)


def test_an_unknown_arm_is_refused(recs):
    with pytest.raises(ValueError, match="unknown arm 'ranom'"):
        baseline_list(recs, "ranom", "u-00001", {}, set(), 5)
