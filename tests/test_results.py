"""The one result shape every report uses: a table of columns over rows, written as Markdown and
JSON by one writer."""

import json

from vitrine.results import Column, Table, number, write_report


def test_a_table_writes_its_rows_under_its_headers_numbers_right_aligned():
    table = Table([Column("model"), Column("Recall@20", "recall", "{:.4f}"), Column("note", align="left"),
                   Column("ratio", lambda r: r["a"] / r["b"], "{:.0%}")],
                  [{"model": "ALS | implicit", "recall": 0.12345, "note": "", "a": 1, "b": 4}])
    assert table.markdown().splitlines() == ["| model | Recall@20 | note | ratio |", "|---|---:|---|---:|",
                                             "| ALS \\| implicit | 0.1235 |  | 25% |"]  # a | in a cell is escaped


def test_number_formats_numbers_and_leaves_text():
    assert number("{:.2f}")(1.234) == "1.23" and number("{:.2f}")("∞") == "∞" and number("{:.2f}")("") == ""


def test_the_writer_puts_figures_and_text_side_by_side(tmp_path):
    path = write_report(tmp_path / "out", "metrics", {"recall": 0.5}, "# Report", "report")
    assert path == tmp_path / "out" / "report.md" and path.read_text() == "# Report\n"
    assert json.loads((tmp_path / "out" / "metrics.json").read_text()) == {"recall": 0.5}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["metrics.json", "report.md"]  # no temporaries
