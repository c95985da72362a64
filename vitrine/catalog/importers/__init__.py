"""Importers for shops that bring their own data. Each `read_*` returns a `Source` for `run_import`."""

from vitrine.catalog.importers.base import ImportFailed, ImportReport, Problem, SplitConfig, run_import

FORMATS = ("generic", "hm", "amazon", "retailrocket")


def source_for(kind: str, path, **options):
    """The Source for format `kind` read from `path` (lazy imports keep the CLI fast)."""
    if kind == "generic":
        from vitrine.catalog.importers.generic import read_generic as reader
    elif kind == "hm":
        from vitrine.catalog.importers.hm import read_hm as reader
    elif kind == "amazon":
        from vitrine.catalog.importers.amazon import read_amazon as reader
    elif kind == "retailrocket":
        from vitrine.catalog.importers.retailrocket import read_retailrocket as reader
    else:
        raise ValueError(f"unknown import format {kind!r}; choose one of {', '.join(FORMATS)}")
    return reader(path, **options)


__all__ = ["FORMATS", "ImportFailed", "ImportReport", "Problem", "SplitConfig", "run_import", "source_for"]
