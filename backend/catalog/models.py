"""What is being implemented: recommendations, clusters, SDG targets and the actions that answer them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.roster.models import Institution

SUPPORT_LEVELS = ("supported", "supported_in_part", "noted")

# Texts per language, beside the base columns: {"fr": {"title": ..., "short_title": ...}}; NULL
# when none was given (the import files' `<column>_<language>` columns). JSONB on PostgreSQL,
# whose plain json has no equality (a SELECT DISTINCT of the row would fail).
Translations = dict[str, dict[str, str]]
TRANSLATIONS_TYPE = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _translations() -> Mapped[Translations | None]:
    return mapped_column(TRANSLATIONS_TYPE)


def translated(translations: Translations | None, key: str, languages: Iterable[str]) -> str | None:
    """`key` in the first of `languages` that has it, if any."""
    for language in languages:
        if text := (translations or {}).get(language, {}).get(key):
            return text
    return None


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
    translations: Mapped[Translations | None] = _translations()  # {"fr": {"name": ...}}

    def name_in(self, languages: Iterable[str]) -> str:
        """The name in the first of `languages` that has one, else the base name."""
        return translated(self.translations, "name", languages) or self.name


class Recommendation(Base):
    __tablename__ = "recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    text: Mapped[str] = mapped_column(Text)
    mechanism: Mapped[str] = mapped_column(String(40))  # UPR, CRC, CEDAW, ...
    cycle: Mapped[str | None] = mapped_column(String(20))
    support: Mapped[str | None] = mapped_column(String(20))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id"), index=True)
    translations: Mapped[Translations | None] = _translations()  # {"fr": {"text": ...}}

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
    translations: Mapped[Translations | None] = _translations()  # {"fr": {"title": ..., "short_title": ...}}

    institution: Mapped[Institution] = relationship()
    recommendations: Mapped[list[Recommendation]] = relationship(secondary=action_recommendation)

    def titles_in(self, languages: Iterable[str]) -> tuple[str, str | None]:
        """(title, short title) in the first of `languages` with a translated title, else the base
        columns. The two go together: a title in French never comes with an English short title
        (without a French one, SMS shortens the French title)."""
        for language in languages:
            entry = (self.translations or {}).get(language) or {}
            if entry.get("title"):
                return entry["title"], entry.get("short_title") or None
        return self.title, self.short_title
