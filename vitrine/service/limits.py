"""Bounds on what one request may ask for, and the text fields every route checks alike."""

from typing import Annotated

from pydantic import AfterValidator

MAX_PAGE = 100     # items per page at most
MAX_K = 100        # recommendations or neighbours per request at most
MAX_FILTERS = 20   # values of one filter (categories, colours) at most
ID_PATTERN = r"^[^\x00-\x1f\x7f]{1,128}$"  # a shopper's or an item's ID, as an import takes them: no control characters


def _has_words(text: str) -> str:
    if not text.strip():
        raise ValueError("give some words, not only spaces")
    return text


# A prompt or a description to draw from: blank or all-space text is refused by every route the same way.
Words = Annotated[str, AfterValidator(_has_words)]
