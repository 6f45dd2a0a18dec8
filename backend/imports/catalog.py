"""`nmirf import recommendations FILE.csv` (with their clusters and SDG targets) and
`nmirf import actions FILE.csv`. Keys: recommendation reference, cluster code, action code;
re-importing the same file changes nothing. Titles, texts and cluster names may also come per
language (`title_fr`, `short_title_fr`, `text_es`, `cluster_name_ar`...), for every language with
a catalogue; they are stored in each row's `translations` and replaced by each import."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TypedDict, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import SUPPORT_LEVELS, Action, Cluster, Recommendation, SdgTarget, Translations
from backend.imports.csvfile import ImportFailed, Row, iter_list, read_rows, update_fields
from backend.roster.models import Institution
from conversations.i18n import available_languages

REC_REQUIRED = ("reference", "mechanism", "text")
REC_OPTIONAL = ("cycle", "support", "cluster", "cluster_name", "sdg_targets")
ACT_REQUIRED = ("code", "institution", "title")
ACT_OPTIONAL = ("short_title", "target_date", "indicator", "recommendations")
REC_TRANSLATED = ("text", "cluster_name")  # as text_fr, cluster_name_fr...
ACT_TRANSLATED = ("title", "short_title")  # as title_fr, short_title_fr...
SDG_CODE = re.compile(r"^\d{1,2}\.(\d{1,2}|[a-z])$")


class _RecommendationRecord(TypedDict):
    ref: str
    mechanism: str
    text: str
    support: str | None
    cycle: str | None
    cluster: str | None
    cluster_name: str | None
    targets: list[str]
    texts: Translations  # {"fr": {"text": ...}}
    cluster_names: Translations  # {"fr": {"name": ...}}


class _ActionRecord(TypedDict):
    code: str
    inst: str
    title: str
    short: str | None
    target: date | None
    refs: list[str]
    indicator: str | None
    titles: Translations  # {"fr": {"title": ..., "short_title": ...}}


def import_recommendations(session: Session, path: str | Path) -> dict[str, int]:
    rows, problems = read_rows(path, REC_REQUIRED, REC_OPTIONAL, REC_TRANSLATED, available_languages())
    known_sdg = set(session.scalars(select(SdgTarget.code)))
    records: list[_RecommendationRecord] = []
    seen: dict[str, int] = {}
    named = {c.code for c in session.scalars(select(Cluster))}
    for row in rows:
        before = len(problems)
        ref = row.required("reference")
        if ref in seen:
            row.problem("reference", f"repeats line {seen[ref]}; each recommendation once")
        seen.setdefault(ref, row.line)
        mechanism = row.required("mechanism").upper()
        text = row.required("text")
        support = row.choice("support", SUPPORT_LEVELS, default="") if row.get("support") else None
        cluster = row.get("cluster") or None
        if cluster and row.get("cluster_name"):
            named.add(cluster)
        elif cluster and cluster not in named:
            row.problem("cluster_name", f"is required the first time cluster {cluster} appears")
        _too_long(row, "cluster_name", row.get("cluster_name"))
        cluster_names = _translations(row, {"cluster_name": "name"})
        if cluster_names and not (cluster and row.get("cluster_name")):
            for lang in cluster_names:
                row.problem(f"cluster_name_{lang}", "give it on a row with the cluster and its cluster_name")
        targets = list(iter_list(row.get("sdg_targets")))
        for code in targets:
            if not SDG_CODE.match(code) or code not in known_sdg:
                row.problem(
                    "sdg_targets", f"{code} is not an SDG target; use codes such as 5.2 or 16.a, separated by ;"
                )
        if len(problems) == before:
            records.append(
                _RecommendationRecord(
                    ref=ref,
                    mechanism=mechanism,
                    text=text,
                    support=support,
                    cycle=row.get("cycle") or None,
                    cluster=cluster,
                    cluster_name=row.get("cluster_name") or None,
                    targets=targets,
                    texts=_translations(row, {"text": "text"}),
                    cluster_names=cluster_names,
                )
            )
    if problems:
        raise ImportFailed(problems)

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for rec in records:
        group: Cluster | None = None
        if rec["cluster"]:
            group = session.scalar(select(Cluster).where(Cluster.code == rec["cluster"]))
            if group is None:
                group = Cluster(
                    code=rec["cluster"], name=rec["cluster_name"], translations=rec["cluster_names"] or None
                )
                session.add(group)
                session.flush()
            elif rec["cluster_name"]:  # the row that names the cluster gives all its names
                update_fields(group, name=rec["cluster_name"], translations=rec["cluster_names"] or None)
        item = session.scalar(select(Recommendation).where(Recommendation.reference == rec["ref"]))
        created = item is None
        if item is None:
            item = Recommendation(reference=rec["ref"], text=rec["text"], mechanism=rec["mechanism"])
            session.add(item)
        changed = update_fields(
            item,
            text=rec["text"],
            mechanism=rec["mechanism"],
            cycle=rec["cycle"],
            support=rec["support"],
            cluster_id=group.id if group else None,
            translations=rec["texts"] or None,
        )
        wanted = sorted(rec["targets"])
        if sorted(t.code for t in item.sdg_targets) != wanted:
            # every code was checked against the known SDG targets above
            item.sdg_targets = cast(list[SdgTarget], [session.get(SdgTarget, code) for code in wanted])
            changed = True
        counts["created" if created else "updated" if changed else "unchanged"] += 1
        session.flush()
    return counts


def import_actions(session: Session, path: str | Path) -> dict[str, int]:
    rows, problems = read_rows(path, ACT_REQUIRED, ACT_OPTIONAL, ACT_TRANSLATED, available_languages())
    institutions = {i.short_name: i for i in session.scalars(select(Institution))}
    references = {r.reference: r for r in session.scalars(select(Recommendation))}
    records: list[_ActionRecord] = []
    seen: dict[str, int] = {}
    for row in rows:
        before = len(problems)
        code = row.required("code")
        if code in seen:
            row.problem("code", f"repeats line {seen[code]}; each action once")
        seen.setdefault(code, row.line)
        inst = row.required("institution")
        if inst and inst not in institutions:
            row.problem("institution", "no such institution in the roster; import the roster first")
        title = row.required("title")
        _too_long(row, "title", title)
        short = row.get("short_title") or None
        _too_long(row, "short_title", short)
        titles = _translations(row, {"title": "title", "short_title": "short_title"})
        for lang, entry in titles.items():
            if "title" not in entry:
                row.problem(f"short_title_{lang}", f"given without title_{lang}; give the full title in it too")
        target = row.optional_date("target_date")
        refs = list(iter_list(row.get("recommendations")))
        for ref in refs:
            if ref not in references:
                row.problem("recommendations", f"{ref} is not a known recommendation; import recommendations first")
        if len(problems) == before:
            records.append(
                _ActionRecord(
                    code=code,
                    inst=inst,
                    title=title,
                    short=short,
                    target=target,
                    refs=refs,
                    indicator=row.get("indicator") or None,
                    titles=titles,
                )
            )
    if problems:
        raise ImportFailed(problems)

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for rec in records:
        action = session.scalar(select(Action).where(Action.code == rec["code"]))
        created = action is None
        if action is None:
            action = Action(
                code=rec["code"], title=rec["title"], institution_id=institutions[rec["inst"]].id, status="not_started"
            )
            session.add(action)
        changed = update_fields(
            action,
            title=rec["title"],
            short_title=rec["short"],
            institution_id=institutions[rec["inst"]].id,
            target_date=rec["target"],
            indicator=rec["indicator"],
            translations=rec["titles"] or None,
        )
        if sorted(r.reference for r in action.recommendations) != sorted(rec["refs"]):
            action.recommendations = [references[ref] for ref in sorted(rec["refs"])]
            changed = True
        counts["created" if created else "updated" if changed else "unchanged"] += 1
        session.flush()
    return counts


# The length limits of a column, which its translations (`title_fr`...) keep too.
LIMITS = {
    "title": (200, "it is sent by SMS; shorten it"),
    "short_title": (40, "it names the action in SMS lists"),
    "cluster_name": (200, "it names the cluster in SMS lists"),
}


def _too_long(row: Row, column: str, value: str | None) -> None:
    """A problem when the cell is over its column's limit (`column` may be `title_fr`: title's)."""
    base = next(b for b in sorted(LIMITS, key=len, reverse=True) if column == b or column.startswith(b + "_"))
    limit, why = LIMITS[base]
    if value and len(value) > limit:
        row.problem(column, f"{len(value)} characters; at most {limit} ({why})")


def _translations(row: Row, keys: dict[str, str]) -> Translations:
    """{language: {key: text}} from the row's `<column>_<language>` cells, for each column of
    `keys` (CSV column -> stored key), each checked against its column's length limit."""
    found: Translations = {}
    for column, key in keys.items():
        for lang, text in row.translated(column).items():
            if column in LIMITS:
                _too_long(row, f"{column}_{lang}", text)
            found.setdefault(lang, {})[key] = text
    return dict(sorted(found.items()))
