"""The verbs end to end on a tiny catalog, in process."""

import argparse
import json
import time
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from vitrine.cli import main


def test_help_is_instant_and_imports_nothing_heavy():
    code = ("import sys, vitrine.cli as c; c.build_parser(); "
            "print(sorted(m for m in ('numpy', 'sqlalchemy', 'PIL', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_queuing_a_generation_imports_neither_torch_nor_diffusers():
    # an API process only queues generations: its first POST /generate must not wait seconds for imports
    code = ("import sys, vitrine.app.studio, vitrine.service.jobs; "
            "print(sorted(m for m in ('torch', 'diffusers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unet_preset_names_match_the_models():
    from vitrine.diffusion.config import UNET_PRESETS
    from vitrine.diffusion.models import PRESETS
    assert UNET_PRESETS == list(PRESETS)
    from vitrine.diffusion.autoencoder import PRESETS as AUTOENCODER
    from vitrine.diffusion.config import AUTOENCODER_PRESETS
    assert AUTOENCODER_PRESETS == list(AUTOENCODER)


def test_import_format_choices_match_the_importers():
    from vitrine.catalog.cli import IMPORT_FORMATS
    from vitrine.catalog.importers import FORMATS
    assert IMPORT_FORMATS == list(FORMATS)


def _all_parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_parsers(sub)


def test_every_option_has_help_text():
    from vitrine.cli import build_parser
    missing = [f"{p.prog} {a.option_strings or a.dest}" for p in _all_parsers(build_parser()) for a in p._actions
               if not a.help and not isinstance(a, argparse._SubParsersAction)]
    assert missing == []


def test_each_package_registers_its_own_verbs():
    from vitrine.cli import build_parser
    verbs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"catalog", "shoppers", "import", "stats", "store", "train", "diffusion", "generate", "evaluator",
            "eval", "fit", "recommend", "similar", "demo"} <= set(verbs)
    assert len(Path("vitrine/cli.py").read_text().splitlines()) < 100


def test_demo_verbs_on_a_tiny_catalog(tmp_path, fmnist_dir, capsys, monkeypatch):
    import uvicorn
    data = str(tmp_path / "data")
    common = ["--data-dir", data, "--quiet"]
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append((app, kw)))
    # the generated-products grid is tested on its own below; here the model is left out
    assert main(common + ["demo", "--fashion-dir", str(fmnist_dir), "--users", "40", "--model", str(tmp_path),
                          "--port", "8123", "--people", "5"]) == 0
    out = capsys.readouterr().out
    assert "catalog: 40 items" in out and "shoppers: 40 users" in out and "fitting in the background" in out
    assert "serving" in out and "http://127.0.0.1:8123/" in out and "admin token (new" in out
    assert len(served) == 1 and served[0][1]["port"] == 8123
    state = served[0][0].state.vitrine
    assert state.recs is None and [j.kind for j in state.store.open_job_rows()] == ["fit"]
    from fastapi.testclient import TestClient
    with TestClient(served[0][0]) as client:  # the lifespan starts the worker, which fits
        deadline = time.time() + 120
        while state.recs is None and time.time() < deadline:
            time.sleep(0.2)
        assert state.recs is not None and "Recommended" not in client.get("/").text
    sheet = Image.open(tmp_path / "data" / "catalog-sheet.png")
    assert sheet.width == 8 * 128
    stats = json.loads((tmp_path / "data" / "stats.json").read_text())
    assert stats["items"] == 40 and stats["users"] == 40
    assert stats["new_items"]["train_or_valid_events"] == 0

    # A second demo with the same settings reuses the store and the recommender; --no-serve stops there.
    assert main(common + ["demo", "--fashion-dir", str(fmnist_dir), "--users", "40", "--model", str(tmp_path),
                          "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "already built" in out and "recommender: already fitted" in out and "--no-serve" in out
    assert main(common + ["demo", "--fashion-dir", str(fmnist_dir), "--users", "40", "--model", str(tmp_path),
                          "--no-serve", "--rebuild", "--people", "5"]) == 0
    assert "recommender: fitting on every event" in capsys.readouterr().out
    assert len(served) == 1

    assert main(["stats", "--json"] + common) == 0  # options after the verb work too
    assert json.loads(capsys.readouterr().out)["items"] == 40


def test_catalog_build_refuses_to_overwrite_another_shop(tmp_path, fmnist_dir, capsys):
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "items.csv").write_text("item_id,title\n1,A thing\n")
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["import", "generic", str(shop)]) == 0
    assert main(data + ["catalog", "build", "--fashion-dir", str(fmnist_dir)]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "1 generic items" in err


def test_import_failure_exit_code_and_message(tmp_path, capsys):
    (tmp_path / "items.csv").write_text("item_id,title\n,\n")
    assert main(["--data-dir", str(tmp_path / "d"), "-q", "import", "generic", str(tmp_path), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "nothing was stored" in err and "items.csv:2: item_id" in err


def test_missing_dataset_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from vitrine.catalog import fashion
    monkeypatch.setattr(fashion, "DEBIAN_DIR", tmp_path / "none")
    monkeypatch.delenv("VITRINE_FASHION_MNIST", raising=False)
    assert main(["--data-dir", str(tmp_path / "d"), "catalog", "build"]) == 2
    assert "dataset-fashion-mnist" in capsys.readouterr().err


@pytest.mark.slow  # starts every bench script
def test_bench_scripts_import_and_show_their_help():
    root = Path(__file__).resolve().parent.parent
    for script in ("train_step.py", "sample_speed.py", "recommend_speed.py", "recommend_ablation.py", "studio_speed.py",
                   "service_speed.py"):
        result = subprocess.run([sys.executable, str(root / "bench" / script), "--help"], capture_output=True,
                                text=True, cwd=root)
        assert result.returncode == 0 and "usage:" in result.stdout, (script, result.stderr[-500:])
