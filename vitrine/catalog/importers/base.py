"""What every importer shares, in one place to import from: the report (report.py), reading files
(files.py), parsing fields and building rows (fields.py), and the one-transaction load (load.py).
"""

from vitrine.catalog.importers.fields import (
    EVENT_ALIASES, MAX_LENGTH, as_text_list, attributes_json, event_name, event_row, item_row, number, price,
    safe_child, text, timestamp_ms, user_row,
)
from vitrine.catalog.importers.files import csv_header, read_csv, read_jsonl, require_columns
from vitrine.catalog.importers.load import CHUNK, MAX_IMAGE_BYTES, Source, SplitConfig, run_import
from vitrine.catalog.importers.report import ImportFailed, ImportReport, Problem, RowError

__all__ = ["CHUNK", "EVENT_ALIASES", "MAX_IMAGE_BYTES", "MAX_LENGTH", "ImportFailed", "ImportReport", "Problem",
           "RowError", "Source", "SplitConfig", "as_text_list", "attributes_json", "csv_header", "event_name",
           "event_row", "item_row", "number", "price", "read_csv", "read_jsonl", "require_columns", "run_import",
           "safe_child", "text", "timestamp_ms", "user_row"]
