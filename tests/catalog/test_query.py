"""Reading a search box with the catalog's vocabulary: price words, typos, facet phrases."""

from vitrine.catalog.query import read_query, vocabulary

VOCAB = vocabulary({"category": ["dress", "t-shirt", "trousers", "sneakers"], "colour": ["red", "navy", "blue"],
                    "pattern": ["solid", "striped"], "brand": ["Nordvik", "Basiq"]},
                   ["Nordvik Brown Pullover", "A dress for summer days"])


def test_a_typo_is_corrected_to_the_catalogs_word_and_read_as_filters():
    q = read_query("red dres under 30", VOCAB)
    assert (q.text, q.filters.category, q.filters.colour, q.filters.max_price, q.corrected) == \
        ("red dress", ("dress",), ("red",), 30.0, {"dres": "dress"})
    assert read_query("Sneekers", VOCAB).filters.category == ("sneakers",)


def test_price_words_set_bounds_and_leave_the_text():
    assert read_query("dress between 20 and 40", VOCAB).filters.min_price == 20.0
    for text, low, high in [("tee 20-40 €", 20.0, 40.0), ("dress over 15", 15.0, None), ("below €9.99", None, 9.99),
                            ("from 50 to 10", 10.0, 50.0), ("less than 25 euros", None, 25.0)]:
        q = read_query(text, VOCAB)
        assert (q.filters.min_price, q.filters.max_price) == (low, high), text
        assert not any(ch.isdigit() for ch in q.text), q.text


def test_synonyms_and_longest_phrases_map_to_the_catalogs_values():
    q = read_query("navy blue pants by nordvik", VOCAB)
    assert (q.filters.colour, q.filters.category, q.filters.brand) == (("navy",), ("trousers",), ("Nordvik",))  # navy, not blue
    assert read_query("summer dress", VOCAB).corrected == {}  # a word the catalog uses stays as typed


def test_words_of_no_facet_filter_nothing():
    from vitrine.storage.catalog import ItemFilter
    q = read_query("something warm", VOCAB)
    assert q.filters == ItemFilter(category=(), colour=(), pattern=(), brand=(), min_price=None, max_price=None)
