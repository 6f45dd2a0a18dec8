"""A broadcast as the secretariat sent it: to whom (the group), what (a text per language), when,
by whom, and how many messages it queued. Its messages are outbox rows keyed
`broadcast:<id>:<person id>`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class Broadcast(Base):
    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(200), index=True)  # "leads", "region:Kisumu", "cluster:CHILD"...
    texts: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> text
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))  # free text: the OS user, an admin's name
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # messages queued, re-runs included
