"""Garbage in: the importer either reports and skips, or fails cleanly; the store is never corrupted."""

import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitrine.catalog.importers import ImportFailed, run_import, source_for

from .conftest import snapshot

HEADERS = ["item_id,title,price,image\n", "user_id,item_id,event,timestamp,value\n", ""]
cells = st.one_of(st.text(max_size=30), st.sampled_from(["", "NaN", "inf", "-1", "1e400", "$", "007", "\x00"]))
rows = st.lists(st.lists(cells, min_size=0, max_size=6).map(",".join), max_size=8).map("\n".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items_header=st.sampled_from(HEADERS), items_body=rows, events_header=st.sampled_from(HEADERS),
       events_body=rows, raw=st.binary(max_size=64), strict=st.booleans())
def test_garbage_never_corrupts_the_store(tmp_path, seeded_store, items_header, items_body, events_header,
                                           events_body, raw, strict):
    folder = tmp_path / "garbage"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "images").mkdir(parents=True)
    (folder / "items.csv").write_bytes(items_header.encode() + items_body.encode("utf-8", "surrogatepass")
                                       + raw[:8])
    (folder / "interactions.csv").write_bytes(events_header.encode() + events_body.encode("utf-8", "surrogatepass"))
    (folder / "images" / "x.png").write_bytes(raw)
    before = snapshot(seeded_store)
    try:
        report = run_import(seeded_store, source_for("generic", folder), strict=strict, progress=False)
    except ImportFailed as exc:
        assert exc.problem.file  # the error names its file
        assert snapshot(seeded_store) == before
        return
    after = snapshot(seeded_store)
    for name, rows_before in before["tables"].items():
        if name in ("items", "item_images", "meta"):
            continue  # an import may update an item with the same ID, and records itself in meta
        assert set(rows_before) <= set(after["tables"][name]), name
    assert set(before["files"]) <= set(after["files"])
    assert report.items + len(report.skipped_rows) >= 0
    with seeded_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
