"""Conversations in progress (one per person, the engine's state as JSON) and timers (`fires`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class ConversationSession(Base):
    """One open conversation per person; the engine's state, stored as JSON."""

    __tablename__ = "conversation_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Fire(Base):
    """A timer. It belongs to a session generation: one that fires after its session moved on
    does nothing."""

    __tablename__ = "fires"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str | None] = mapped_column(String(100))
    session_token: Mapped[str | None] = mapped_column(String(40))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
