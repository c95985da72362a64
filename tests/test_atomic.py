import pytest
import torch
from safetensors.torch import load_file

from vitrine.atomic import replacing, save_safetensors, write_text


def test_save_safetensors_replaces_the_file(tmp_path):
    path = tmp_path / "sub" / "w.safetensors"
    save_safetensors({"a": torch.zeros(2)}, path)
    save_safetensors({"a": torch.ones(3)}, path, metadata={"step": "7"})
    assert torch.equal(load_file(path)["a"], torch.ones(3))
    assert [p.name for p in path.parent.iterdir()] == ["w.safetensors"]  # no temporary left behind


def test_a_failed_write_keeps_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "data.npz"
    path.write_bytes(b"previous")
    with pytest.raises(RuntimeError), replacing(path) as tmp:
        assert tmp.suffix == ".npz" and tmp.parent == path.parent
        tmp.write_bytes(b"half a fi")
        raise RuntimeError("crash mid-write")
    assert path.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.npz"]


def test_write_text_replaces_the_file(tmp_path):
    path = tmp_path / "model.json"
    write_text(path, "{}\n")
    write_text(path, '{"a": 1}\n')
    assert path.read_text() == '{"a": 1}\n' and sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
