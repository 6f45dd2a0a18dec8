"""`nmirf import recommendations FILE.csv` (with their clusters and SDG targets) and
`nmirf import actions FILE.csv`. Keys: recommendation reference, cluster code, action code;
re-importing the same file changes nothing."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TypedDict, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import SUPPORT_LEVELS, Action, Cluster, Recommendation, SdgTarget
from backend.imports.csvfile import ImportFailed, iter_list, read_rows, update_fields
from backend.roster.models import Institution

REC_REQUIRED = ("reference", "mechanism", "text")
REC_OPTIONAL = ("cycle", "support", "cluster", "cluster_name", "sdg_targets")
ACT_REQUIRED = ("code", "institution", "title")
ACT_OPTIONAL = ("short_title", "target_date", "indicator", "recommendations")
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


class _ActionRecord(TypedDict):
    code: str
    inst: str
    title: str
    short: str | None
    target: date | None
    refs: list[str]
    indicator: str | None


def import_recommendations(session: Session, path: str | Path) -> dict[str, int]:
    rows, problems = read_rows(path, REC_REQUIRED, REC_OPTIONAL)
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
                group = Cluster(code=rec["cluster"], name=rec["cluster_name"])
                session.add(group)
                session.flush()
            elif rec["cluster_name"]:
                update_fields(group, name=rec["cluster_name"])
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
    rows, problems = read_rows(path, ACT_REQUIRED, ACT_OPTIONAL)
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
        if len(title) > 200:
            row.problem("title", "longer than 200 characters; shorten it (it is sent by SMS)")
        short = row.get("short_title") or None
        if short and len(short) > 40:
            row.problem("short_title", f"{len(short)} characters; at most 40 (it names the action in SMS lists)")
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
        )
        if sorted(r.reference for r in action.recommendations) != sorted(rec["refs"]):
            action.recommendations = [references[ref] for ref in sorted(rec["refs"])]
            changed = True
        counts["created" if created else "updated" if changed else "unchanged"] += 1
        session.flush()
    return counts
