"""Nothing lost, nothing half-written: each case here lost or corrupted data before it was fixed."""

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from vitrine.storage import schema
from vitrine.storage.images import encode_png
from vitrine.catalog.importers import ImportFailed, run_import, source_for
from vitrine.catalog.importers.base import RowError, price
from vitrine.storage.store import Store
from vitrine.cli import main

from .importers.conftest import jpeg_bytes, snapshot


def _shop(folder, items="item_id,title\nx1,A thing\n", events=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "items.csv").write_text(items)
    if events is not None:
        (folder / "interactions.csv").write_text(events)
    return folder


@pytest.fixture
def default_shop(tmp_path, fmnist_dir):
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["catalog", "build", "--fashion-dir", str(fmnist_dir)]) == 0
    assert main(data + ["shoppers", "simulate", "--users", "30"]) == 0
    return Store(tmp_path / "data"), data


# ---- rebuilds do not silently replace a shop's own data ------------------------------------------

def test_shoppers_simulate_refuses_to_replace_imported_events(tmp_path, default_shop, capsys):
    store, data = default_shop
    shop = _shop(tmp_path / "shop", "item_id,title\nz1,Zed\n",
                 "user_id,item_id,event,timestamp\nann,z1,view,2026-01-01T00:00:00\n")
    assert main(data + ["import", "generic", str(shop)]) == 0
    events = sum(store.event_counts().values())
    assert main(data + ["shoppers", "simulate", "--users", "30"]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "1 imported users" in err and f"{events:,} events" in err
    assert sum(store.event_counts().values()) == events  # nothing replaced
    assert main(data + ["shoppers", "simulate", "--users", "30", "--force"]) == 0


# ---- another source's item is never overwritten silently ------------------------------------------

def test_an_item_of_another_source_is_skipped_unless_update(tmp_path, default_shop, capsys):
    store, data = default_shop
    new_ids = store.new_item_ids()
    target = new_ids[0]  # a simulated new item: its flag must survive
    before = store.item_rows(("id", "title", "attributes", "is_new", "source"), ids=[target])[0]
    shop = _shop(tmp_path / "shop", f"item_id,title,season\n{target},Renamed,winter\n")
    assert main(data + ["import", "generic", str(shop)]) == 0
    out = capsys.readouterr().out
    assert "already exists from fashion-mnist; pass --update" in out
    assert store.item_rows(("id", "title", "attributes", "is_new", "source"), ids=[target])[0] == before

    assert main(data + ["import", "generic", str(shop), "--update"]) == 0
    out = capsys.readouterr().out
    assert f"updated {target}: title:" in out and "'Renamed'" in out
    after = store.item_rows(("id", "title", "attributes", "is_new", "source"), ids=[target])[0]
    assert after.title == "Renamed" and after.is_new and after.source == "fashion-mnist"
    assert after.attributes == {**before.attributes, "season": "winter"}  # merged, not cleared


# ---- CSV that a lenient reader mangles -----------------------------------------------------------

def test_an_unterminated_quote_names_the_line_it_opened_on(tmp_path, store):
    shop = _shop(tmp_path / "shop", 'item_id,title\n1,Fine\n2,"Open quote\n3,C\n4,D\n')
    with pytest.raises(ImportFailed, match=r"items.csv:3: a quoted field opens on this line and is never closed"):
        run_import(store, source_for("generic", shop), progress=False)
    assert store.count(schema.Item.__table__) == 0


def test_a_row_with_more_fields_than_the_header_is_reported(tmp_path, store):
    shop = _shop(tmp_path / "shop", "item_id,title,price\n1,Tee,12,99\n2,Hat,\"12,99\"\n")
    report = run_import(store, source_for("generic", shop), progress=False)
    assert report.items == 1 and "items.csv:2" in str(report.skipped_rows[0])
    assert store.item_rows(("id", "price"))[0].price == 12.99


def test_non_utf8_bytes_are_reported_at_their_line(tmp_path, store):
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "items.csv").write_bytes(b"item_id,title\n" + b"".join(b"%d,Item\n" % i for i in range(2000))
                                     + b"x,Caf\xe9\n")
    with pytest.raises(ImportFailed, match=r"items.csv:2002: not valid UTF-8"):
        run_import(store, source_for("generic", shop), progress=False)


@pytest.mark.parametrize("text,value", [
    ("12.99", 12.99), ("12,99", 12.99), ("1.299,00", 1299.0), ("1,299.00", 1299.0), ("12.99 €", 12.99),
    ("€12,99", 12.99), ("$1,299,000", 1299000.0), ("EUR 12,99", 12.99), ("12,99 USD", 12.99), ("1 299,50", 1299.5),
    ("1'299.00", 1299.0), ("0,299", 0.299), (" 7 ", 7.0), (5, 5.0), ("", None), ("None", None)])
def test_shop_price_formats(text, value):
    assert price(text) == value


@pytest.mark.parametrize("text", ["1,299", "12.99.1", "cheap", "-5", "1e400", "12 99", "$", "1,2,3", "nan%"])
def test_prices_that_cannot_be_read_for_sure_are_row_errors(text):
    with pytest.raises(RowError):
        price(text)


# ---- output paths are checked before anything is stored ------------------------------------------

def test_a_report_path_that_cannot_be_written_fails_before_the_import(tmp_path, capsys):
    shop = _shop(tmp_path / "shop", events="user_id,item_id,event,timestamp\nann,x1,view,2026-01-01T00:00:00\n")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    for bad in (a_file / "r.json", tmp_path, tmp_path / "r.txt"):
        assert main(data + ["import", "generic", str(shop), "--report", str(bad)]) == 2
        assert "--report" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()  # nothing stored, not even an empty store
    # a folder that does not exist yet is created: the import and its report land once
    report = tmp_path / "new" / "folder" / "r.json"
    assert main(data + ["import", "generic", str(shop), "--report", str(report)]) == 0
    assert json.loads(report.read_text())["events"] == 1
    assert sum(Store(tmp_path / "data").event_counts().values()) == 1


# ---- a killed load leaves no orphan files ---------------------------------------------------------

def _images_shop(folder, n=400):
    (folder / "images").mkdir(parents=True)
    lines = ["item_id,title"]
    for i in range(n):
        (folder / "images" / f"p{i}.png").write_bytes(encode_png(
            __import__("numpy").full((64, 64, 3), (i * 7 % 256, i % 256, 50), dtype="uint8")))
        lines.append(f"p{i},Photo {i}")
    (folder / "items.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_kill_9_mid_import_leaves_nothing_after_the_next_load(tmp_path):
    shop = _images_shop(tmp_path / "shop")
    data = tmp_path / "data"
    Store(data)  # exists before, as a user's store would
    slow = ("import sys, time; import vitrine.storage.images as im; put = im.ImageBatch.put_verified\n"
            "def slow(self, *a):\n    time.sleep(0.01); return put(self, *a)\n"
            "im.ImageBatch.put_verified = slow\n"
            "from vitrine.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.Popen([sys.executable, "-c", slow, "--data-dir", str(data), "-q", "import", "generic", str(shop)])
    pending = data / "images" / ".pending"
    for _ in range(600):
        journals = list(pending.glob("*.txt")) if pending.exists() else []
        if journals and journals[0].read_text().count("\n") > 40:
            break
        __import__("time").sleep(0.05)
    proc.kill()
    proc.wait()
    store = Store(data)
    found = store.check()
    assert found.orphan_files and found.stale_journals and store.count(schema.Item.__table__) == 0
    # the next load sweeps the dead load's files before it starts
    with store.loading():
        pass
    assert store.check().problems == 0
    assert not [p for p in (data / "images").rglob("*") if p.is_file()]


def test_store_check_reports_and_repairs(tmp_path, capsys):
    store = Store(tmp_path / "data")
    with store.loading() as load:
        kept = load.images.put(jpeg_bytes())
        lost = load.images.put(jpeg_bytes((0, 0, 250)))
        load.insert(schema.Item, [{"id": "a", "title": "A", "source": "t", "attributes": {}},
                                  {"id": "b", "title": "B", "source": "t", "attributes": {}}])
        load.attach_images([("a", kept, 0), ("b", lost, 0)])
    store.images.resolve(lost.path).unlink()                     # a missing file
    orphan = store.data_dir / "images" / "ff" / "ff" / ("f" * 64 + ".png")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")                                     # an orphan
    data = ["--data-dir", str(store.data_dir)]
    assert main(data + ["store", "check"]) == 1
    out = capsys.readouterr().out
    assert "orphan image file" in out and "missing file" in out and lost.path in out and "database checks: ok" in out
    assert main(data + ["store", "check", "--repair"]) == 1      # the missing file cannot be repaired
    assert not orphan.exists() and store.images.resolve(kept.path).exists()
    assert store.check().orphan_files == []


def test_a_rebuild_deletes_the_photos_it_replaced(tmp_path, fmnist_dir):
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["catalog", "build", "--fashion-dir", str(fmnist_dir)]) == 0
    assert main(data + ["catalog", "build", "--fashion-dir", str(fmnist_dir), "--seed", "1"]) == 0
    assert Store(tmp_path / "data").check().problems == 0


# ---- permissions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_image_files_follow_the_umask(tmp_path, umask, mode):
    store = Store(tmp_path / "data")
    old = os.umask(umask)
    try:
        with store.loading() as load:
            image = load.images.put(jpeg_bytes())
    finally:
        os.umask(old)
    assert store.images.resolve(image.path).stat().st_mode & 0o777 == mode


# ---- concurrency ---------------------------------------------------------------------------------

def test_two_imports_at_once_both_land_or_one_says_busy(tmp_path):
    data = tmp_path / "data"
    Store(data)
    shops = []
    for k in range(2):
        rows = "".join(f"u{k},i{k}-{i},view,{1_700_000_000 + i}\n" for i in range(3000))
        items = "item_id,title\n" + "".join(f"i{k}-{i},Item {i}\n" for i in range(3000))
        shops.append(_shop(tmp_path / f"shop{k}", items, "user_id,item_id,event,timestamp\n" + rows))
    env = {**os.environ, "VITRINE_BUSY_TIMEOUT": "60"}
    procs = [subprocess.Popen([sys.executable, "-m", "vitrine", "--data-dir", str(data), "-q", "import", "generic",
                               str(shop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for shop in shops]
    results = [(p.wait(), p.stdout.read(), p.stderr.read()) for p in procs]
    store = Store(data)
    landed = [r for r in results if r[0] == 0]
    for code, _out, err in results:
        assert code in (0, 2) and "Traceback" not in err
        if code == 2:
            assert "busy" in err
    assert sum(store.event_counts().values()) == 3000 * len(landed) and landed
    assert store.check().problems == 0


def test_snapshot_helper_sees_every_table(seeded_store):
    assert set(snapshot(seeded_store)["tables"]) == {t.name for t in schema.Base.metadata.sorted_tables}
    with seeded_store.engine.connect() as conn:
        assert conn.execute(select(schema.Item.__table__.c.id)).scalars().all() == ["keep-1"]


def test_a_semicolon_separated_file_is_named_as_such(tmp_path, store):
    shop = _shop(tmp_path / "shop", "item_id;title;price\n1;Tee;12,99\n")
    with pytest.raises(ImportFailed, match="semicolon-separated"):
        run_import(store, source_for("generic", shop), progress=False)


def test_after_a_forced_resimulation_the_next_one_needs_no_force(tmp_path, default_shop, capsys):
    store, data = default_shop
    shop = _shop(tmp_path / "shop", "item_id,title\nz1,Zed\n",
                 "user_id,item_id,event,timestamp\nann,z1,view,2026-01-01T00:00:00\n")
    assert main(data + ["import", "generic", str(shop)]) == 0
    assert main(data + ["shoppers", "simulate", "--users", "30", "--force"]) == 0
    assert main(data + ["shoppers", "simulate", "--users", "30"]) == 0  # nothing imported is left to lose
    assert main(data + ["catalog", "build", "--fashion-dir", str(tmp_path / "nowhere")]) == 2
    assert "1 generic items" in capsys.readouterr().err  # the imported item still is
