"""Every mistake a user can make ends in one clear line naming what is wrong, and exit status 2."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vitrine.cli import main

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "vitrine-fashion-32"


def _one_clear_line(capsys, *needles) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.strip().splitlines() if not line.startswith("usage:") and line.startswith(("error", "vitrine"))]
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def planted_model(tmp_path):
    """The shipped pipeline folder with a pipeline.py that leaves a mark when executed."""
    folder = tmp_path / "model"
    shutil.copytree(SHIPPED, folder)
    marker = tmp_path / "executed"
    (folder / "pipeline.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n"
                                        "from vitrine.diffusion.pipeline import VitrinePipeline\n")
    return folder, marker


def test_generate_never_runs_code_from_the_model_folder(planted_model, tmp_path, capsys):
    folder, marker = planted_model
    out = tmp_path / "g.png"
    assert main(["generate", "a red t-shirt", "-n", "1", "--steps", "2", "--model", str(folder), "-o", str(out)]) == 0
    assert out.exists() and not marker.exists()


def test_diffusers_users_still_load_the_shipped_folder():
    from diffusers import DiffusionPipeline

    from vitrine.diffusion.pipeline import VitrinePipeline
    pipe = DiffusionPipeline.from_pretrained(str(SHIPPED), trust_remote_code=True)
    assert isinstance(pipe, VitrinePipeline) or type(pipe).__name__ == "VitrinePipeline"


@pytest.mark.parametrize("damage", ["truncate", "garbage", "no-index"])
def test_a_damaged_model_folder_is_named(planted_model, tmp_path, capsys, damage):
    folder, _ = planted_model
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:1000])
    elif damage == "garbage":
        weights.write_bytes(os.urandom(5000))
    else:
        (folder / "model_index.json").unlink()
    assert main(["generate", "a hat", "-n", "1", "--model", str(folder), "-o", str(tmp_path / "x.png")]) == 2
    _one_clear_line(capsys, "model_index.json" if damage == "no-index" else "diffusion_pytorch_model.safetensors")


def test_generate_checks_the_output_before_sampling(capsys, tmp_path):
    assert main(["generate", "a hat", "-o", str(tmp_path / "out.txt")]) == 2
    _one_clear_line(capsys, "-o/--output", ".png")
    assert main(["generate", "a hat", "-o", str(tmp_path)]) == 2
    _one_clear_line(capsys, "is a folder")


@pytest.mark.parametrize("argv,flag", [
    (["generate", "a hat", "--steps", "0"], "--steps"),
    (["generate", "a hat", "-n", "-2"], "-n"),
    (["generate", "a hat", "--guidance", "nan"], "--guidance"),
    (["catalog", "sheet", "-n", "0"], "-n"),
    (["shoppers", "simulate", "--users", "-5"], "--users"),
    (["recommend", "u1", "-k", "0"], "-k"),
    (["train", "--steps", "-1"], "--steps"),
    (["train", "--lr", "inf"], "--lr"),
    (["diffusion", "forward", "x", "--T", "1"], "--T"),
])
def test_bad_numbers_name_their_flag(argv, flag, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and "Traceback" not in err


def test_generate_notes_unknown_words_and_the_token_limit(capsys, tmp_path):
    prompt = "a red t-shirt ✺✺✺ " + "with many many words " * 10
    assert main(["generate", prompt, "-n", "1", "--steps", "1", "-o", str(tmp_path / "n.png")]) == 0
    err = capsys.readouterr().err
    assert "unknown to the text encoder" in err and "'✺✺✺'" in err
    assert "cut at the encoder's limit of 32" in err


def test_a_data_dir_that_is_a_file(tmp_path, capsys):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert main(["--data-dir", str(not_a_folder), "stats"]) == 2
    _one_clear_line(capsys, "--data-dir", "is a file")
    assert main(["--data-dir", str(not_a_folder), "import", "generic", str(tmp_path)]) == 2
    _one_clear_line(capsys, "is a file")


def test_a_bad_db_url(tmp_path, capsys):
    for url in ("nonsense", "nosuchdb://x/y", "postgresql+nodriver://u@h/d", "postgresql+pg8000://u@127.0.0.1:1/d",
                "sqlite:////nonexistent/dir/x.db"):
        assert main(["--data-dir", str(tmp_path), "--db-url", url, "stats"]) == 2
        _one_clear_line(capsys, "--db-url")


def test_read_only_verbs_do_not_create_a_store(tmp_path, capsys):
    typo = tmp_path / "vitrine-dta"
    for argv in (["stats"], ["catalog", "sheet"], ["store", "check"], ["fit"], ["diffusion", "forward", "fm-1"],
                 ["shoppers", "simulate"]):
        assert main(["--data-dir", str(typo)] + argv) == 2
        _one_clear_line(capsys, "no store here")
    assert not typo.exists()


def test_default_model_paths_work_from_any_folder(tmp_path):
    out = tmp_path / "g.png"
    result = subprocess.run([sys.executable, "-m", "vitrine", "generate", "a hat", "-n", "1", "--steps", "1",
                             "-o", str(out)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.exists()


def test_stats_on_an_imported_shop(tmp_path, capsys):
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "items.csv").write_text("item_id,title,price\n1,A,12\n2,B,3\n")
    (shop / "interactions.csv").write_text("user_id,item_id,event,timestamp\nann,1,purchase,2026-01-01T00:00:00\n"
                                           "bob,2,view,2026-01-02T00:00:00\n")
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["import", "generic", str(shop)]) == 0
    assert main(data + ["stats"]) == 0
    out = capsys.readouterr().out
    assert "| users | 2 |" in out and "true top category" not in out


def test_hostile_json_lines(tmp_path, capsys):
    meta = tmp_path / "meta_X.jsonl"
    meta.write_text("[" * 100_000 + "]" * 100_000 + "\n"
                    + '{"parent_asin": "B1", "title": "Big", "price": ' + "9" * 5000 + "}\n"
                    + '{"parent_asin": "B2", "title": "Huge int price", "price": ' + "9" * 30 + "}\n"
                    + '{"parent_asin": "B3", "title": "Fine", "price": "$5"}\n')
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["import", "amazon", str(meta)]) == 0
    out = capsys.readouterr().out
    assert "nested too deeply" in out and "not usable JSON" in out and "price out of range" in out
    assert "1 items" in out


def test_a_database_password_is_never_printed(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "--db-url", "postgresql+pg8000://bob:s3cret@h/db", "stats"]) == 2
    err = _one_clear_line(capsys, "--db-url")
    assert "s3cret" not in err and "bob:***@h" in err
