import math

import numpy as np
import pytest

from vitrine.recommend.metrics import evaluate_rankings, user_metrics


def test_hand_computed_user():
    # Ranked 5, 3, 9, 1; relevant {3, 1, 7}. Hits at ranks 2 and 4.
    m = user_metrics(np.array([5, 3, 9, 1]), {3, 1, 7}, k=4)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["hit_rate"] == 1.0
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg"] == pytest.approx(dcg / idcg)
    assert m["map"] == pytest.approx((1 / 2 + 2 / 4) / 3)  # P@2 = 1/2, P@4 = 2/4; min(|T|, K) = 3


def test_perfect_and_empty_rankings():
    perfect = user_metrics(np.array([1, 2]), {1, 2}, k=2)
    assert perfect == {"recall": 1.0, "hit_rate": 1.0, "ndcg": pytest.approx(1.0), "map": 1.0}
    miss = user_metrics(np.array([8, 9]), {1}, k=2)
    assert miss == {"recall": 0.0, "hit_rate": 0.0, "ndcg": 0.0, "map": 0.0}


def test_averages_skip_users_without_test_items_and_report_coverage_and_novelty():
    rankings = np.array([[0, 1], [1, 2], [3, 0]])
    relevant = [{0}, set(), {2}]
    out = evaluate_rankings(rankings, relevant, k=2, n_items=5, item_popularity=np.array([4, 2, 1, 1, 0]),
                            n_users_train=4)
    assert out["users"] == 2
    assert out["hit_rate@2"] == 0.5 and out["recall@2"] == 0.5
    assert out["coverage@2"] == pytest.approx(3 / 5)  # items 0, 1, 3 shown to evaluated users
    # novelty over items 0, 1, 3, 0: −log2 of 4/4, 2/4, 1/4, 4/4
    assert out["novelty@2"] == pytest.approx((0 + 1 + 2 + 0) / 4)
