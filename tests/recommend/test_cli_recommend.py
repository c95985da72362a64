"""`vitrine fit`, `recommend`, `similar` and `eval recommend` on the small shop, in process."""

import json

from vitrine.cli import main


def test_fit_recommend_similar_and_clear_errors(shop, features, tmp_path, capsys):
    data = ["--data-dir", str(shop.data_dir), "-q"]
    model = str(tmp_path / "rec")
    assert main(data + ["fit", "--epochs", "1", "--dim", "8", "--cf-factors", "4", "--out", model]) == 0
    assert json.loads((tmp_path / "rec" / "model.json").read_text())["config"]["cf_factors"] == 4
    assert main(data + ["recommend", "u-00003", "-k", "5", "--model", model, "--per-category", "2"]) == 0
    out = capsys.readouterr().out
    assert "top 5 for u-00003" in out and out.count("because") >= 1
    assert main(data + ["similar", "fm-00001", "-k", "3", "--model", model, "--index", "hnsw"]) == 0
    assert "items like fm-00001" in capsys.readouterr().out
    assert main(data + ["recommend", "nobody", "--model", model]) == 2
    assert "unknown user 'nobody'" in capsys.readouterr().err
    assert main(data + ["similar", "fm-99999", "--model", model]) == 2
    assert "unknown item" in capsys.readouterr().err
    assert main(data + ["recommend", "u-00003", "-k", "0", "--model", model]) == 2


def test_eval_recommend_quick_writes_the_report(shop, features, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["--data-dir", str(shop.data_dir), "-q", "eval", "recommend", "--quick", "--out", str(out)]) == 0
    result = json.loads((out / "metrics.json").read_text())
    models = {r["model"] for r in result["rows"]}
    assert {"random", "popularity", "ALS (implicit)", "oracle (true preferences)"} <= models
    assert any(m in ("multimodal (text)", "multimodal (text + recency)") for m in models)  # the text-only ablation
    assert (out / "metrics.md").read_text().startswith("# Recommendation report")
