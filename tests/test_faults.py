"""The fault suite: generated garbage for every importer and verb ends in a clear error or a clean
report — never a traceback, a changed store after a failure, or an orphan file."""

import contextlib
import importlib.util
import io
import json
import shutil
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitrine.catalog.importers import ImportFailed, run_import, source_for
from vitrine.cli import main

from .catalog.importers.conftest import snapshot

cells = st.one_of(st.text(max_size=20), st.sampled_from(["", "NaN", "1e400", "-1", "12,99", "\"", "\"x", "0108775015",
                                                          "2018-09-20", "1433221332117", "view", "\x00", "9" * 50]))
csv_rows = st.lists(st.lists(cells, min_size=0, max_size=7).map(",".join), max_size=6).map("\n".join)
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                     st.text(max_size=10)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                           max_leaves=8)
json_rows = st.lists(st.one_of(
    st.fixed_dictionaries({}, optional={k: json_values for k in ("parent_asin", "title", "price", "store", "details",
                                                                  "user_id", "rating", "timestamp", "features")}),
    st.text(max_size=30)), max_size=6)


def _lines(rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def _fresh_folder(folder: Path, files: dict[str, str | bytes]) -> Path:
    """A folder holding exactly these files (hypothesis reuses tmp_path across examples)."""
    shutil.rmtree(folder, ignore_errors=True)
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return folder


def _import_and_judge(store, kind, folder, strict):
    before = snapshot(store)
    try:
        run_import(store, source_for(kind, folder), strict=strict, progress=False)
    except ImportFailed as exc:
        assert exc.problem.file
        assert snapshot(store) == before
    else:
        after = snapshot(store)
        for name, rows in before["tables"].items():
            if name not in ("items", "item_images", "meta"):
                assert set(rows) <= set(after["tables"][name]), name
    assert store.check().problems == 0


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(articles=csv_rows, customers=csv_rows, transactions=csv_rows, photo=st.binary(max_size=64), strict=st.booleans())
def test_hm_garbage(tmp_path, seeded_store, articles, customers, transactions, photo, strict):
    folder = _fresh_folder(tmp_path / "hm", {
        "articles.csv": "article_id,prod_name,product_type_name\n" + articles,
        "customers.csv": "customer_id,age\n" + customers,
        "transactions_train.csv": "t_dat,customer_id,article_id,price\n" + transactions,
        "images/010/0108775015.jpg": photo})
    _import_and_judge(seeded_store, "hm", folder, strict)


@SETTINGS
@given(meta=json_rows, reviews=json_rows, strict=st.booleans())
def test_amazon_garbage(tmp_path, seeded_store, meta, reviews, strict):
    folder = _fresh_folder(tmp_path / "amazon", {"meta_X.jsonl": _lines(meta), "X.jsonl": _lines(reviews)})
    _import_and_judge(seeded_store, "amazon", folder, strict)


@SETTINGS
@given(events=csv_rows, properties=csv_rows, strict=st.booleans())
def test_retailrocket_garbage(tmp_path, seeded_store, events, properties, strict):
    folder = _fresh_folder(tmp_path / "rr", {"events.csv": "timestamp,visitorid,event,itemid\n" + events,
                                             "item_properties_part1.csv": "timestamp,itemid,property,value\n" + properties})
    _import_and_judge(seeded_store, "retailrocket", folder, strict)


VERBS = [["stats"], ["catalog", "sheet"], ["store", "check"], ["recommend", "keep-1"], ["similar", "keep-1"],
         ["diffusion", "forward", "keep-1"], ["fit"], ["generate", "a hat"], ["shoppers", "simulate"],
         ["import", "generic"], ["eval", "recommend"], ["studio", "launch", "a hat"], ["studio", "design", "keeper"],
         ["studio", "previews"]]
FLAGS = ["-n", "-k", "--steps", "--guidance", "--users", "--per-category", "--columns", "--seed", "--t", "-o",
         "--model", "--out", "--dim", "--epochs", "--test-days", "--report", "--index", "--sampler", "--prompts",
         "--per-prompt", "--limit"]
values = st.one_of(cells, st.sampled_from(["0", "-1", "x.txt", "/", "/nonexistent/dir/x.png", "1,2,zz", "99999999"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(verb=st.sampled_from(VERBS), options=st.lists(st.tuples(st.sampled_from(FLAGS), values), max_size=3),
       extra=st.lists(cells, max_size=1))
def test_verbs_with_garbage_arguments(tmp_path, seeded_store, verb, options, extra, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default and relative outputs (forward-*.png, -o x.txt) land here
    before = snapshot(seeded_store)
    # outputs the garbage does not name stay inside the test's folder (given first: a later flag wins)
    defaults = {"generate": ["-o", str(tmp_path / "g.png")], "studio": ["-o", str(tmp_path / "l.png")],
                "eval": ["--out", str(tmp_path / "report")],
                "fit": ["--out", str(tmp_path / "model")]}
    def inside(value: str) -> str:  # an absolute garbage path becomes one inside the test's folder
        return value if not value.startswith("/") or value.startswith("/nonexistent") else str(tmp_path / value.lstrip("/"))
    argv = (["--data-dir", str(seeded_store.data_dir), "-q"] + verb + [inside(e) for e in extra]
            + defaults.get(verb[0], []) + [x for flag, value in options for x in (flag, inside(value))])
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    assert code in (0, 1, 2), (argv, code)
    if code != 0:
        assert snapshot(seeded_store)["tables"] == before["tables"], argv
    assert seeded_store.check().problems == 0


def _reliability():
    path = Path(__file__).resolve().parent.parent / "scripts" / "reliability.py"
    spec = importlib.util.spec_from_file_location("reliability", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # runs every verb
def test_the_reliability_script_finds_nothing_and_would_see_a_traceback(tmp_path, monkeypatch):
    reliability = _reliability()
    started_in = tmp_path / "started-here"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    summary = reliability.run(examples=2, seed=1, out=tmp_path / "r.md")
    assert Path.cwd() == started_in and not list(started_in.iterdir()), "the script wrote where it was started"
    totals = {outcome: sum(c.get(outcome, 0) for c in summary["classes"].values())
              for outcome in ("traceback", "corrupted", "unclear")}
    assert totals == {"traceback": 0, "corrupted": 0, "unclear": 0}, summary["not_handled"]
    assert "| **all** |" in (tmp_path / "r.md").read_text()
    # the judge is not blind: a verb that raises is counted as a traceback
    import vitrine.catalog.cli as catalog_cli
    template = reliability.make_template(tmp_path / "t")
    monkeypatch.setattr(catalog_cli, "cmd_stats", lambda args: 1 / 0)
    with contextlib.redirect_stderr(io.StringIO()):
        outcome, _ = reliability.judge(reliability.seeded_store(template, tmp_path / "s"), ["stats"], False)
    assert outcome == "traceback"


@pytest.mark.slow  # three server processes over a small shop
def test_the_service_classes_are_all_handled_and_the_judge_sees_a_server_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    summary = _reliability().run(examples=0, seed=0, out=tmp_path / "r.md", parts=("service",))
    service = {k: v for k, v in summary["classes"].items() if k.startswith("service: ")}
    assert len(service) == 6 and all(set(counts) == {"handled"} for counts in service.values()), summary["not_handled"]
    assert sum(sum(c.values()) for c in service.values()) >= 30
    from scripts.reliability_service import Probe
    probe = Probe.__new__(Probe)  # the judge alone, over no servers
    probe.servers, probe.server_errors, probe.data = (), [], tmp_path
    failing = httpx.Response(500, request=httpx.Request("GET", "http://127.0.0.1/health"))
    assert probe.judge(lambda: (probe._note(failing), (True, "fine"))[1])[0] == "traceback"


@pytest.mark.parametrize("kind", ["generic", "hm", "amazon", "retailrocket"])
def test_an_empty_folder_is_one_clear_line(kind, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["--data-dir", str(tmp_path / "d"), "import", kind, str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nothing was stored" in err
