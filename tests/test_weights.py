import pytest
import torch
from torch import nn

from vitrine.weights import load_network, save_network


class Tiny(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.width = width
        self.layer = nn.Linear(3, width)


def build(info: dict) -> Tiny:
    return Tiny(int(info["width"]))


def test_a_saved_network_loads_with_the_same_weights_in_eval_mode(tmp_path):
    model = Tiny(4)
    save_network(model, tmp_path / "m", "tiny", {"width": 4, "note": "kept"})
    loaded = load_network(tmp_path / "m", "tiny", build, "make one")
    assert not loaded.training and torch.equal(loaded.layer.weight, model.layer.weight)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["tiny.json", "tiny.safetensors"]


def test_missing_damaged_or_mismatched_files_are_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no tiny.safetensors \(make one\)"):
        load_network(tmp_path, "tiny", build, "make one")
    save_network(Tiny(4), tmp_path, "tiny", {"width": 4})
    (tmp_path / "tiny.json").write_text('{"width": 5}')  # another shape than the weights
    with pytest.raises(ValueError, match="unreadable tiny"):
        load_network(tmp_path, "tiny", build, "make one")
    (tmp_path / "tiny.json").write_text("{not json")
    with pytest.raises(ValueError, match="unreadable tiny"):
        load_network(tmp_path, "tiny", build, "make one")
    (tmp_path / "tiny.json").write_text('{"width": 4}')
    (tmp_path / "tiny.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(ValueError, match="unreadable tiny"):
        load_network(tmp_path, "tiny", build, "make one")
