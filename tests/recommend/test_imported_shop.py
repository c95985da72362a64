"""A shop's own data end to end: import from files → fit → recommend → similar → studio → eval recommend.

The H&M-layout shop is written here: 90 articles (some with photos, some text only), 60 customers
who each favour one product type, five weeks of transactions, and articles first sold in the
last week (the new items). MovieLens-100k (the recbole wheel's files) goes through the generic
importer the same way.
"""

import io
import json
from datetime import date, timedelta

import numpy as np
import pytest
from PIL import Image

from vitrine.storage.store import Store
from vitrine.cli import main

TYPES = ["Trousers", "Sweater", "Dress", "Sneakers", "Bag", "Coat"]
COLOURS = {"Black": (20, 20, 20), "White": (240, 240, 240), "Red": (200, 30, 30), "Blue": (30, 60, 200)}


def _jpeg(rgb) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 32), rgb).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def hm_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hm")
    rng = np.random.default_rng(0)
    articles = ["article_id,product_code,prod_name,product_type_name,graphical_appearance_name,"
                "colour_group_name,detail_desc"]
    kinds = {}
    for k in range(90):
        aid = f"0{100000000 + k:09d}"
        kind, colour = TYPES[k % len(TYPES)], list(COLOURS)[k % len(COLOURS)]
        kinds[aid] = kind
        articles.append(f"{aid},{aid[:7]},{colour} {kind.lower()} {k},{kind},Solid,{colour},"
                        f"\"A {colour.lower()} {kind.lower()}, item {k}\"")
        if k % 3:  # two in three articles have a photo; the rest are text only
            (folder / "images" / aid[:3]).mkdir(parents=True, exist_ok=True)
            (folder / "images" / aid[:3] / f"{aid}.jpg").write_bytes(_jpeg(COLOURS[colour]))
    (folder / "articles.csv").write_text("\n".join(articles) + "\n")
    customers = ["customer_id,FN,Active,club_member_status,fashion_news_frequency,age,postal_code"]
    customers += [f"c{u:03d},,,ACTIVE,NONE,{20 + u % 40},p{u}" for u in range(60)]
    (folder / "customers.csv").write_text("\n".join(customers) + "\n")
    start = date(2020, 8, 1)
    ids = sorted(kinds)
    old, new = ids[:78], ids[78:]  # the last 12 articles go on sale in the final week
    rows = ["t_dat,customer_id,article_id,price,sales_channel_id"]
    for day in range(35):
        for u in range(60):
            if rng.random() < 0.35:
                pool = old + (new if day >= 28 else [])
                favourite = [a for a in pool if kinds[a] == TYPES[u % len(TYPES)]]
                aid = rng.choice(favourite) if rng.random() < 0.8 else rng.choice(pool)
                rows.append(f"{start + timedelta(days=day)},c{u:03d},{aid},0.0{rng.integers(10, 99)},2")
    (folder / "transactions_train.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_hm_shop_fit_recommend_similar_eval(hm_folder, tiny_pipeline_dir, tmp_path, capsys):
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["import", "hm", str(hm_folder), "--report", str(tmp_path / "import.json")]) == 0
    report = json.loads((tmp_path / "import.json").read_text())
    assert report["split"]["new_items"] == 12 and report["images"] == 60
    store = Store(tmp_path / "data")
    assert len(store.new_item_ids()) == 12

    model = str(tmp_path / "rec")
    assert main(data + ["fit", "--epochs", "2", "--dim", "8", "--cf-factors", "4", "--out", model]) == 0
    assert main(data + ["recommend", "c001", "-k", "5", "--recommender", model]) == 0
    out = capsys.readouterr().out
    assert "top 5 for c001" in out
    assert main(data + ["similar", "0100000001", "-k", "3", "--recommender", model]) == 0
    assert "items like 0100000001" in capsys.readouterr().out

    # the studio on an imported shop: a design, a launch, previews for the items without a photo
    tiny = ["--model", str(tiny_pipeline_dir), "--steps", "1"]
    assert main(data + ["studio", "design", "c001", "-n", "2", "--prompts", "2", "--per-prompt", "1",
                        "--recommender", model, "-o", str(tmp_path / "d.png")] + tiny) == 0
    assert "2 designs for c001" in capsys.readouterr().out
    assert main(data + ["studio", "launch", "a red striped dress", "-n", "1", "--audience", "3", "--recommender",
                        model, "-o", str(tmp_path / "l.png")] + tiny) == 0
    assert "audience: 3 shoppers" in capsys.readouterr().out
    without = len(store.items_without_picture())
    assert main(data + ["studio", "previews", "-n", "1", "-o", str(tmp_path / "p.png")] + tiny) == 0
    assert (f"{without:,} previews stored" if without else "nothing to do") in capsys.readouterr().out
    assert store.items_without_picture() == [] and store.check().problems == 0

    out_dir = tmp_path / "report"
    assert main(data + ["eval", "recommend", "--quick", "--out", str(out_dir)]) == 0
    result = json.loads((out_dir / "metrics.json").read_text())
    models = {r["model"] for r in result["rows"]}
    assert "ALS (implicit)" in models and not any("oracle" in m for m in models)  # no true preferences here
    assert result["new_items"] == 12
    new_rows = [r for r in result["rows"] if r.get("segment") == "new items"]
    assert new_rows, "new items are scored"


def test_movielens_through_the_generic_importer(tmp_path, capsys):
    from vitrine.recommend.movielens import recbole_file
    try:
        inter = recbole_file()
    except FileNotFoundError:
        pytest.skip("the recbole wheel's MovieLens-100k files are not installed")
    lines = inter.read_text().splitlines()[1:20001]  # the first 20,000 ratings keep the test quick
    item_file = inter.with_suffix(".item")
    titles = {}
    for line in item_file.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        parts = line.split("\t")
        titles[parts[0]] = parts[1].replace('"', "'")
    shop = tmp_path / "ml"
    shop.mkdir()
    used = sorted({line.split("\t")[1] for line in lines}, key=int)
    (shop / "items.csv").write_text("item_id,title\n" + "".join(f'{i},"{titles.get(i, i)}"\n' for i in used))
    (shop / "interactions.csv").write_text("user_id,item_id,event,timestamp,value\n" + "".join(
        f"{u},{i},rating,{t.split('.')[0]},{r}\n" for u, i, r, t in (line.split("\t") for line in lines)))
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["import", "generic", str(shop), "--test-days", "30", "--valid-days", "30"]) == 0
    model = str(tmp_path / "rec")
    assert main(data + ["fit", "--epochs", "1", "--dim", "8", "--cf-factors", "4", "--out", model]) == 0
    user = lines[0].split("\t")[0]
    assert main(data + ["recommend", user, "-k", "3", "--recommender", model]) == 0
    assert f"top 3 for {user}" in capsys.readouterr().out
