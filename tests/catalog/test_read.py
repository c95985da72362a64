import pytest

from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
from vitrine.catalog.read import read_attributes


@pytest.mark.parametrize("text,category,colour,pattern", [
    ("a mustard yellow checked coat", "coat", "yellow", "checked"),
    ("Navy blue sneakers with bold stripes", "sneakers", "navy", "striped"),
    ("laptop bag in camel", "bag", "beige", None),
    ("A Plain Black Tee", "t-shirt", "black", "solid"),
    ("chelsea boots, polka-dot lining", "ankle boots", None, "dotted"),
    ("something nice", None, None, None),
])
def test_reads_the_longest_phrase_on_word_boundaries(text, category, colour, pattern):
    wanted = read_attributes(text)
    names = (CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES)
    got = tuple(None if v is None else n[v] for v, n in zip((wanted.category, wanted.colour, wanted.pattern), names))
    assert got == (category, colour, pattern)
