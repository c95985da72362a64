"""H&M, Amazon Reviews 2023 and RetailRocket layouts, on small hand-written files."""

import json

import pytest
from sqlalchemy import select

from vitrine.storage import schema
from vitrine.catalog.importers import ImportFailed, run_import, source_for

from .conftest import jpeg_bytes, snapshot, write_jsonl


def _items(store):
    with store.engine.connect() as conn:
        return {r.id: r for r in conn.execute(select(schema.Item.__table__)).all()}


def test_hm_layout(tmp_path, store):
    (tmp_path / "articles.csv").write_text(
        "article_id,product_code,prod_name,product_type_name,product_group_name,graphical_appearance_name,"
        "colour_group_name,perceived_colour_master_name,department_name,index_name,section_name,"
        "garment_group_name,detail_desc\n"
        "0108775015,0108775,Strap top,Vest top,Garment Upper body,Solid,Black,Black,Jersey Basic,"
        "Ladieswear,Womens Everyday Basics,Jersey Basic,Jersey top with narrow shoulder straps.\n"
        "0110065001,0110065,OP T-shirt(Idro),Bra,Underwear,Solid,White,White,Clean Lingerie,"
        "Lingeries/Tights,Womens Lingerie,\"Under-, Nightwear\",\"Microfibre T-shirt bra, underwired\"\n")
    (tmp_path / "customers.csv").write_text(
        "customer_id,FN,Active,club_member_status,fashion_news_frequency,age,postal_code\n"
        "c1,1.0,1.0,ACTIVE,Regularly,49,abc\nc2,,,ACTIVE,NONE,25,def\n")
    (tmp_path / "transactions_train.csv").write_text(
        "t_dat,customer_id,article_id,price,sales_channel_id\n"
        "2018-09-20,c1,0108775015,0.0508,2\n"
        "2018-09-20,c2,110065001,0.0305,1\n"          # leading zero lost: restored
        "2018-09-21,c3,0108775015,0.05,2\n"           # customer not in customers.csv: created
        "2018-13-01,c1,0108775015,0.05,2\n")          # bad date
    (tmp_path / "images" / "010").mkdir(parents=True)
    (tmp_path / "images" / "010" / "0108775015.jpg").write_bytes(jpeg_bytes())
    report = run_import(store, source_for("hm", tmp_path), progress=False)
    items = _items(store)
    assert set(items) == {"0108775015", "0110065001"}
    assert items["0108775015"].category == "Vest top" and items["0108775015"].colour == "Black"
    assert items["0110065001"].attributes["garment_group_name"] == "Under-, Nightwear"
    assert report.events == 3 and report.images == 1 and report.users == 3
    assert "t_dat: not a date" in str(report.skipped_rows[0])
    with store.engine.connect() as conn:
        user = conn.execute(select(schema.User.__table__).where(schema.User.__table__.c.id == "c1")).one()
    assert user.attributes["club_member_status"] == "ACTIVE"


def test_amazon_reviews_2023_layout(tmp_path, store):
    write_jsonl(tmp_path / "meta_All_Beauty.jsonl", [
        {"main_category": "All Beauty", "title": "Howard LC0008 Leather Conditioner", "average_rating": 4.8,
         "rating_number": 10, "features": ["Restores leather"], "description": ["For furniture."],
         "price": "$14.99", "images": [{"thumb": "t.jpg", "large": "l.jpg", "variant": "MAIN", "hi_res": None}],
         "store": "Howard Products", "categories": [], "details": json.dumps({"Color": "Brown"}),
         "parent_asin": "B01CUPMQZE"},
        {"title": "No price", "price": "None", "parent_asin": "B000000002", "details": "{not json"},
        {"title": "Second", "price": 5, "parent_asin": "B000000003"},
    ])
    write_jsonl(tmp_path / "All_Beauty.jsonl", [
        {"rating": 5.0, "title": "Great", "text": "works", "images": [], "asin": "B01CUPMQZE",
         "parent_asin": "B01CUPMQZE", "user_id": "AGKHLEW2SOWHNMFQIJGBECAF7INQ", "timestamp": 1588687728923,
         "helpful_vote": 0, "verified_purchase": True},
        {"rating": 9, "parent_asin": "B01CUPMQZE", "user_id": "u2", "timestamp": 1588687728923},
        {"rating": 3, "parent_asin": "NOPE", "user_id": "u2", "timestamp": 1588687728923},
    ])
    report = run_import(store, source_for("amazon", tmp_path), progress=False)
    items = _items(store)
    item = items["B01CUPMQZE"]
    assert item.price == 14.99 and item.brand == "Howard Products" and item.colour == "Brown"
    assert item.attributes["image_urls"] == ["l.jpg"]
    assert "Restores leather" in item.description
    assert report.items == 2 and report.events == 1
    reasons = " | ".join(map(str, report.skipped_rows))
    assert "meta_All_Beauty.jsonl:2: details: not a JSON object string" in reasons
    assert "All_Beauty.jsonl:2: rating" in reasons and "unknown item 'NOPE'" in reasons


def test_retailrocket_layout(tmp_path, store):
    (tmp_path / "events.csv").write_text(
        "timestamp,visitorid,event,itemid,transactionid\n"
        "1433221332117,257597,view,355908,\n"
        "1433224214164,992329,addtocart,248676,\n"
        "1433221999827,111016,transaction,248676,4000\n"
        "1433221999827,111016,refund,248676,\n")
    (tmp_path / "item_properties_part1.csv").write_text(
        "timestamp,itemid,property,value\n"
        "1435460400000,248676,categoryid,1338\n1431226800000,248676,categoryid,1\n"
        "1431226800000,355908,790,n1\n")
    report = run_import(store, source_for("retailrocket", tmp_path), progress=False)
    items = _items(store)
    assert set(items) == {"355908", "248676"} and items["248676"].category == "category 1338"
    assert store.event_counts() == {"view": 1, "cart": 1, "purchase": 1}
    assert report.users == 3 and "unknown event 'refund'" in str(report.skipped_rows[0])


@pytest.mark.parametrize("kind", ["hm", "amazon", "retailrocket", "generic"])
def test_missing_files_fail_clearly_and_change_nothing(kind, tmp_path, seeded_store):
    before = snapshot(seeded_store)
    with pytest.raises(ImportFailed):
        run_import(seeded_store, source_for(kind, tmp_path / "empty"), progress=False)
    assert snapshot(seeded_store) == before
