"""SQLAlchemy 2 tables of one shop's store.

Times of events are epoch milliseconds (integers load and compare fast at millions of rows).
IDs are strings everywhere (shops' IDs keep leading zeros). Images are files addressed by the
SHA-256 of their bytes; a row in `images` records one such file, rows in `item_images` attach it
to items. `meta` holds small JSON facts about the data set (split boundaries, build settings).

The database is made and changed by the Alembic migrations in migrations/versions/, never from
these classes: a change here comes with a new migration (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String,
                        Text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(128), index=True)
    colour: Mapped[str | None] = mapped_column(String(64))
    pattern: Mapped[str | None] = mapped_column(String(64))
    brand: Mapped[str | None] = mapped_column(String(128))
    price: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32))  # fashion-mnist | generic | hm | amazon | retailrocket
    # When the item went on sale (epoch ms); the simulator's new items launch in the test period.
    launched_at: Mapped[int | None] = mapped_column(BigInteger)
    is_new: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)  # everything else the source had

    __table_args__ = (
        # The shop's filters: a page of IDs and the count come from this index alone (no row reads).
        Index("ix_items_facets", "category", "colour", "price", "id"),
        Index("ix_items_launched", "launched_at"),  # "new in", newest first
    )


class Image(Base):
    __tablename__ = "images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(256))  # relative to the data directory
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))


class ItemImage(Base):
    __tablename__ = "item_images"

    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    image_sha256: Mapped[str] = mapped_column(ForeignKey("images.sha256"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0 = the main photo


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    # Simulated shoppers only: the latent preferences their events were drawn from.
    true_preferences: Mapped[dict | None] = mapped_column(JSON)


class Interaction(Base):
    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    event: Mapped[str] = mapped_column(String(16))  # view | cart | purchase | rating
    ts: Mapped[int] = mapped_column(BigInteger)  # epoch milliseconds, UTC (as RetailRocket and Amazon ship)
    session_id: Mapped[str | None] = mapped_column(String(128))
    value: Mapped[float | None] = mapped_column(Float)  # price paid, or a rating

    __table_args__ = (
        Index("ix_interactions_user_ts", "user_id", "ts"),
        Index("ix_interactions_item", "item_id"),
        Index("ix_interactions_ts", "ts"),
        Index("ix_interactions_user_id", "user_id", "id"),  # "any event of this shopper after row n?" in one seek
    )


class GeneratedImage(Base):
    __tablename__ = "generated_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str] = mapped_column(String(256))
    path: Mapped[str] = mapped_column(String(256))  # relative to the data directory
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # GET /images/{sha256} looks it up
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # sampler, steps, guidance, size
    item_id: Mapped[str | None] = mapped_column(ForeignKey("items.id"), index=True)  # an item's pictures, per page
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Job(Base):
    """Work the service does in the background (a generation), kept here so it survives a restart.
    A worker holds a running job by a lease it renews; a job whose lease lapsed (its worker died)
    is taken again, and only the job's current holder can finish it."""
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))                # generate
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued | running | done | failed
    request: Mapped[dict] = mapped_column(JSON)                  # what was asked: prompt, n, steps, …
    result: Mapped[dict | None] = mapped_column(JSON)            # {"images": [sha256, …]}
    error: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(String(64))       # who asked, for per-client limits
    created_at: Mapped[int] = mapped_column(BigInteger)          # epoch ms
    finished_at: Mapped[int | None] = mapped_column(BigInteger)
    worker: Mapped[str | None] = mapped_column(String(96))       # host:pid:thread of the worker running it
    lease_until: Mapped[int | None] = mapped_column(BigInteger)  # epoch ms; a running job past it is taken again
    progress: Mapped[dict | None] = mapped_column(JSON)          # {"phase": …, "fraction": 0–1} while it runs


class CachedRecommendations(Base):
    """A shopper's re-ranked top items as one fit computed them (vitrine.app.served): valid while
    the shopper has no event after row `mark` and `fit` is the served fit."""
    __tablename__ = "recommendation_cache"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    fit: Mapped[str] = mapped_column(String(32))         # the fit's ID (events.json beside its weights)
    mark: Mapped[int] = mapped_column(BigInteger)        # the newest event row the computation read
    entry: Mapped[bytes] = mapped_column(LargeBinary)    # item indices, scores, "because" indices (served.py)


class Meta(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)


EVENTS = ("view", "cart", "purchase", "rating")
