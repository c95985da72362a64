import json

import numpy as np
import pytest

from vitrine.recommend.movielens import make_folds, read_interactions, recbole_file, split_per_user


def _write_inter(path, n_users=40, n_items=60, per_user=20, seed=0):
    rng = np.random.default_rng(seed)
    lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    for u in range(n_users):
        # two taste groups, so there is something to learn
        pool = np.arange(n_items // 2) + (n_items // 2) * (u % 2)
        for i in rng.choice(pool, per_user, replace=False):
            lines.append(f"u{u}\tm{i}\t{rng.integers(1, 6)}\t{rng.integers(1e9)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_split_gives_each_user_a_tenth_to_valid_and_test(tmp_path):
    user, item = read_interactions(_write_inter(tmp_path / "x.inter", per_user=25))
    phase = split_per_user(user, seed=1)
    for u in np.unique(user):
        counts = np.bincount(phase[user == u], minlength=3)
        assert counts.tolist() == [21, 2, 2]
    valid, test, mask = make_folds(user, item, phase)
    assert valid.train.nnz == (phase == 0).sum() and mask.nnz == (phase <= 1).sum()
    for u in range(5):  # targets never appear in the matrix the model learns from
        assert not set(valid.train[u].indices) & test.targets[u]
        assert valid.targets[u] and test.targets[u]


def test_bad_file_names_its_line(tmp_path):
    bad = tmp_path / "bad.inter"
    bad.write_text("user_id:token\titem_id:token\n1\t2\n3\n")
    with pytest.raises(ValueError, match=r"bad.inter: line 3"):
        read_interactions(bad)
    bad.write_text("who\twhat\n1\t2\n")
    with pytest.raises(ValueError, match="line 1"):
        read_interactions(bad)


def test_quick_run_writes_the_report(tmp_path, capsys):
    from vitrine.cli import main
    inter = _write_inter(tmp_path / "x.inter")
    assert main(["eval", "movielens", "--quick", "--inter", str(inter), "--out", str(tmp_path / "r")]) == 0
    result = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert {r["model"] for r in result["rows"]} == {"ALS (implicit)", "BPR (implicit)", "Vitrine (behaviour part)"}
    assert all(0 <= r["recall@10"] <= 1 and r["users"] == 40 for r in result["rows"])
    assert "RecBole's published" in (tmp_path / "r" / "metrics.md").read_text()


def test_the_recbole_wheel_holds_movielens_100k():
    try:
        path = recbole_file()
    except FileNotFoundError:
        pytest.skip("recbole wheel not installed")
    user, item = read_interactions(path)
    assert (len(user), user.max() + 1, item.max() + 1) == (100_000, 943, 1682)
