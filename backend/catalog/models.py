"""What is being implemented: recommendations, clusters, SDG targets and the actions that answer them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.roster.models import Institution

SUPPORT_LEVELS = ("supported", "supported_in_part", "noted")

recommendation_sdg = Table(
    "recommendation_sdg",
    Base.metadata,
    Column("recommendation_id", ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True),
    Column("sdg_target", ForeignKey("sdg_target.code", ondelete="CASCADE"), primary_key=True),
)

action_recommendation = Table(
    "action_recommendation",
    Base.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("recommendation_id", ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True),
)


class SdgGoal(Base):
    __tablename__ = "sdg_goal"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(300))


class SdgTarget(Base):
    __tablename__ = "sdg_target"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)  # "5.2", "16.a"
    goal: Mapped[int] = mapped_column(ForeignKey("sdg_goal.number"), index=True)
    title: Mapped[str] = mapped_column(String(300))


class Cluster(Base):
    __tablename__ = "cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Recommendation(Base):
    __tablename__ = "recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    text: Mapped[str] = mapped_column(Text)
    mechanism: Mapped[str] = mapped_column(String(40))  # UPR, CRC, CEDAW, ...
    cycle: Mapped[str | None] = mapped_column(String(20))
    support: Mapped[str | None] = mapped_column(String(20))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id"), index=True)

    cluster: Mapped[Cluster | None] = relationship()
    sdg_targets: Mapped[list[SdgTarget]] = relationship(secondary=recommendation_sdg)


class Action(Base):
    """An implementation measure an institution committed to."""

    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    short_title: Mapped[str | None] = mapped_column(String(40))  # for SMS lists, if given
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    target_date: Mapped[date | None] = mapped_column(Date)
    indicator: Mapped[str | None] = mapped_column(String(200))  # what figure to report, if any
    status: Mapped[str] = mapped_column(String(12), default="not_started")  # latest reported

    institution: Mapped[Institution] = relationship()
    recommendations: Mapped[list[Recommendation]] = relationship(secondary=action_recommendation)

    @property
    def shown_title(self) -> str:
        """What the person reads: the short title when the secretariat gave one."""
        return self.short_title or self.title
