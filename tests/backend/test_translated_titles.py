"""Titles in the person's language (`title_fr`, `short_title_fr`, `cluster_name_fr`, `text_fr`
columns in the import files), and the mechanism's name as a setting (MECHANISM_NAME), on a real
database and through the product's own send path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from backend.app import create_app
from backend.catalog.models import Action, Cluster, Recommendation
from backend.cli.prompts import send_weekly_now
from backend.db import Database
from backend.imports.catalog import import_actions, import_recommendations
from backend.imports.csvfile import ImportFailed
from backend.imports.roster import import_roster
from backend.migrations import downgrade, upgrade
from backend.outbox.models import OutboxMessage
from backend.roster.models import Person
from backend.sessions.people import person_view
from conversations.i18n import available_languages
from tests.backend.helpers import wait_until
from tests.conftest import DEMO, running_context, settings_for

CLAIRE, AMINA, PEDRO = "+254700000007", "+254700000001", "+254700000008"
ROSTER = [
    "institution,institution_name,level,region,name,phone,channels,language,timezone,rank",
    f"MOJ,Ministry of Justice,national,,Amina Yusuf,{AMINA},simulator,en,Africa/Nairobi,1",
    f"TUR,County Government of Turkana,local,Turkana,Claire Dupont,{CLAIRE},simulator,fr,Africa/Nairobi,1",
    f"TUR2,County Government of Turkana (2),local,Turkana,Pedro Alves,{PEDRO},simulator,es,Africa/Nairobi,1",
]
RECOMMENDATIONS = [
    "reference,mechanism,cluster,cluster_name,cluster_name_fr,text,text_fr",
    "CRPD-44,CRPD,DISAB,Rights of persons with disabilities,Droits des personnes handicapées,"
    "Ensure that all schools are accessible.,Veiller à ce que toutes les écoles soient accessibles.",
]
TITLE = "Make 20 county schools accessible to children with disabilities"
TITLE_FR = "Rendre 20 écoles du comté accessibles aux enfants handicapés"
ACTIONS = [
    "code,institution,title,short_title,recommendations,title_fr,short_title_fr",
    f"MOJ-1,MOJ,{TITLE},Accessible schools,CRPD-44,{TITLE_FR},Écoles accessibles (20)",
    f"TUR-1,TUR,{TITLE},Accessible schools,CRPD-44,{TITLE_FR},Écoles accessibles (20)",
    f"TUR2-1,TUR2,{TITLE},Accessible schools,CRPD-44,{TITLE_FR},",
]


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load(db: Database, tmp_path: Path, actions: list[str] = ACTIONS) -> dict[str, int]:
    with db.transaction() as s:
        import_roster(s, write(tmp_path, "roster.csv", ROSTER))
        import_recommendations(s, write(tmp_path, "recommendations.csv", RECOMMENDATIONS))
        return import_actions(s, write(tmp_path, "actions.csv", actions))


def seen_by(db: Database, phone: str, fallback: str = "en") -> tuple[tuple[str, str | None], str]:
    """(title, short title) of the person's one action, and the name of the cluster they may report on."""
    with db.transaction() as s:
        person = s.scalar(select(Person).where(Person.phone == phone))
        view = person_view(s, person, datetime.now(UTC), fallback_language=fallback)
        [action] = view.actions
        [cluster] = view.clusters
        return (action.title, action.short_title), cluster.name


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def test_each_person_sees_the_titles_of_their_language(db, tmp_path):
    """A French person gets the French title, short title and cluster name; an English one the
    base columns; a Spanish one, with no Spanish title, DEFAULT_LANGUAGE's (French here), else the
    base columns. A translated title without its own short title never borrows the English one."""
    assert load(db, tmp_path) == {"created": 3, "updated": 0, "unchanged": 0}
    assert seen_by(db, CLAIRE) == ((TITLE_FR, "Écoles accessibles (20)"), "Droits des personnes handicapées")
    assert seen_by(db, AMINA) == ((TITLE, "Accessible schools"), "Rights of persons with disabilities")
    assert seen_by(db, PEDRO) == ((TITLE, "Accessible schools"), "Rights of persons with disabilities")
    assert seen_by(db, PEDRO, fallback="fr") == ((TITLE_FR, None), "Droits des personnes handicapées")
    with db.transaction() as s:
        rec = s.scalar(select(Recommendation))
        assert rec.translations == {"fr": {"text": "Veiller à ce que toutes les écoles soient accessibles."}}
        assert s.scalar(select(Action.translations).where(Action.code == "TUR2-1")) == {"fr": {"title": TITLE_FR}}


def test_reimporting_updates_the_translations(db, tmp_path):
    """The same file changes nothing; a changed translated cell updates its action; a file
    without the translated columns takes the translations away."""
    load(db, tmp_path)
    assert load(db, tmp_path) == {"created": 0, "updated": 0, "unchanged": 3}
    changed = [line.replace("(20)", "(vingt)") if line.startswith("TUR-1,") else line for line in ACTIONS]
    assert load(db, tmp_path, changed) == {"created": 0, "updated": 1, "unchanged": 2}
    assert seen_by(db, CLAIRE)[0] == (TITLE_FR, "Écoles accessibles (vingt)")
    assert seen_by(db, AMINA)[0] == (TITLE, "Accessible schools")
    bare = [",".join(line.split(",")[:5]) for line in ACTIONS]
    assert load(db, tmp_path, bare) == {"created": 0, "updated": 3, "unchanged": 0}
    assert seen_by(db, CLAIRE)[0] == (TITLE, "Accessible schools")
    with db.transaction() as s:
        assert s.scalars(select(Action.translations)).all() == [None, None, None]


def test_a_translated_column_is_checked_like_its_base_column(db, tmp_path):
    """An unknown language suffix names the column; a translated short title keeps the 40-character
    limit and needs its title; a cluster's translated name goes with its cluster_name. Nothing is
    imported from a file with any problem."""
    with db.transaction() as s:
        import_roster(s, write(tmp_path, "roster.csv", ROSTER))
    long = "Vingt écoles du comté rendues accessibles aux enfants"
    actions = write(
        tmp_path,
        "actions.csv",
        [
            "code,institution,title,title_xx,title_fr,short_title_fr,short_title_es",
            f"TUR-1,TUR,{TITLE},x,{TITLE_FR},{long},Escuelas accesibles",
        ],
    )
    with pytest.raises(ImportFailed) as failed, db.transaction() as s:
        import_actions(s, actions)
    assert failed.value.problems == [
        'actions.csv:1: column title_xx: "xx" is not a language the bot speaks; name a translated column '
        f"title_<language>, with one of {', '.join(available_languages())}",
        f'actions.csv:2: short_title_fr "{long}": {len(long)} characters; at most 40 '
        "(it names the action in SMS lists)",
        'actions.csv:2: short_title_es "Escuelas accesibles": given without title_es; give the full title in it too',
    ]
    recommendations = write(
        tmp_path,
        "recommendations.csv",
        RECOMMENDATIONS + ["CRPD-45,CRPD,DISAB,,Handicap,Another one.,"],
    )
    with pytest.raises(ImportFailed) as failed, db.transaction() as s:
        import_recommendations(s, recommendations)
    assert failed.value.problems == [
        'recommendations.csv:3: cluster_name_fr "Handicap": give it on a row with the cluster and its cluster_name'
    ]
    with db.transaction() as s:
        assert [s.scalar(select(func.count()).select_from(m)) for m in (Action, Recommendation, Cluster)] == [0, 0, 0]


def test_weekly_prompt_carries_the_title_in_the_persons_language(sqlite_url, tmp_path):
    """Through send_weekly and the simulator channel: Claire's prompt names the action in French,
    Amina's in English."""
    with running_context(settings_for(sqlite_url)) as ctx, TestClient(create_app(ctx, run_jobs=True)):
        load(ctx.db, tmp_path)
        for phone in (CLAIRE, AMINA):
            assert len(send_weekly_now(ctx, phone)["queued"]) == 1
        wait_until(lambda: len(_sent(ctx)) == 2, message="both prompts sent")
        prompts = _sent(ctx)
    french, english = prompts[CLAIRE], prompts[AMINA]
    assert ("Rendre 20 écoles" in french or "Écoles accessibles (20)" in french) and "Make 20" not in french
    assert ("Make 20 county" in english or "Accessible schools" in english) and "écoles" not in english


def _sent(ctx) -> dict[str, str]:
    with ctx.db.transaction() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.status == "sent")).all()
        return {row.address: row.text for row in rows}


def test_the_mechanism_is_called_by_its_national_name(sqlite_url, tmp_path):
    """MECHANISM_NAME is what an unknown number, STOP and START and a REPORT with nothing to
    report on call the mechanism."""
    settings = settings_for(sqlite_url, mechanism_name="Kenya NMRF")
    with running_context(settings) as ctx, TestClient(create_app(ctx, run_jobs=True)) as client:
        with ctx.db.transaction() as s:
            import_roster(s, write(tmp_path, "roster.csv", ROSTER))

        def say(phone: str, text: str) -> str:
            before = len(_messages(client, phone))
            r = client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": f"{phone}:{text}"})
            assert r.status_code == 200
            return wait_until(lambda: _messages(client, phone)[before:], message=f"the answer to {text!r}")[0]

        assert say("+254799000111", "hello") == (
            "This number is not registered with the Kenya NMRF focal point network. "
            "Please ask your Kenya NMRF secretariat to add you."
        )
        assert say(AMINA, "REPORT") == "You have no action to report on. Please ask your Kenya NMRF secretariat."
        assert say(CLAIRE, "STOP") == (
            "Vous ne recevrez plus de messages du bot Kenya NMRF. Envoyez REPRENDRE pour les recevoir à nouveau."
        )
        assert say(CLAIRE, "START") == (
            "Abonnement réactivé : vous recevrez à nouveau les messages Kenya NMRF. Envoyez AIDE pour obtenir de l'aide."
        )


def _messages(client, phone: str) -> list[str]:
    return [m["text"] for m in client.get("/simulator/messages", params={"phone": phone}).json()["messages"]]


def test_translations_migration_goes_down_and_up_keeping_the_catalogue(database_url, tmp_path):
    """0009 adds `translations` to action, recommendation and cluster, and takes them away again
    without touching the rows or their links (SQLite drops the column in place)."""
    db = Database(database_url)
    with db.transaction() as s:
        for what, load_file in (("roster", import_roster), ("recommendations", import_recommendations)):
            load_file(s, DEMO / f"{what}.csv")
        import_actions(s, DEMO / "actions.csv")
    before = _links(db)
    db.dispose()
    downgrade(database_url, "0008")
    db = Database(database_url)
    with db.engine.connect() as conn:
        for table in ("action", "recommendation", "cluster"):
            assert "translations" not in {c["name"] for c in inspect(conn).get_columns(table)}
    assert _links(db) == before
    db.dispose()
    upgrade(database_url)
    db = Database(database_url)
    assert _links(db) == before
    with db.transaction() as s:
        assert s.scalars(select(Action.translations)).all() == [None] * 6
    db.dispose()


def _links(db: Database) -> tuple[int, ...]:
    from backend.catalog.models import action_recommendation, recommendation_sdg

    with db.transaction() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t))
            for t in (Action.__table__, action_recommendation, recommendation_sdg, Cluster.__table__)
        )
