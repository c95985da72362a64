"""RetailRocket e-commerce events: events.csv (timestamp ms, visitorid, event, itemid, transactionid).

Items appear only by ID in events; each becomes a placeholder item. If item_properties_part*.csv
(timestamp, itemid, property, value) lie beside events.csv, each item takes its latest
`categoryid`. Events map view → view, addtocart → cart, transaction → purchase
(transactionid groups purchases, not sessions, so it is not kept).
"""

from __future__ import annotations

from pathlib import Path

from vitrine.catalog.importers.base import (
    ImportFailed, ImportReport, Problem, Source, csv_header, event_name, event_row, item_row, read_csv,
    require_columns, text, timestamp_ms,
)


def _categories(folder: Path, report: ImportReport) -> dict[str, str]:
    latest: dict[str, tuple[int, str]] = {}
    for part in sorted(folder.glob("item_properties_part*.csv")):
        require_columns(part, csv_header(part), ["timestamp", "itemid", "property", "value"])
        for _line, row in read_csv(part, report):
            if row.get("property") != "categoryid":
                continue
            try:
                ts = int(row["timestamp"])
            except (TypeError, ValueError):
                continue
            item = str(row.get("itemid"))
            if item not in latest or ts > latest[item][0]:
                latest[item] = (ts, str(row.get("value")))
    return {item: value for item, (_ts, value) in latest.items()}


def read_retailrocket(path) -> Source:
    path = Path(path)
    events_file = path / "events.csv" if path.is_dir() else path
    if not events_file.exists():
        raise ImportFailed(Problem(str(events_file), None, None, "RetailRocket import needs events.csv"))
    categories: dict[str, str] = {}  # read with the events, so property-file problems reach the report

    def placeholder(item_id: str) -> dict:
        category = categories.get(item_id)
        return item_row(item_id, f"Item {item_id}", "retailrocket",
                        category=f"category {category}" if category else None)

    def events(report: ImportReport):
        categories.update(_categories(events_file.parent, report))
        require_columns(events_file, csv_header(events_file), ["timestamp", "visitorid", "event", "itemid"])
        for line, row in read_csv(events_file, report):
            yield str(events_file), line, (lambda row=row: event_row(
                text({"user_id": row.get("visitorid")}, "user_id", required=True),
                text({"item_id": row.get("itemid")}, "item_id", required=True),
                event_name(row.get("event")), timestamp_ms(row.get("timestamp"))))

    return Source("retailrocket", events=events, placeholder_item=placeholder)
