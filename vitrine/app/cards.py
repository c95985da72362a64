"""What a process holds of the catalog between requests: item cards (what a recommendation, a
listing or an item page shows of an item: its fields and its picture) and the listing's pages of
IDs per query. Both are dropped whole when the catalog's version changes (any write to items or
their pictures, by any process, gives it a new one: storage/loader.py), so a page never shows the
catalog as it was before a change that the request's own version read already reflects."""

from __future__ import annotations

import threading

FIELDS = ("id", "title", "description", "category", "colour", "pattern", "brand", "price", "is_new", "source")
MAX_CARDS = 250_000  # past this many, the cards start over (a bound on memory for very large catalogs)


class ItemCards:
    def __init__(self, store):
        self.store = store
        self.version: str | None = None
        self.cards: dict[str, dict | None] = {}  # None: no such item (deleted, or never was)
        self.lock = threading.Lock()

    def get(self, ids: list[str], version: str | None) -> dict[str, dict | None]:
        """Each ID's card (None for an ID no item has), as of catalog `version` or later."""
        with self.lock:
            if version != self.version:
                self.cards, self.version = {}, version
            cards = self.cards
            missing = [i for i in dict.fromkeys(ids) if i not in cards]
        if not missing:
            return {i: cards[i] for i in ids}
        found = self._read(missing)
        with self.lock:
            if self.version == version:  # a newer version seen meanwhile: these may be older than it
                if len(self.cards) + len(found) > MAX_CARDS:
                    self.cards = {}
                self.cards.update(found)
        return {i: found[i] if i in found else cards.get(i) for i in ids}

    def _read(self, ids: list[str]) -> dict[str, dict | None]:
        rows = {r.id: r._asdict() for r in self.store.item_rows(FIELDS, ids=ids)}
        pictures = self.store.item_pictures(list(rows))
        found: dict[str, dict | None] = {}
        for item_id in ids:
            row = rows.get(item_id)
            if row is not None:
                sha, generated = pictures.get(item_id, (None, False))
                row.update(is_new=bool(row["is_new"]), image=f"/images/{sha}" if sha else None, generated=generated)
            found[item_id] = row
        return found


class Pages:
    """Pages of item IDs and their totals, per (filters, sort, limit, offset), for one catalog
    version: a change to the catalog (a new version) drops them all; at most MAX_PAGES are held,
    the least recently used dropped first."""

    MAX_PAGES = 4096

    def __init__(self):
        from collections import OrderedDict
        self.version: str | None = None
        self.pages: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, version: str | None):
        with self.lock:
            if version != self.version:
                self.pages.clear()
                self.version = version
                return None
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key, version: str | None, page) -> None:
        with self.lock:
            if version == self.version:
                self.pages[key] = page
                if len(self.pages) > self.MAX_PAGES:
                    self.pages.popitem(last=False)
