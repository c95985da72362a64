import numpy as np
import pytest

from vitrine.recommend.data import SHORT_HISTORY, make_fold


@pytest.mark.parametrize("name", ["valid", "test"])
def test_folds_do_not_leak_the_target_period(log, name):
    fold = make_fold(log, name)
    before = log.ts < fold.cut_ms
    expected = np.zeros((log.n_users, log.n_items), dtype=np.float32)
    np.add.at(expected, (log.user[before], log.item[before]), log.weight[before])
    assert np.allclose(fold.train.toarray(), expected)  # exactly the events before the cut, weighted
    end = log.valid_end_ms if name == "valid" else np.inf
    target_events = {(u, i) for u, i, t in zip(log.user, log.item, log.ts) if fold.cut_ms <= t < end}
    assert {(u, i) for u, items in enumerate(fold.targets) for i in items} == target_events
    assert fold.train[:, np.flatnonzero(log.is_new)].nnz == 0  # new items: no history in either fold


def test_segments_split_the_users_with_targets(log):
    fold = make_fold(log, "test")
    everyone, warm, short = (set(fold.users(s).tolist()) for s in ("all", "warm", "short"))
    assert warm | short == everyone and not warm & short
    assert all(fold.train_events[u] <= SHORT_HISTORY for u in short)
    with pytest.raises(ValueError, match="segment"):
        fold.users("vip")


def test_all_fold_keeps_every_event(log):
    fold = make_fold(log, "all")
    assert fold.train_events.sum() == len(log.ts) and not any(fold.targets)


def test_events_of_a_shopper_added_during_the_read_wait_for_the_next_fit(shop, monkeypatch):
    """The service takes events while a refit reads the log: a shopper (or item) that appears after
    the fit read the user list is left out of that fit instead of failing it."""
    from vitrine.recommend.data import load_log
    everyone = shop.user_ids()
    late = everyone[-1]
    monkeypatch.setattr(shop, "user_ids", lambda: everyone[:-1])
    log = load_log(shop)
    assert late not in set(log.user_ids) and log.n_users == len(everyone) - 1
    whole = shop.interactions()
    assert len(log.ts) == int((whole["user_id"] != late).sum())
