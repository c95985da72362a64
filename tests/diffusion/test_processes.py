"""`vitrine train --processes 2`: two torch.distributed processes (gloo on this CPU) train exactly
what one process trains on the same global batch, write the checkpoint once, and resume exactly."""

import json

import numpy as np
import pytest
from safetensors import safe_open

from vitrine.cli import main

pytestmark = pytest.mark.slow  # two training processes


def _losses(run):
    with safe_open(str(run / "checkpoint.safetensors"), "pt") as f:
        return json.loads(f.metadata()["info"])["losses"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """A 48-item catalog of the test suite's tiny photos, built once for the module."""
    from tests.conftest import tiny_fashion_dir
    root = tmp_path_factory.mktemp("processes")
    fm = tiny_fashion_dir(root / "fm", train=40, test=8)
    assert main(["--data-dir", str(root / "data"), "-q", "catalog", "build", "--fashion-dir", str(fm)]) == 0
    return ["--data-dir", str(root / "data"), "-q"]


def test_two_processes_train_what_one_does_and_resume_exactly(catalog, tmp_path):
    recipe = ["train", "--preset", "tiny", "--min-photos", "1", "--steps", "6", "--batch-size", "8", "--checkpoint-every", "3"]
    assert main(catalog + recipe + ["--out", str(tmp_path / "one")]) == 0
    assert main(catalog + recipe + ["--out", str(tmp_path / "two"), "--processes", "2"]) == 0
    one, two = _losses(tmp_path / "one"), _losses(tmp_path / "two")
    assert len(one) == len(two) == 6 and np.allclose(one, two, rtol=1e-4, atol=1e-6)
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(p.name for p in (tmp_path / "one").iterdir())
    # stopped at 3 and resumed in two processes: the same losses again
    assert main(catalog + recipe + ["--out", str(tmp_path / "split"), "--processes", "2", "--until", "3"]) == 0
    assert main(catalog + recipe + ["--out", str(tmp_path / "split"), "--processes", "2", "--resume"]) == 0
    assert np.allclose(_losses(tmp_path / "split"), one, rtol=1e-4, atol=1e-6)


def test_a_batch_that_does_not_divide_is_refused(catalog, tmp_path, capsys):
    assert main(catalog + ["train", "--preset", "tiny", "--min-photos", "1", "--batch-size", "7", "--processes", "2", "--out",
                           str(tmp_path)]) == 2
    assert "must divide evenly over --processes 2" in capsys.readouterr().err


def test_a_batch_that_does_not_divide_over_a_torchrun_world_is_one_clear_line(catalog, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")  # as torchrun or accelerate launch set it
    assert main(catalog + ["train", "--preset", "tiny", "--min-photos", "1", "--batch-size", "7", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: --batch-size 7 must divide evenly over the 2 processes of WORLD_SIZE"]
