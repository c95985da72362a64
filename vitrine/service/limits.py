"""Bounds on what one request may ask for."""

MAX_PAGE = 100     # items per page at most
MAX_K = 100        # recommendations or neighbours per request at most
MAX_FILTERS = 20   # values of one filter (categories, colours) at most
