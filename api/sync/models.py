"""The change log: one row per change of a record that phones keep offline, in the writing transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class Change(Base):
    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_position", "txid", "seq"),)

    # SQLite numbers rows in commit order (one writer at a time). On PostgreSQL a number is taken when the row
    # is written, not when it commits, so the feed orders by the writing transaction's id first (see feed.py).
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(120))
    # Who may see it: the records of an inspection or an order, the library (neither), or one user only
    # (an inspection reassigned away from them).
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    for_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)
