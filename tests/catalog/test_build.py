import random
from collections import Counter

import numpy as np

from vitrine.catalog.attributes import CATEGORIES, COLOURS, PATTERNS
from vitrine.catalog.build import build_catalog
from vitrine.catalog.describe import write_text


def test_same_seed_same_catalog_other_seed_differs(tiny_fm):
    a = build_catalog(tiny_fm, seed=3, progress=False)
    b = build_catalog(tiny_fm, seed=3, progress=False)
    c = build_catalog(tiny_fm, seed=4, progress=False)
    assert np.array_equal(a.images, b.images) and a.descriptions == b.descriptions and np.array_equal(a.price, b.price)
    assert not np.array_equal(a.colour, c.colour) and a.descriptions != c.descriptions


def test_shapes_categories_and_prices(tiny_fm):
    cat = build_catalog(tiny_fm, seed=0, progress=False)
    assert cat.images.shape == (200, 32, 32, 3) and cat.images.dtype == np.uint8
    assert np.array_equal(cat.category, tiny_fm.labels)
    assert (cat.price > 0).all()
    cents = np.round(cat.price * 100).astype(int) % 100
    assert set(cents) <= {49, 99}
    # Coats cost more than T-shirts on average, as the category medians say.
    assert cat.price[cat.category == 4].mean() > cat.price[cat.category == 0].mean()


def test_descriptions_vary_and_sometimes_omit_attributes():
    rng = random.Random(0)
    red, striped, tee = 3, 1, 0
    texts = [write_text(tee, red, striped, 5, rng)[1] for _ in range(400)]
    assert len(set(texts)) > 100
    colour_words = COLOURS[red].words
    mentions_colour = [any(w in t.lower() for w in colour_words) for t in texts]
    assert 0.8 < np.mean(mentions_colour) < 0.97  # ~10 % leave the colour out
    first_words = Counter(t.split()[0] for t in texts)
    assert len(first_words) >= 4  # sentence shapes and order vary
    nouns = Counter(next((n for n in CATEGORIES[tee].nouns if n in t.lower()), None) for t in texts)
    assert len(nouns) >= 3  # synonyms for the category


def test_title_names_colour_and_pattern():
    rng = random.Random(1)
    for _ in range(50):
        title, _ = write_text(7, 8, 2, 0, rng)  # navy dotted sneakers
        lower = title.lower()
        assert any(w in lower for w in COLOURS[8].words)
        assert any(w in lower for w in PATTERNS[2].adjectives)


def test_a_catalog_built_at_64_px_stores_64_px_photos_of_the_same_items(tmp_path, fmnist_dir):
    from PIL import Image

    from vitrine.catalog.photo_cache import built_arrays
    from vitrine.cli import main
    from vitrine.storage.store import Store
    data = ["--data-dir", str(tmp_path / "d"), "-q"]
    assert main(data + ["catalog", "build", "--size", "64", "--fashion-dir", str(fmnist_dir)]) == 0
    store = Store(tmp_path / "d", create=False)
    assert store.get_meta("catalog")["image_size"] == 64
    ids, images = built_arrays(store, 64)
    assert images.shape[1:] == (64, 64, 3) and built_arrays(store, 32) is None
    item, path = store.main_photos(ids[:1])[0]
    assert Image.open(store.images.resolve(path)).size == (64, 64)
    assert main(data + ["catalog", "build", "--size", "48", "--fashion-dir", str(fmnist_dir)]) == 2
