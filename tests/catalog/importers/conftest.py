"""Small files in each supported layout, written by the tests themselves."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from vitrine.storage import schema
from vitrine.storage.store import Store


def jpeg_bytes(colour=(200, 30, 30), size=(16, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def snapshot(store: Store) -> dict:
    """Every row of every table, and every file under the data dir, for before/after comparison."""
    tables = {}
    with store.engine.connect() as conn:
        for table in schema.Base.metadata.sorted_tables:
            tables[table.name] = sorted(map(repr, conn.execute(table.select()).all()))
    files = sorted(str(p.relative_to(store.data_dir)) for p in store.data_dir.rglob("*")
                   if p.is_file() and "images" in p.parts)
    return {"tables": tables, "files": files}


@pytest.fixture
def generic_dir(tmp_path):
    folder = tmp_path / "shop"
    (folder / "images").mkdir(parents=True)
    (folder / "items.csv").write_text(
        "item_id,title,description,category,color,pattern,brand,price,image,season\n"
        "007,Red Tee,A red tee,t-shirt,red,solid,Acme,$12.50,tee.jpg,summer\n"
        "008,Blue Jeans,,trousers,blue,,Acme,49,,\n"
        "009,Broken Photo,,bag,,,,,broken.png,\n"
        ",No Id,,,,,,,,\n"
        "010,Bad Price,,bag,,,,cheap,,\n")
    (folder / "images" / "tee.jpg").write_bytes(jpeg_bytes())
    (folder / "images" / "008.png").write_bytes(jpeg_bytes((0, 0, 200)))  # found by item id
    (folder / "images" / "broken.png").write_bytes(b"\x89PNG not really")
    (folder / "interactions.csv").write_text(
        "user_id,item_id,event,timestamp,value\n"
        "alice,007,view,2026-03-01T10:00:00,\n"
        "alice,007,addtocart,2026-03-01T10:01:00,\n"
        "alice,007,purchase,1772359320000,12.5\n"
        "bob,008,click,1772359320,\n"
        "bob,999,view,2026-03-02T10:00:00,\n"
        "bob,008,teleport,2026-03-02T10:00:00,\n"
        "carol,008,view,yesterday,\n")
    return folder


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


