"""Re-rankings for diverse lists: each does what its formula says, and the served ranking is
the re-ranked one (the plain one on request)."""

import numpy as np

from vitrine.recommend.diversity import (calibrated, group_capped, intra_list_diversity, mmr, penalised,
                                         popularity_penalty, top10_share, unit_rows)


def _vectors(n=60, d=8, seed=0):
    return unit_rows(np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32))


def test_mmr_without_weight_is_the_ranking_and_with_it_lists_are_more_diverse():
    unit = _vectors()
    candidates = np.arange(40)
    scores = np.linspace(1, 0, 40)
    assert (mmr(candidates, scores, unit, 10, 0.0) == candidates[:10]).all()
    picked = mmr(candidates, scores, unit, 10, 0.5)
    assert len(set(picked.tolist())) == 10 and picked[0] == 0  # the best item still leads
    assert intra_list_diversity(picked[None], unit) > intra_list_diversity(candidates[None, :10], unit)


def test_the_popularity_penalty_sinks_hubs():
    buyers = np.zeros(10)
    buyers[0] = 1000  # item 0 scores best, but everyone bought it
    scores = np.array([1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55])
    candidates = np.arange(10)
    assert popularity_penalty(candidates, scores, buyers, 3, 0.0).tolist() == [0, 1, 2]
    assert 0 not in popularity_penalty(candidates, scores, buyers, 3, 0.5).tolist()
    assert penalised(candidates, scores, buyers, 0.5)[1:].tolist() == scores[1:].tolist()


def test_calibration_follows_the_shoppers_category_shares():
    categories = np.array([0, 1] * 20)
    scores = np.where(categories == 1, 1.0, 0.5) - np.arange(40) * 1e-3  # category 1 scores higher
    wanted = np.array([0.8, 0.2])
    assert (categories[calibrated(np.arange(40), scores, categories, wanted, 10, 0.9)] == 0).sum() >= 4
    assert (categories[calibrated(np.arange(40), scores, categories, wanted, 10, 0.99)] == 0).sum() >= 7


def test_similar_items_keep_at_most_half_of_one_look():
    groups = np.array(["a"] * 30 + ["b"] * 5 + ["c"] * 5)
    kept = group_capped(list(range(40)), groups, 10)
    assert len(kept) == 10 and (groups[kept] == "a").sum() == 5
    assert group_capped(list(range(12)), groups, 10) == list(range(5)) + list(range(5, 10))  # filled in order


def test_top10_share_counts_lists_holding_a_most_recommended_item():
    lists = np.array([[1, 2], [1, 3], [4, 5]])
    assert top10_share(lists) == 1.0 and top10_share(np.arange(40).reshape(20, 2)) == 0.25  # items 0–9: 5 of 20 lists


def test_the_served_ranking_is_reranked_from_the_best_candidates(recommender_dir):
    from vitrine.recommend.serve import RERANK_DEPTH, Recommendations
    recs = Recommendations(recommender_dir)
    user = str(recs.user_ids[0])
    reranked = [s.item_id for s in recs.for_user(user, k=10)]
    recs.rerank = False
    plain = recs.for_user(user, k=RERANK_DEPTH)
    scores = [s.score for s in plain]
    assert scores == sorted(scores, reverse=True)  # the plain ranking is by score
    assert set(reranked) <= {s.item_id for s in plain} and len(set(reranked)) == 10
    assert reranked != [s.item_id for s in plain[:10]]
