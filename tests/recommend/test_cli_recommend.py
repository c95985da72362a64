"""`vitrine fit`, `recommend`, `similar` and `eval recommend` on the small shop, in process."""

import json

from vitrine.cli import main


def test_fit_recommend_similar_and_clear_errors(shop, features, tmp_path, capsys):
    data = ["--data-dir", str(shop.data_dir), "-q"]
    model = str(tmp_path / "rec")
    assert main(data + ["fit", "--epochs", "1", "--dim", "8", "--cf-factors", "4", "--out", model]) == 0
    assert json.loads((tmp_path / "rec" / "model.json").read_text())["config"]["cf_factors"] == 4
    assert main(data + ["recommend", "u-00003", "-k", "5", "--recommender", model, "--per-category", "2"]) == 0
    out = capsys.readouterr().out
    assert "top 5 for u-00003" in out and out.count("because") >= 1
    assert main(data + ["recommend", "u-00003", "-k", "5", "--recommender", model, "--index", "ivf"]) == 0
    assert "top 5 for u-00003" in capsys.readouterr().out
    assert main(data + ["similar", "fm-00001", "-k", "3", "--recommender", model, "--index", "hnsw"]) == 0
    assert "items like fm-00001" in capsys.readouterr().out
    assert main(data + ["recommend", "nobody", "--recommender", model]) == 2
    assert "unknown user 'nobody'" in capsys.readouterr().err
    assert main(data + ["similar", "fm-99999", "--recommender", model]) == 2
    assert "error: ITEM_ID: no item 'fm-99999'" in capsys.readouterr().err
    assert main(data + ["recommend", "u-00003", "-k", "0", "--recommender", model]) == 2


def test_fit_flags_out_of_range_are_one_line_and_fit_nothing(shop, tmp_path, capsys):
    data = ["--data-dir", str(shop.data_dir), "-q", "fit", "--out", str(tmp_path / "rec")]
    for flags, said in ((["--dim", "0"], "--dim 0: must be from 1 to 4096"),
                        (["--epochs", "0"], "--epochs 0: must be from 1 to 1000"),
                        (["--lr", "0"], "--lr 0: must be from 1e-08 to 10"),
                        (["--input-share", "1.5"], "--input-share 1.5: must be from 0.01 to 1")):
        assert main(data + flags) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and said in err
    assert not (tmp_path / "rec").exists()


def test_eval_recommend_quick_writes_the_report(shop, features, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["--data-dir", str(shop.data_dir), "-q", "eval", "recommend", "--quick", "--out", str(out)]) == 0
    result = json.loads((out / "metrics.json").read_text())
    models = {r["model"] for r in result["rows"]}
    assert {"random", "popularity", "ALS (implicit)", "oracle (true preferences)"} <= models
    assert any(m in ("multimodal (text)", "multimodal (text + recency)") for m in models)  # the text-only ablation
    assert (out / "metrics.md").read_text().startswith("# Recommendation report")


def test_fit_defaults_are_the_configuration_the_report_chose():
    from pathlib import Path

    from vitrine.recommend.config import MultimodalConfig
    report = json.loads(Path("reports/recommend/metrics.json").read_text())
    chosen = {row["model"]: row["params"] for row in report["tuning"] if row.get("chosen")}
    network, als = chosen["multimodal"], chosen["ALS (implicit)"]
    defaults = MultimodalConfig()
    assert {k: getattr(defaults, k) for k in network} == network
    # the ALS block uses the tuned ALS's settings (report.py passes them on)
    assert (defaults.cf_factors, defaults.cf_regularization, defaults.cf_alpha) == (
        als["factors"], als["regularization"], als["alpha"])


def test_counts_below_one_are_refused_naming_the_flag(shop, tmp_path, capsys):
    data = ["--data-dir", str(shop.data_dir), "-q"]
    assert main(data + ["recommend", "u-00003", "--per-category", "0"]) == 2
    assert "--per-category" in capsys.readouterr().err
    assert main(data + ["recommend", "u-00003", "-k", "-3"]) == 2
    assert "-k" in capsys.readouterr().err


def test_a_garbage_model_file_is_named(shop, tmp_path, capsys):
    folder = tmp_path / "garbage"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"\x00" * 100)
    (folder / "model.json").write_text('{"name": "x", "config": {}, "user_ids": ["a"], "item_ids": ["b"]}')
    assert main(["--data-dir", str(shop.data_dir), "recommend", "a", "--recommender", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "model.safetensors" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    (folder / "model.json").write_text("{not json")
    assert main(["--data-dir", str(shop.data_dir), "recommend", "a", "--recommender", str(folder)]) == 2
    assert "model.json" in capsys.readouterr().err


def test_the_verb_reads_events_stored_since_the_fit_as_the_api_does(data, recommender_dir, tmp_path, capsys):
    import shutil

    from vitrine.app.context import AppContext
    from vitrine.app.events import record_event
    from vitrine.app.settings import Settings
    from vitrine.storage.store import Store
    fitted = tmp_path / "rec"
    shutil.copytree(recommender_dir, fitted)
    (fitted / "events.json").write_text(json.dumps({"last_event_id": Store(data).last_event_id()}))  # as fit writes
    argv = ["--data-dir", str(data), "-q", "recommend", "u-00003", "-k", "5", "--recommender", str(fitted)]
    assert main(argv) == 0
    before = capsys.readouterr().out
    top = before.splitlines()[1].split()[1]  # "  1. ITEM  score  title"
    record_event(AppContext(Settings(data, recommender=fitted)), "u-00003", top, "purchase")
    assert main(argv) == 0
    after = capsys.readouterr().out
    assert "with their events since the fit" in after and f" {top} " not in after  # a bought item is left out


def test_eval_diversity_runs_on_a_test_fold_fit_and_refuses_one_that_saw_the_test_period(shop, features, tmp_path,
                                                                                         capsys):
    data = ["--data-dir", str(shop.data_dir), "-q"]
    fit = ["fit", "--epochs", "1", "--dim", "8", "--cf-factors", "4"]
    everything, before_test = str(tmp_path / "all"), str(tmp_path / "test")
    assert main(data + fit + ["--out", everything]) == 0
    assert main(data + fit + ["--fold", "test", "--out", before_test]) == 0
    out = tmp_path / "report"
    assert main(data + ["eval", "diversity", "--recommender", everything, "--out", str(out)]) == 2
    assert "--recommender" in capsys.readouterr().err and not out.exists()
    assert main(data + ["eval", "diversity", "--recommender", before_test, "--users", "50", "--out", str(out)]) == 0
    rows = json.loads((out / "diversity.json").read_text())["rows"]
    assert rows[0]["ranking"] == "plain" and all(0 <= r["recall@20"] <= 1 for r in rows)
