"""H&M Personalized Fashion Recommendations (Kaggle) layout.

articles.csv (article_id with its leading zero, prod_name, product_type_name,
graphical_appearance_name, colour_group_name, detail_desc, …), customers.csv (customer_id, FN,
Active, club_member_status, fashion_news_frequency, age, postal_code), transactions_train.csv
(t_dat, customer_id, article_id, price, sales_channel_id), images/0xx/0xxxxxxxxx.jpg. Every
transaction is a purchase at midnight UTC of its day; its price is the event's value.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from vitrine.catalog.importers.base import (
    ImportFailed, ImportReport, Problem, RowError, Source, attributes_json, csv_header, event_row, item_row,
    price, read_csv, require_columns, text, user_row,
)

MAPPED = {"article_id", "prod_name", "product_type_name", "graphical_appearance_name",
          "colour_group_name", "detail_desc"}


def article_id(value) -> str:
    """H&M IDs are 10 digits with a leading zero; files that lost it (read as numbers) get it back."""
    value = text({"item_id": value}, "item_id", required=True)
    if not value.isdigit() or len(value) > 10:
        raise RowError("article_id", f"not an H&M article id: {value[:20]!r}")
    return value.zfill(10)


def _day_ms(value) -> int:
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise RowError("t_dat", f"not a date (YYYY-MM-DD): {str(value)[:20]!r}") from None
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)


def read_hm(path) -> Source:
    folder = Path(path)
    articles = folder / "articles.csv"
    if not articles.exists():
        raise ImportFailed(Problem(str(articles), None, None, "H&M import needs articles.csv in the folder"))
    customers, transactions = folder / "customers.csv", folder / "transactions_train.csv"
    image_dir = folder / "images"

    def _article(row: dict) -> dict:
        aid = article_id(row.get("article_id"))
        title = text({"title": row.get("prod_name")}, "title", required=True)
        image = image_dir / aid[:3] / f"{aid}.jpg"
        result = item_row(
            aid, title, "hm", description=text({"description": row.get("detail_desc")}, "description"),
            category=text({"category": row.get("product_type_name")}, "category"),
            colour=text({"colour": row.get("colour_group_name")}, "colour"),
            pattern=text({"pattern": row.get("graphical_appearance_name")}, "pattern"),
            brand="H&M", attributes=attributes_json(row, MAPPED))
        result["image_path"] = image if image.exists() else None
        return result

    def items(report: ImportReport):
        require_columns(articles, csv_header(articles), ["article_id", "prod_name"])
        for line, row in read_csv(articles, report):
            yield str(articles), line, (lambda row=row: _article(row))

    def users(report: ImportReport):
        if not customers.exists():
            return
        require_columns(customers, csv_header(customers), ["customer_id"])
        for line, row in read_csv(customers, report):
            yield str(customers), line, (lambda row=row: user_row(
                text({"user_id": row.get("customer_id")}, "user_id", required=True),
                attributes_json(row, {"customer_id"})))

    def events(report: ImportReport):
        if not transactions.exists():
            return
        require_columns(transactions, csv_header(transactions), ["t_dat", "customer_id", "article_id"])
        for line, row in read_csv(transactions, report):
            yield str(transactions), line, (lambda row=row: event_row(
                text({"user_id": row.get("customer_id")}, "user_id", required=True),
                article_id(row.get("article_id")), "purchase", _day_ms(row.get("t_dat")),
                price(row.get("price"))))

    return Source("hm", items=items, users=users, events=events)
