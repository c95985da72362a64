import pytest
from sqlalchemy import select

from vitrine.storage import schema
from vitrine.catalog.importers import ImportFailed, run_import, source_for

from .conftest import snapshot


def test_generic_import_loads_good_rows_and_reports_bad_ones(generic_dir, store):
    report = run_import(store, source_for("generic", generic_dir), progress=False)
    assert report.items == 3  # 007, 008, 009 (its photo is unreadable, the item still imports)
    assert report.events == 4
    assert report.images == 2
    problems = [str(p) for p in report.skipped_rows]
    assert any("items.csv:5: item_id: required value is empty" in p for p in problems)
    assert any("items.csv:6: price: not a price: 'cheap'" in p for p in problems)
    assert any("interactions.csv:6: item_id: unknown item '999'" in p for p in problems)
    assert any("interactions.csv:7: event: unknown event 'teleport'" in p for p in problems)
    assert any("interactions.csv:8: timestamp: not a time" in p for p in problems)
    assert len(report.unreadable_images) == 1 and "broken.png" in str(report.unreadable_images[0])
    with store.engine.connect() as conn:
        item = conn.execute(select(schema.Item.__table__).where(schema.Item.__table__.c.id == "007")).one()
        events = conn.execute(select(schema.Interaction.__table__.c.event)
                              .order_by(schema.Interaction.__table__.c.ts)).scalars().all()
    assert item.price == 12.5 and item.colour == "red" and item.attributes == {"season": "summer"}
    assert sorted(events) == ["cart", "purchase", "view", "view"]


def test_ids_stay_strings_with_leading_zeros(generic_dir, store):
    run_import(store, source_for("generic", generic_dir), progress=False)
    assert {"007", "008"} <= {r.id for r in store.item_rows(("id",))}


def test_strict_aborts_and_leaves_the_store_exactly_as_before(generic_dir, seeded_store):
    before = snapshot(seeded_store)
    with pytest.raises(ImportFailed, match="items.csv:4: image"):
        run_import(seeded_store, source_for("generic", generic_dir), strict=True, progress=False)
    assert snapshot(seeded_store) == before


def test_missing_required_column_is_fatal_and_named(tmp_path, seeded_store):
    (tmp_path / "items.csv").write_text("sku,name\n1,x\n")
    before = snapshot(seeded_store)
    with pytest.raises(ImportFailed, match=r"items.csv:1: item_id: required column missing"):
        run_import(seeded_store, source_for("generic", tmp_path), progress=False)
    assert snapshot(seeded_store) == before


def test_reimport_updates_items_instead_of_duplicating(generic_dir, store):
    run_import(store, source_for("generic", generic_dir), progress=False)
    text = (generic_dir / "items.csv").read_text().replace("Red Tee", "Red Tee v2")
    (generic_dir / "items.csv").write_text(text)
    run_import(store, source_for("generic", generic_dir), progress=False)
    with store.engine.connect() as conn:
        titles = conn.execute(select(schema.Item.__table__.c.title)).scalars().all()
    assert titles.count("Red Tee v2") == 1 and "Red Tee" not in titles


def test_image_paths_cannot_leave_the_image_folder(tmp_path, store):
    (tmp_path / "images").mkdir()
    (tmp_path / "items.csv").write_text("item_id,title,image\n1,x,../../etc/passwd\n")
    report = run_import(store, source_for("generic", tmp_path), progress=False)
    assert report.items == 0 and "leaves the image folder" in str(report.skipped_rows[0])


def test_jsonl_items(tmp_path, store):
    from .conftest import write_jsonl
    write_jsonl(tmp_path / "items.jsonl", [{"item_id": "a", "title": "A", "price": 3}, "not json", [1, 2]])
    report = run_import(store, source_for("generic", tmp_path), progress=False)
    assert report.items == 1 and len(report.skipped_rows) == 2


def test_nul_bytes_in_image_paths_or_ids_are_row_errors(tmp_path, store):
    # Found by test_garbage's fuzzing: os.path.realpath raised ValueError on a NUL byte in a path.
    (tmp_path / "images").mkdir()
    (tmp_path / "items.csv").write_text("item_id,title,image\n1,x,a\x00b.png\n2\x00,y,\n3,z,\n")
    report = run_import(store, source_for("generic", tmp_path), progress=False)
    assert report.items == 1  # item 3
    nul_path, nul_id = report.skipped_rows
    assert (nul_path.line, nul_path.field, nul_path.message) == (2, "image", "path contains a NUL byte")
    assert (nul_id.line, nul_id.field) == (3, "item_id")
