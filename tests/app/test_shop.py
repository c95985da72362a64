"""The default shop's helpers: a sample exported in the generic layout imports back whole; a failed
import into a new folder leaves no empty store behind."""

from vitrine.cli import main
from vitrine.storage.store import Store


def test_an_exported_sample_imports_back_with_its_photos_and_events(shop, tmp_path, capsys):
    out = tmp_path / "myshop"
    assert main(["--data-dir", str(shop.data_dir), "-q", "catalog", "export", str(out), "--items", "40"]) == 0
    assert "exported 40 items (40 photos)" in capsys.readouterr().out
    assert main(["--data-dir", str(shop.data_dir), "-q", "catalog", "export", str(out)]) == 2  # not empty: refused
    assert "error: FOLDER:" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path / "mine"), "-q", "import", "generic", str(out)]) == 0
    mine = Store(tmp_path / "mine", create=False)
    events = sum(1 for line in (out / "interactions.csv").read_text().splitlines()[1:] if line)
    assert mine.holdings()["items"] == 40 and len(mine.main_photos()) == 40
    assert sum(mine.event_counts().values()) == events > 0


def test_a_failed_import_into_a_new_folder_leaves_no_store(tmp_path, capsys):
    new = tmp_path / "new"
    assert main(["--data-dir", str(new), "import", "generic", str(tmp_path / "missing")]) == 2
    assert not new.exists() and "import failed" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "items.csv").write_text("item_id,title\n1,A\n2,\n")  # the second row has no title
    assert main(["--data-dir", str(new), "import", "generic", str(bad), "--strict"]) == 2
    assert not new.exists()
