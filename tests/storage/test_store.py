import numpy as np
import pytest
from sqlalchemy import select

from vitrine.storage import schema
from vitrine.catalog.build import build_catalog
from vitrine.storage.images import ImageStore, UnreadableImage, encode_png
from vitrine.catalog.save import save_catalog, save_shopper_log
from vitrine.catalog.shoppers import ShopperConfig, simulate
from vitrine.catalog.splits import new_item_ids, split_of
from vitrine.storage.store import Store


@pytest.fixture
def built_store(tmp_path, tiny_fm, db_url):
    store = Store(tmp_path / "data", db_url)
    catalog = build_catalog(tiny_fm, seed=0, progress=False)
    save_catalog(store, catalog, seed=0, progress=False)
    log = simulate(catalog.category, catalog.colour, catalog.pattern, catalog.price,
                   ShopperConfig(n_users=60, seed=0, new_item_fraction=0.05), progress=False)
    save_shopper_log(store, log, catalog.item_ids, progress=False)
    return store, catalog, log


def test_sqlite_uses_wal(tmp_path):
    store = Store(tmp_path)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_catalog_and_log_round_trip(built_store):
    store, catalog, log = built_store
    assert store.count(schema.Item.__table__) == len(catalog)
    assert sum(store.event_counts().values()) == len(log.event)
    with store.engine.connect() as conn:
        row = conn.execute(select(schema.Item.__table__).where(schema.Item.__table__.c.id == "fm-00003")).one()
        user = conn.execute(select(schema.User.__table__).where(schema.User.__table__.c.id == "u-00000")).one()
    assert row.title == catalog.titles[3] and row.attributes["fmnist_index"] == 3
    assert set(user.true_preferences["colour"]) >= {"red", "navy"}


def test_images_are_files_named_by_content(built_store):
    store, catalog, _ = built_store
    with store.engine.connect() as conn:
        path = conn.execute(select(schema.Image.__table__.c.path)
                            .join(schema.ItemImage.__table__)
                            .where(schema.ItemImage.__table__.c.item_id == "fm-00007")).scalar_one()
    import hashlib
    data = store.images.resolve(path).read_bytes()
    assert data == encode_png(catalog.images[7])
    assert hashlib.sha256(data).hexdigest() in path


def test_split_and_new_items_recorded(built_store):
    store, _, log = built_store
    split = split_of(store)
    assert split.valid_end_ms == log.config.valid_end_ms
    new = new_item_ids(store)
    assert len(new) == len(log.new_items) > 0
    events = store.interactions()
    on_new = np.isin(events["item_id"], new)
    assert (events["ts"][on_new] >= split.valid_end_ms).all()


def test_failed_load_leaves_database_and_files_as_before(tmp_path, db_url):
    store = Store(tmp_path, db_url)
    before_files = sorted(p for p in tmp_path.rglob("*") if "images" in p.parts)
    with pytest.raises(RuntimeError), store.loading() as load:
        load.images.put(encode_png(np.zeros((4, 4, 3), np.uint8)))
        load.insert(schema.Item, [{"id": "x", "title": "t", "source": "test", "attributes": {}}])
        raise RuntimeError("boom")
    assert store.count(schema.Item.__table__) == 0
    assert sorted(p for p in tmp_path.rglob("*") if "images" in p.parts) == before_files


def test_image_store_refuses_garbage_and_escapes(tmp_path):
    images = ImageStore(tmp_path)
    with images.batch() as batch, pytest.raises(UnreadableImage):
        batch.put(b"not an image")
    with pytest.raises(ValueError, match="outside"):
        images.resolve("../../etc/passwd")


def test_log_written_and_read_in_chunks_is_the_whole_log(tmp_path, tiny_fm, monkeypatch):
    import vitrine.catalog.save as save
    monkeypatch.setattr(save, "EVENT_CHUNK", 97)  # several chunks, the last one short
    store = Store(tmp_path / "data")
    catalog = build_catalog(tiny_fm, seed=0, progress=False)
    save_catalog(store, catalog, seed=0, progress=False)
    log = simulate(catalog.category, catalog.colour, catalog.pattern, catalog.price,
                   ShopperConfig(n_users=60, seed=0), progress=False)
    save_shopper_log(store, log, catalog.item_ids, progress=False)
    batches = list(store.interaction_batches(size=50))
    assert len(batches) == -(-len(log.ts) // 50) and all(len(b[3]) <= 50 for b in batches)
    ts = np.concatenate([b[3] for b in batches])
    assert np.array_equal(ts, np.sort(log.ts)) and np.array_equal(ts, store.interactions()["ts"])
    stored = sorted(zip(*(np.concatenate([np.array(b[k], dtype=object) for b in batches]) for k in range(3))))
    expected = sorted(zip((f"u-{u:05d}" for u in log.user), (catalog.item_ids[i] for i in log.item),
                          np.array(log.EVENT_NAMES)[log.event].tolist()))
    assert stored == expected
    assert store.get_meta("shoppers")["events"] == len(log.ts)


def test_listings_filter_by_every_facet_sort_and_count_under_the_other_filters(built_store):
    from collections import Counter

    from vitrine.storage.catalog import ItemFilter
    store, _, _ = built_store
    rows = store.item_rows(("id", "category", "colour", "pattern", "brand", "price"))
    brand = Counter(r.brand for r in rows).most_common(1)[0][0]
    chosen = ItemFilter(category=("dress", "coat"), pattern=("striped", "solid"), brand=(brand,), max_price=200.0)
    wanted = [r for r in rows if r.category in ("dress", "coat") and r.pattern in ("striped", "solid")
              and r.brand == brand and r.price <= 200]
    page, total = store.browse_items(chosen, limit=1000, sort="price")
    assert total == len(wanted) > 0 and {r.id for r in page} == {r.id for r in wanted}
    assert [r.price for r in page] == sorted(r.price for r in wanted)
    dearest, _ = store.browse_items(chosen, limit=1000, sort="-price")
    assert [r.price for r in dearest] == sorted((r.price for r in wanted), reverse=True)
    assert sorted(store.matching_ids(chosen)) == sorted(r.id for r in wanted)
    # a facet's counts follow the other filters, not its own: ticking dress still counts the other categories
    by_category = dict(store.facet_counts("category", chosen))
    expected = Counter(r.category for r in rows if r.pattern in ("striped", "solid") and r.brand == brand
                       and r.price <= 200)
    assert by_category == dict(expected) and set(by_category) > {"dress", "coat"}
    with pytest.raises(ValueError, match="unknown sort"):
        store.browse_items(chosen, sort="cheapest")


def test_a_cart_holds_what_was_added_and_not_bought_since(built_store):
    from vitrine.catalog.importers.base import event_row, user_row
    store, _, _ = built_store
    a, b, c = [r.id for r in store.item_rows(("id",))[:3]]

    def events(*pairs):
        with store.loading() as load:
            if not store.user_exists("cart-tester"):
                load.insert(schema.User, [user_row("cart-tester")])
            load.insert(schema.Interaction, [event_row("cart-tester", item, kind, 1) for item, kind in pairs])

    events((a, "view"), (a, "cart"), (b, "cart"), (c, "view"), (a, "view"))
    assert store.cart("cart-tester") == [b, a]  # latest added first
    assert store.recent_items("cart-tester", "view") == [a, c]  # each item once, by its latest view
    events((a, "purchase"))
    assert store.cart("cart-tester") == [b] and store.recent_items("cart-tester", "purchase") == [a]
    events((a, "cart"))  # added again after buying it
    assert store.cart("cart-tester") == [a, b] and store.cart("cart-tester", limit=1) == [a]
    assert store.cart_size("cart-tester") == 2 and store.cart_size("nobody") == 0
    assert store.purchase_counts()[a] >= 1


def test_detached_photos_are_no_longer_the_items_pictures_and_the_catalog_changes(built_store):
    store, catalog, _ = built_store
    version = store.versions()[0]
    hidden = ["fm-00001", "fm-00004"]
    sha = store.item_pictures(hidden)["fm-00001"][0]
    with store.loading() as load:
        assert load.detach_photos(hidden) == 2
    assert store.items_without_photo() == hidden
    assert store.item_pictures(hidden) == {} and store.image_file(sha) is None  # no longer served for them
    assert [r.id for r in store.items_without_picture()] == hidden and store.versions()[0] != version
    assert store.count(schema.Item.__table__) == len(catalog)  # the items stay
