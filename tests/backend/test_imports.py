"""`nmirf import roster|recommendations|actions FILE.csv`: the demo files load completely,
re-importing changes nothing, and a bad file is reported line by line with nothing written."""

from __future__ import annotations

from datetime import UTC, date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from backend import cli
from backend.catalog.models import Action, Cluster, Recommendation
from backend.config import get_settings
from backend.db import Database
from backend.imports.catalog import import_actions, import_recommendations
from backend.imports.csvfile import ImportFailed
from backend.imports.roster import import_roster
from backend.roster.models import FocalPoint, Institution, Person
from backend.wiring.context import get_context, set_context
from tests.conftest import DEMO

ROSTER_HEADER = "institution,institution_name,level,region,name,phone,channels,language,timezone,rank"
TABLES = (
    "institution",
    "person",
    "focal_point",
    "cluster",
    "recommendation",
    "recommendation_sdg",
    "action",
    "action_recommendation",
)
IMPORTERS = {"roster": import_roster, "recommendations": import_recommendations, "actions": import_actions}


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def demo_lines(what: str) -> list[str]:
    return (DEMO / f"{what}.csv").read_text(encoding="utf-8").splitlines()


def load(db: Database, what: str, path: Path) -> dict[str, int]:
    with db.transaction() as session:
        return IMPORTERS[what](session, path)


def load_demo(db: Database) -> None:
    for what in IMPORTERS:
        load(db, what, DEMO / f"{what}.csv")


def problems(db: Database, what: str, path: Path) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        load(db, what, path)
    assert str(failed.value) == "\n".join(failed.value.problems)
    return failed.value.problems


def assert_reported(lines: list[str], expected: list[str]) -> None:
    """Each expected prefix starts exactly one reported line, and nothing else is reported."""
    for prefix in expected:
        assert sum(line.startswith(prefix) for line in lines) == 1, f"{prefix!r} not once in:\n" + "\n".join(lines)
    assert len(lines) == len(expected), "\n".join(lines)


def row_counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every imported table, in a stable order."""
    with db.transaction() as session:
        return {t: sorted((tuple(r) for r in session.execute(text(f"SELECT * FROM {t}"))), key=repr) for t in TABLES}


def run_cli(monkeypatch, tmp_path: Path, database_url: str, *argv: str) -> int:
    """`nmirf ARGV...` with DATABASE_URL set as in production; closes the context the command built."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", "")
    get_settings.cache_clear()
    try:
        return cli.main(list(argv))
    finally:
        ctx = get_context()
        ctx.close()
        set_context(None)
        get_settings.cache_clear()


# --- the demo files ------------------------------------------------------------------------------


def test_demo_roster_loads_institutions_people_and_ranks(db):
    """The demo roster creates every institution, person and focal point with its rank."""
    assert load(db, "roster", DEMO / "roster.csv") == {"created": 7, "updated": 0, "unchanged": 0}
    with db.transaction() as s:
        institutions = {i.short_name: (i.level, i.region) for i in s.scalars(select(Institution))}
        assert institutions == {
            "MOJ": ("national", None),
            "MOH": ("national", None),
            "NPS": ("national", None),
            "KSM": ("local", "Kisumu"),
            "TUR": ("local", "Turkana"),
        }
        assert s.scalar(select(func.count()).select_from(Person)) == 7
        ranks = {(fp.institution.short_name, fp.rank): fp.person.name for fp in s.scalars(select(FocalPoint))}
        assert ranks == {
            ("MOJ", 1): "Amina Yusuf",
            ("MOJ", 2): "Peter Otieno",
            ("MOH", 1): "Grace Wanjiru",
            ("MOH", 2): "Samuel Kiprop",
            ("NPS", 1): "Joseph Mwangi",
            ("KSM", 1): "Fatuma Achieng",
            ("TUR", 1): "Claire Dupont",
        }
        claire = s.scalar(select(Person).where(Person.name == "Claire Dupont"))
        assert (claire.phone, claire.language, claire.timezone, claire.channels, claire.active) == (
            "+254700000007",
            "fr",
            "Africa/Nairobi",
            "simulator",
            True,
        )
        assert claire.assignments[0].title == "Coordinatrice régionale"


def test_demo_recommendations_and_actions_load_with_links(db):
    """Recommendations arrive with clusters and SDG targets; actions with their institution and recommendations."""
    load(db, "roster", DEMO / "roster.csv")
    assert load(db, "recommendations", DEMO / "recommendations.csv") == {"created": 6, "updated": 0, "unchanged": 0}
    assert load(db, "actions", DEMO / "actions.csv") == {"created": 6, "updated": 0, "unchanged": 0}
    with db.transaction() as s:
        clusters = {c.code: c.name for c in s.scalars(select(Cluster))}
        assert clusters == {
            "CHILD": "Rights of the child",
            "GBV": "Gender-based violence",
            "HEALTH": "Right to health",
            "DISAB": "Rights of persons with disabilities",
        }
        recs = {r.reference: r for r in s.scalars(select(Recommendation))}
        assert {ref: (r.cluster.code, sorted(t.code for t in r.sdg_targets)) for ref, r in recs.items()} == {
            "UPR4-139.12": ("CHILD", ["16.2", "16.9"]),
            "UPR4-139.45": ("GBV", ["16.1", "5.2"]),
            "UPR4-139.77": ("HEALTH", ["3.1", "3.8"]),
            "CRC-2016-27": ("CHILD", ["16.9"]),
            "CEDAW-2017-23": ("GBV", ["5.2", "5.3"]),
            "CRPD-2015-44": ("DISAB", ["10.2", "4.5"]),
        }
        assert (recs["UPR4-139.77"].mechanism, recs["UPR4-139.77"].cycle, recs["UPR4-139.77"].support) == (
            "UPR",
            "4",
            "supported_in_part",
        )
        assert recs["CRC-2016-27"].support is None
        actions = {a.code: a for a in s.scalars(select(Action))}
        assert {
            code: (a.institution.short_name, [r.reference for r in a.recommendations]) for code, a in actions.items()
        } == {
            "MOJ-1": ("MOJ", ["UPR4-139.12"]),
            "MOJ-2": ("MOJ", ["CRC-2016-27"]),
            "MOH-1": ("MOH", ["UPR4-139.77"]),
            "NPS-1": ("NPS", ["UPR4-139.45"]),
            "KSM-1": ("KSM", ["CEDAW-2017-23"]),
            "TUR-1": ("TUR", ["CRPD-2015-44"]),
        }
        assert (actions["MOJ-2"].target_date, actions["MOJ-2"].indicator, actions["MOJ-2"].status) == (
            date(2027, 3, 31),
            "Children registered",
            "not_started",
        )
        assert actions["MOJ-1"].indicator is None
    assert row_counts(db)["recommendation_sdg"] == 11


def test_phone_numbers_are_stored_in_e164(db, tmp_path):
    """A phone written with spaces and dashes is stored as +254711000002, and matches on re-import."""
    path = write(
        tmp_path,
        "roster.csv",
        ROSTER_HEADER,
        "MOJ,Ministry of Justice,national,,Peter Otieno,+254 711-000 002,sms,en,Africa/Nairobi,1",
    )
    load(db, "roster", path)
    with db.transaction() as s:
        assert list(s.scalars(select(Person.phone))) == ["+254711000002"]
    write(
        tmp_path,
        "roster.csv",
        ROSTER_HEADER,
        "MOJ,Ministry of Justice,national,,Peter Otieno,+254711000002,sms,en,Africa/Nairobi,1",
    )
    assert load(db, "roster", path) == {"created": 0, "updated": 0, "unchanged": 1}


# --- re-importing --------------------------------------------------------------------------------


def test_reimporting_the_same_files_changes_nothing(db):
    """Importing the demo files a second time reports everything unchanged and leaves every row as it was."""
    load_demo(db)
    before = snapshot(db)
    assert load(db, "roster", DEMO / "roster.csv") == {"created": 0, "updated": 0, "unchanged": 7}
    assert load(db, "recommendations", DEMO / "recommendations.csv") == {"created": 0, "updated": 0, "unchanged": 6}
    assert load(db, "actions", DEMO / "actions.csv") == {"created": 0, "updated": 0, "unchanged": 6}
    assert snapshot(db) == before


def test_changing_one_cell_updates_just_that_row(db, tmp_path):
    """Editing one cell and importing again updates that row only; every other row stays identical."""
    load_demo(db)
    before = snapshot(db)
    roster = write(
        tmp_path,
        "roster.csv",
        *[line.replace(",State Counsel,,", ",Deputy Counsel,,") for line in demo_lines("roster")],
    )
    assert load(db, "roster", roster) == {"created": 0, "updated": 1, "unchanged": 6}
    after = snapshot(db)
    assert {t for t in TABLES if after[t] != before[t]} == {"focal_point"}
    changed = set(after["focal_point"]) ^ set(before["focal_point"])
    assert len(changed) == 2  # the old and the new version of one row
    with db.transaction() as s:
        assert (
            s.scalar(select(FocalPoint.title).join(Person).where(Person.phone == "+254711000002")) == "Deputy Counsel"
        )

    recs = write(
        tmp_path, "recommendations.csv", *[line.replace("16.2;16.9", "16.2") for line in demo_lines("recommendations")]
    )
    assert load(db, "recommendations", recs) == {"created": 0, "updated": 1, "unchanged": 5}
    assert row_counts(db)["recommendation_sdg"] == 10


# --- bad files -----------------------------------------------------------------------------------

BAD_ROSTER = [
    ROSTER_HEADER,
    "MOJ,Ministry of Justice,national,,Amina Yusuf,+12,sms,en,Africa/Nairobi,1",  # 2
    "MOJ,Ministry of Justice,national,,Peter Otieno,+254711000002,sms,xx,Africa/Nairobi,2",  # 3
    "MOH,Ministry of Health,national,,Grace Wanjiru,+254722000003,sms,en,Mars/Base,1",  # 4
    "MOH,Ministry of Health,national,,Samuel Kiprop,+254733000004,sms,en,Africa/Nairobi,0",  # 5
    "NPS,National Police Service,federal,,Joseph Mwangi,+254700000005,sms,en,Africa/Nairobi,1",  # 6
    "NPS,National Police Service,national,,,+254700000008,sms,en,Africa/Nairobi,2",  # 7
    "KSM,County Government of Kisumu,local,,Fatuma Achieng,+254700000006,sms,en,Africa/Nairobi,1",  # 8
    "TUR,County Government of Turkana,local,Turkana,Claire Dupont,+254700000007,sms,fr,Africa/Nairobi,1",  # 9
    "KSM,County Government of Kisumu,local,Kisumu,Jean Martin,+254 700-000 007,sms,fr,Africa/Nairobi,2",  # 10
    "TUR,County Government of Turkana,local,Turkana,Dupont, Claire,+254700000009,sms,fr,Africa/Nairobi,3",  # 11
    "MOH,Ministry of Health,national,,Tom Oduya,+254700000010,sms,en,Africa,3",  # 12
]
BAD_ROSTER_REPORT = [
    'roster.csv:2: phone "+12": not a valid phone number; write it in international form, e.g. +254712345678',
    'roster.csv:3: language "xx": unknown language; use a code such as en, fr, es, pt or ar',
    'roster.csv:4: timezone "Mars/Base": unknown time zone; use an IANA name such as Africa/Nairobi',
    'roster.csv:5: rank "0": expected 1 for the lead, 2, 3... for substitutes',
    'roster.csv:6: level "federal": expected one of national, regional, local',
    "roster.csv:7: name: is required",
    "roster.csv:8: region: is required for a local institution",
    'roster.csv:10: phone "+254 700-000 007": already used by another person on line 9',
    "roster.csv:11: more cells than columns; check for an unquoted comma",
    'roster.csv:12: timezone "Africa": unknown time zone',
]


def test_bad_roster_reports_every_problem_and_writes_nothing(db, tmp_path):
    """Each problem of a bad roster is one `file:line: column "value": what is wrong` line; no row is written."""
    lines = problems(db, "roster", write(tmp_path, "roster.csv", *BAD_ROSTER))
    assert_reported(lines, BAD_ROSTER_REPORT)
    assert row_counts(db)["person"] == row_counts(db)["institution"] == 0


def test_roster_with_only_its_last_row_bad_writes_nothing(db, tmp_path):
    """One bad row at the end of an otherwise good roster stops the whole import, even over existing data."""
    path = write(
        tmp_path,
        "roster.csv",
        *demo_lines("roster"),
        "NPS,National Police Service,national,,Mary Njeri,+12,,simulator,en,Africa/Nairobi,2,,,",
    )
    assert problems(db, "roster", path) == [
        'roster.csv:9: phone "+12": not a valid phone number; write it in international form, e.g. +254712345678'
    ]
    assert row_counts(db) == dict.fromkeys(TABLES, 0)

    load_demo(db)
    before = snapshot(db)
    changed = [line.replace("Amina Yusuf", "Amina Y. Yusuf") for line in demo_lines("roster")]
    write(
        tmp_path,
        "roster.csv",
        *changed,
        "NPS,National Police Service,national,,Mary Njeri,+254700000011,,"
        "simulator,en,Africa/Nairobi,1,,2027-01-01,2026-01-01",
    )
    assert problems(db, "roster", path) == ['roster.csv:9: active_to "2026-01-01": is before active_from']
    assert snapshot(db) == before


def test_roster_missing_a_column_is_one_line(db, tmp_path):
    """A roster without a required column is reported once, naming the column and the expected header."""
    header = ROSTER_HEADER.replace(",timezone", "")
    path = write(tmp_path, "roster.csv", header, "MOJ,Ministry of Justice,national,,Amina Yusuf,+254700000001,sms,en,1")
    assert problems(db, "roster", path) == [
        "roster.csv:1: missing column(s) timezone; expected columns: institution, institution_name, level, name, "
        "phone, language, timezone, rank, region, telegram_user_id, channels, title, active_from, active_to, schedule, escalation, role"
    ]


def test_cli_bad_roster_exits_1_and_says_nothing_imported(db, database_url, tmp_path, monkeypatch, capsys):
    """`nmirf import roster` on a bad file prints each problem and "nothing imported" on stderr, exit code 1."""
    path = write(tmp_path, "roster.csv", *BAD_ROSTER)
    assert run_cli(monkeypatch, tmp_path, database_url, "import", "roster", str(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[-1] == "nothing imported: fix the 10 problem(s) above and run the import again"
    assert_reported(lines[:-1], BAD_ROSTER_REPORT)
    assert row_counts(db)["person"] == row_counts(db)["institution"] == 0


def test_cli_imports_the_demo_files_and_reports_counts(db, database_url, tmp_path, monkeypatch, capsys):
    """`nmirf import` prints created / updated / unchanged counts and exits 0; the second run changes nothing."""
    for what, n in (("roster", 7), ("recommendations", 6), ("actions", 6)):
        path = str(DEMO / f"{what}.csv")
        assert run_cli(monkeypatch, tmp_path, database_url, "import", what, path) == 0
        assert capsys.readouterr() == (f"{path}: {n} created, 0 updated, 0 unchanged\n", "")
    before = snapshot(db)
    path = str(DEMO / "roster.csv")
    assert run_cli(monkeypatch, tmp_path, database_url, "import", "roster", path) == 0
    assert capsys.readouterr().out == f"{path}: 0 created, 0 updated, 7 unchanged\n"
    assert snapshot(db) == before


def test_bad_recommendations_are_reported_and_nothing_written(db, tmp_path):
    """Unknown SDG targets, a repeated reference and an unnamed new cluster are reported; nothing is written."""
    path = write(
        tmp_path,
        "recommendations.csv",
        "reference,mechanism,cycle,support,cluster,cluster_name,sdg_targets,text",
        "UPR4-1,UPR,4,supported,WATER,,6.1,Ensure access to safe drinking water.",
        "UPR4-1,UPR,4,supported,WATER,Water and sanitation,6.2,Ensure access to sanitation.",
        "UPR4-2,UPR,4,supported,GBV,Gender-based violence,18.1;5.2,Train police officers.",
        "UPR4-3,UPR,4,perhaps,,,,Something.",
    )
    assert_reported(
        problems(db, "recommendations", path),
        [
            "recommendations.csv:2: cluster_name: is required the first time cluster WATER appears",
            'recommendations.csv:3: reference "UPR4-1": repeats line 2; each recommendation once',
            'recommendations.csv:4: sdg_targets "18.1;5.2": 18.1 is not an SDG target; use codes such as 5.2 or 16.a',
            'recommendations.csv:5: support "perhaps": expected one of supported, supported_in_part, noted',
        ],
    )
    counts = row_counts(db)
    assert counts["recommendation"] == counts["cluster"] == counts["recommendation_sdg"] == 0


def test_bad_actions_are_reported_and_nothing_written(db, tmp_path):
    """Unknown institution or recommendation and a non-ISO date are reported (the date with YYYY-MM-DD)."""
    load(db, "roster", DEMO / "roster.csv")
    load(db, "recommendations", DEMO / "recommendations.csv")
    path = write(
        tmp_path,
        "actions.csv",
        "code,institution,title,target_date,indicator,recommendations",
        "MOX-1,MOX,Draft the bill,2027-06-30,,UPR4-139.12",
        "MOJ-9,MOJ,Register births,2027-03-31,,UPR4-139.12;UPR9-1",
        "MOJ-10,MOJ,Run a campaign,31/12/2027,,CRC-2016-27",
    )
    assert_reported(
        problems(db, "actions", path),
        [
            'actions.csv:2: institution "MOX": no such institution in the roster; import the roster first',
            'actions.csv:3: recommendations "UPR4-139.12;UPR9-1": UPR9-1 is not a known recommendation; '
            "import recommendations first",
            'actions.csv:4: target_date "31/12/2027": not a date; write it as YYYY-MM-DD',
        ],
    )
    assert row_counts(db)["action"] == row_counts(db)["action_recommendation"] == 0


def test_file_that_is_not_utf8_is_one_clear_line(db, tmp_path):
    """A roster saved as latin-1 is refused with one line asking for CSV UTF-8."""
    path = tmp_path / "roster.csv"
    path.write_bytes(
        (
            ROSTER_HEADER + "\nTUR,Comté de Turkana,local,Turkana,Claire Dupont,+254700000007,sms,fr,Africa/Nairobi,1\n"
        ).encode("latin-1")
    )
    [line] = problems(db, "roster", path)
    assert line.startswith("roster.csv: not UTF-8 text (byte ")
    assert line.endswith("); save the file as CSV UTF-8")
    assert row_counts(db)["person"] == 0


def test_missing_file_is_one_clear_line(db, database_url, tmp_path, monkeypatch, capsys):
    """Importing a file that does not exist says so in one line (and the CLI exits 1)."""
    path = tmp_path / "nope.csv"
    assert problems(db, "actions", path) == [f"{path}: no such file"]
    assert run_cli(monkeypatch, tmp_path, database_url, "import", "actions", str(path)) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: no such file",
        "nothing imported: fix the 1 problem(s) above and run the import again",
    ]


def test_a_short_title_names_the_action_in_what_the_person_reads(db, tmp_path):
    """`short_title` (at most 40 characters) reaches the engine beside the full title, for SMS
    lists; a longer one is refused with its length; removing it leaves the full title alone."""
    from datetime import datetime

    from backend.roster.models import Person
    from backend.sessions.people import person_view

    load(db, "roster", DEMO / "roster.csv")
    load(db, "recommendations", DEMO / "recommendations.csv")
    header = "code,institution,title,short_title"
    long_short = "Children Protection Bill drafted and sent to Cabinet"
    assert problems(
        db,
        "actions",
        write(tmp_path, "actions.csv", header, f"MOJ-1,MOJ,Draft the Children Protection Bill,{long_short}"),
    ) == [
        f'actions.csv:2: short_title "{long_short}": {len(long_short)} characters; at most 40 '
        "(it names the action in SMS lists)"
    ]
    load(
        db,
        "actions",
        write(
            tmp_path,
            "actions.csv",
            header,
            "MOJ-1,MOJ,Draft the Children Protection Bill and submit it to Cabinet,Child Protection Bill",
        ),
    )

    def titles():
        with db.transaction() as s:
            amina = s.scalar(select(Person).where(Person.phone == "+254700000001"))
            return [(a.title, a.short_title) for a in person_view(s, amina, datetime.now(UTC)).actions]

    assert titles() == [("Draft the Children Protection Bill and submit it to Cabinet", "Child Protection Bill")]
    assert (
        load(
            db,
            "actions",
            write(
                tmp_path,
                "actions.csv",
                header,
                "MOJ-1,MOJ,Draft the Children Protection Bill and submit it to Cabinet,",
            ),
        )["updated"]
        == 1
    )
    assert titles() == [("Draft the Children Protection Bill and submit it to Cabinet", None)]
