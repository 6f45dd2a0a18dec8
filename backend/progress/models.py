"""Progress updates: dated reports on an action by a focal point."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.catalog.models import Action, Cluster
from backend.db import Base
from backend.roster.models import Person

STATUSES = ("not_started", "in_progress", "completed", "blocked")


class ProgressUpdate(Base):
    __tablename__ = "progress_update"
    # an action's updates, and its latest one read from the index alone (the overview's blocked actions)
    __table_args__ = (Index("ix_progress_update_action_id_id", "action_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id"))  # or a cluster:
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id"), index=True)  # community reports
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    indicator_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    period: Mapped[str] = mapped_column(String(10), index=True)  # ISO week, e.g. 2026-W48
    level: Mapped[str] = mapped_column(String(10), default="national", server_default="national")  # or community
    locality: Mapped[str | None] = mapped_column(String(100))  # community reports: where
    people_reached: Mapped[int | None] = mapped_column(Integer)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    action: Mapped[Action | None] = relationship()
    cluster: Mapped[Cluster | None] = relationship()
    person: Mapped[Person] = relationship()
