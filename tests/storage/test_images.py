"""Image batches of several processes at once: one batch ending (and tidying the folders it left
empty) while another is about to write into them never makes the other fail."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from vitrine.storage.images import PENDING_DIR, ImageStore, encode_png


def _remove_once_after_mkdir(monkeypatch, name: str, remove) -> list[Path]:
    """Path.mkdir that, the first time it makes a folder called `name`, calls `remove(folder)`
    just after: the moment another process's batch ends and removes the empty folder."""
    real_mkdir = Path.mkdir
    removed: list[Path] = []

    def mkdir(self, *args, **kwargs):
        real_mkdir(self, *args, **kwargs)
        if self.name == name and not removed:
            removed.append(self)
            remove(self)
    monkeypatch.setattr(Path, "mkdir", mkdir)
    return removed


def test_a_journal_survives_another_batch_removing_the_pending_folder(tmp_path, monkeypatch):
    images = ImageStore(tmp_path)

    def another_batch_comes_and_goes(folder: Path) -> None:  # its journal in .pending/, then removed
        other = images.batch().__enter__()
        other.put(encode_png(np.zeros((4, 4, 3), np.uint8)))
        other.finish()
    removed = _remove_once_after_mkdir(monkeypatch, PENDING_DIR, another_batch_comes_and_goes)
    with images.batch() as batch:
        stored = batch.put(encode_png(np.full((4, 4, 3), 9, np.uint8)))
        assert batch.journal.is_file()
    assert removed and (tmp_path / stored.path).is_file()


def test_a_picture_survives_another_batch_removing_its_folder(tmp_path, monkeypatch):
    images = ImageStore(tmp_path)
    data = encode_png(np.full((4, 4, 3), 200, np.uint8))
    with images.batch() as probe:  # where this picture goes, then the store emptied again
        folder = (tmp_path / probe.put(data).path).parent
        probe.rollback()
    removed = _remove_once_after_mkdir(monkeypatch, folder.name, lambda made: made.rmdir())
    with images.batch() as batch:
        stored = batch.put(data)
    assert removed == [folder] and (tmp_path / stored.path).read_bytes() == data


def test_a_folder_removed_inside_mkdir_is_made_again(tmp_path, monkeypatch):
    def gone(folder: Path) -> None:  # pathlib's mkdir saw the folder exist, then found it gone
        folder.rmdir()
        raise FileExistsError(17, "File exists", str(folder))
    removed = _remove_once_after_mkdir(monkeypatch, PENDING_DIR, gone)
    with ImageStore(tmp_path).batch() as batch:
        stored = batch.put(encode_png(np.full((4, 4, 3), 5, np.uint8)))
    assert removed and (tmp_path / stored.path).is_file()


def test_listing_journals_while_another_batch_removes_their_folder_finds_none(tmp_path, monkeypatch):
    """The folder is there when looked for and gone when listed: another process's last journal
    ended in between (a 500 on event posts that the soak found)."""
    import os
    images = ImageStore(tmp_path)
    (tmp_path / "images" / PENDING_DIR).mkdir(parents=True)
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == PENDING_DIR:
            Path(path).rmdir()
        return real_scandir(path)
    monkeypatch.setattr(os, "scandir", scandir)
    assert images.pending_journals() == []


def test_two_processes_writing_batches_for_two_seconds_never_fail():
    script = Path(__file__).resolve().parents[2] / "scripts" / "concurrent_images.py"
    result = subprocess.run([sys.executable, str(script), "--seconds", "2"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert " 0 failed (0.00%)" in result.stdout
