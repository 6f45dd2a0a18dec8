"""The progress pages and the progress CSV, on updates sent through the simulator's webhook:
two weekly rounds (opened by `planner.tick` at chosen times) answered by MOJ and MOH, and two
community reports (Kisumu on an action, Turkana on a cluster, with an Arabic note)."""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.catalog.models import Action, Recommendation
from backend.reports import progress as report
from backend.schedule import planner
from tests.admin.conftest import admin_site

AMINA, GRACE, FATUMA, CLAIRE = "+254700000001", "+254722000003", "+254700000006", "+254700000007"
PHONES = (AMINA, GRACE, FATUMA, CLAIRE, "+254711000002", "+254733000004", "+254700000005")
HOSTILE = '=HYPERLINK("http://evil.example","click")'
ARABIC = "تدريب المعلمين في المدارس"


def last_monday() -> datetime:
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return datetime(monday.year, monday.month, monday.day, 6, 30, tzinfo=UTC)


def build(ctx, app) -> None:
    ctx.dispatcher.start()
    n = 0
    with TestClient(app) as client:

        def send(phone: str, *texts: str) -> None:
            nonlocal n
            for text in texts:
                n += 1
                r = client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": f"pr-{n}"})
                assert r.status_code == 200, r.text
                assert ctx.dispatcher.wait_idle(15)

        send(FATUMA, "REPORT", "1", "Kondele ward", "Trained 40 volunteers", "250")
        send(CLAIRE, "REPORT", "2", "Lodwar", ARABIC, "120")
        w0 = last_monday()
        planner.tick(ctx, w0 - timedelta(weeks=1))
        send(AMINA, "1P 2N", "SKIP")
        planner.tick(ctx, w0)
        send(AMINA, "1B 2P 1200", HOSTILE)
        send(GRACE, "1D 12", "SKIP")


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("progress") / "nmirf.db"
    shutil.copy(sqlite_template, path)
    with admin_site(f"sqlite:///{path}", session_timeout_hours=24 * 365) as (ctx, app):
        build(ctx, app)
        yield ctx, app


@pytest.fixture
def site(world):
    return world


def ids(ctx) -> dict[str, int]:
    with ctx.db.transaction() as db:
        found = {code: i for code, i in db.execute(select(Action.code, Action.id))}
        found.update({ref: i for ref, i in db.execute(select(Recommendation.reference, Recommendation.id))})
        return found


def rows(html: str, table: int = 0) -> list[str]:
    body = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)[table]
    return [
        " | ".join(
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", td)).strip()
            for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        )
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def codes(html: str) -> list[str]:
    return [r.split(" ")[0] for r in rows(html) if not r.startswith("No action")]


def test_actions_with_their_latest_status_note_and_message(as_role):
    html = as_role("secretariat").get("/admin/progress").text
    assert codes(html) == ["KSM-1", "MOH-1", "MOJ-1", "MOJ-2", "NPS-1", "TUR-1"]
    moj1 = next(r for r in rows(html) if r.startswith("MOJ-1"))
    assert "blocked" in moj1 and "Amina Yusuf" in moj1 and "HYPERLINK" in moj1 and "UPR4-139.12 (UPR)" in moj1
    moj2 = next(r for r in rows(html) if r.startswith("MOJ-2"))
    assert "in progress" in moj2 and "1200" in moj2
    assert "completed" in next(r for r in rows(html) if r.startswith("MOH-1"))
    assert "none yet" in next(r for r in rows(html) if r.startswith("NPS-1"))
    assert re.search(r'href="/admin/messages\?inbound=\d+"', html)
    assert "&lt;" not in moj1 and "<script" not in html  # autoescaped, nothing inline


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"cluster": "CHILD"}, ["MOJ-1", "MOJ-2"]),
        ({"sdg": "5.2"}, ["KSM-1", "NPS-1"]),
        ({"sdg": "16.9"}, ["MOJ-1", "MOJ-2"]),
        ({"mechanism": "CRC"}, ["MOJ-2"]),
        ({"institution": "MOH"}, ["MOH-1"]),
        ({"region": "Kisumu"}, ["KSM-1"]),
        ({"level": "local"}, ["KSM-1", "TUR-1"]),
        ({"status": "blocked"}, ["MOJ-1"]),
        ({"cluster": "CHILD", "mechanism": "UPR"}, ["MOJ-1"]),
        ({"cluster": "HEALTH", "institution": "MOJ"}, []),
        ({"cluster": "", "page": "1"}, ["KSM-1", "MOH-1", "MOJ-1", "MOJ-2", "NPS-1", "TUR-1"]),
    ],
)
def test_filters(as_role, query, expected):
    r = as_role("viewer").get("/admin/progress", params=query)
    assert r.status_code == 200 and codes(r.text) == expected
    for name, value in query.items():
        if value and name != "page":
            assert f'<option value="{value}" selected' in r.text


def test_the_selects_are_filled_from_the_data_and_labelled(as_role):
    html = as_role("viewer").get("/admin/progress").text
    for name in ("cluster", "sdg", "mechanism", "institution", "region", "level", "status"):
        assert f'<label for="f-{name}">' in html and f'<select id="f-{name}" name="{name}">' in html
    for value in (
        "CHILD",
        "GBV",
        "DISAB",
        "16.2",
        "5.3",
        "UPR",
        "CEDAW",
        "CRPD",
        "KSM",
        "Kisumu",
        "Turkana",
        "local",
        "national",
    ):
        assert f'<option value="{value}"' in html
    assert '<form method="get" action="/admin/progress"' in html


@pytest.mark.parametrize(
    "query, says",
    [
        ({"cluster": "NOPE"}, "There is no cluster"),
        ({"level": "galactic"}, "There is no level"),
        ({"sdg": "' OR 1=1 --"}, "There is no sdg"),
        ({"institution": "x" * 500}, "too long"),
        ({"page": "two"}, "page number"),
        ({"page": "0"}, "page number"),
    ],
)
def test_nonsense_filters_get_a_clear_400(as_role, query, says):
    for path in ("/admin/progress", "/admin/exports/progress.csv"):
        if path.endswith(".csv") and "page" in query:
            continue
        r = as_role("viewer").get(path, params=query)
        assert r.status_code == 400 and says in r.text and "Not possible" in r.text


def test_pagination(site, as_role):
    ctx, _ = site
    r = as_role("viewer").get("/admin/progress", params={"page": "2"})
    assert r.status_code == 200 and "No action matches." in r.text
    with ctx.db.transaction() as db:
        first = report.actions(db, filters=report.Filters(), page=1, per_page=4)
        second = report.actions(db, filters=report.Filters(), page=2, per_page=4)
    assert first.total == 6 and first.pages == 2 and [a.code for a in second.items] == ["NPS-1", "TUR-1"]


def test_an_actions_timeline(site, as_role):
    ctx, _ = site
    html = as_role("viewer").get(f"/admin/progress/action/{ids(ctx)['MOJ-1']}").text
    assert "<h1>Action MOJ-1</h1>" in html and "UPR4-139.12" in html
    timeline = rows(html)
    assert len(timeline) == 2
    assert timeline[0].startswith(timeline[0].split(" | ")[0])
    assert "Amina Yusuf | blocked" in timeline[0] and "simulator" in timeline[0] and "message " in timeline[0]
    assert "Amina Yusuf | in progress" in timeline[1]
    week = rows(html)[0].split(" | ")[5]
    assert re.fullmatch(r"\d{4}-W\d\d", week)
    moj2 = rows(as_role("viewer").get(f"/admin/progress/action/{ids(ctx)['MOJ-2']}").text)
    assert moj2[0].split(" | ")[4] == "1200" and "not started" in moj2[1]


def test_a_recommendations_timeline(site, as_role):
    ctx, _ = site
    html = as_role("viewer").get(f"/admin/progress/recommendation/{ids(ctx)['UPR4-139.12']}").text
    assert "Recommendation UPR4-139.12" in html and "Adopt a comprehensive child protection law" in html
    assert "16.2, 16.9" in html and "Rights of the child" in html
    assert [r.split(" ")[0] for r in rows(html, 0)] == ["MOJ-1"]
    assert len(rows(html, 1)) == 2 and all("MOJ-1" in r for r in rows(html, 1))


def test_unknown_or_nonsense_ids_are_404(as_role):
    viewer = as_role("viewer")
    for path in (
        "/admin/progress/action/999999",
        "/admin/progress/action/abc",
        "/admin/progress/action/" + "9" * 40,
        "/admin/progress/recommendation/0",
        "/admin/progress/recommendation/-1",
    ):
        r = viewer.get(path)
        assert r.status_code == 404 and "Not possible" in r.text, path


def test_community_reports_by_region(as_role):
    viewer = as_role("viewer")
    html = viewer.get("/admin/progress/community").text
    assert rows(html, 0) == ["Kisumu | 1 | 250", "Turkana | 1 | 120"]
    reports = rows(html, 1)
    assert len(reports) == 2
    assert f'dir="auto">{ARABIC}<' in html  # an Arabic note keeps its own direction
    turkana = next(r for r in reports if "Turkana" in r)
    assert "Lodwar" in turkana and "Rights of persons with disabilities" in turkana and "(TUR)" in turkana
    only = viewer.get("/admin/progress/community", params={"region": "Kisumu"}).text
    (one,) = rows(only, 1)
    assert "Kondele ward" in one and "KSM-1" in one and "Trained 40 volunteers" in one and "250" in one
    assert '<option selected dir="auto">Kisumu</option>' in only
    r = viewer.get("/admin/progress/community", params={"region": "Atlantis"})
    assert r.status_code == 400 and "There is no region" in r.text


def read_csv(r) -> list[dict[str, str]]:
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="progress-')
    return list(csv.DictReader(io.StringIO(r.text)))


def test_the_export_for_the_secretariat_has_phone_numbers(as_role):
    got = read_csv(as_role("secretariat").get("/admin/exports/progress.csv"))
    assert list(got[0]) == [*report.COLUMNS, "reporter phone"]
    assert [(g["action code"], g["status"]) for g in got] == [
        ("KSM-1", "in_progress"),  # the community report on KSM-1
        ("MOJ-1", "in_progress"),
        ("MOJ-2", "not_started"),
        ("MOJ-1", "blocked"),
        ("MOJ-2", "in_progress"),
        ("MOH-1", "completed"),
    ]
    blocked = got[3]
    assert blocked["note"] == "'" + HOSTILE  # a formula is text, not run
    assert blocked["reported by"] == "Amina Yusuf" and blocked["reporter phone"] == "'" + AMINA  # + is a formula sign
    assert blocked["channel"] == "simulator" and blocked["institution"] == "MOJ"
    assert got[4]["figure"] == "1200" and got[4]["action title"].startswith("Run a birth registration")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", blocked["when"])


def test_the_export_for_a_viewer_has_no_phone_numbers(as_role):
    r = as_role("viewer").get("/admin/exports/progress.csv")
    got = read_csv(r)
    assert list(got[0]) == list(report.COLUMNS)
    for phone in PHONES:
        assert phone not in r.text and phone[1:] not in r.text


def test_the_export_takes_the_pages_filters(as_role):
    client = as_role("admin")
    got = read_csv(client.get("/admin/exports/progress.csv", params={"institution": "MOH"}))
    assert [(g["action code"], g["figure"]) for g in got] == [("MOH-1", "12")]
    assert read_csv(client.get("/admin/exports/progress.csv", params={"status": "not_started"})) == []
    page = client.get("/admin/progress", params={"cluster": "CHILD"}).text
    assert 'href="/admin/exports/progress.csv?cluster=CHILD"' in page


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=1+1", "'=1+1"),
        ("+254700000001", "'+254700000001"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("plain = text", "plain = text"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_safe_cell_guards_formulas(value, cell):
    assert report.safe_cell(value) == cell


def test_csv_lines_quote_what_needs_quoting():
    from backend.reports.progress import Update

    u = Update(
        id=1,
        at=datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
        action_id=1,
        action_code="A-1",
        action_title='Say "hello", then go',
        institution="MOJ",
        status="blocked",
        note="line one\nline two",
        figure="",
        period="2026-W50",
        level="national",
        locality=None,
        people_reached=None,
        channel="sms",
        inbound_id=None,
        reporter="=cmd|' /C calc'!A0",
        reporter_phone="+254700000001",
    )
    (header, line) = list(csv.reader(io.StringIO("".join(report.csv_lines([u], with_phone=False)))))
    assert header == list(report.COLUMNS)
    assert line == [
        "2026-12-07T09:30:00Z",
        "MOJ",
        "A-1",
        'Say "hello", then go',
        "blocked",
        "line one\nline two",
        "",
        "2026-W50",
        "sms",
        "'=cmd|' /C calc'!A0",
    ]


def test_every_route_needs_a_session_and_nothing_changes_on_them(site, as_role):
    ctx, app = site
    found = ids(ctx)
    paths = (
        "/admin/progress",
        f"/admin/progress/action/{found['MOJ-1']}",
        f"/admin/progress/recommendation/{found['UPR4-139.12']}",
        "/admin/progress/community",
        "/admin/exports/progress.csv",
    )
    with TestClient(app, base_url="https://testserver") as anonymous:
        for path in paths:
            r = anonymous.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/admin/login"), path
    for role in ("viewer", "secretariat", "admin"):
        client = as_role(role)
        for path in paths:
            assert client.get(path).status_code == 200, (role, path)
    viewer = as_role("viewer")
    for path in paths:
        assert viewer.post(path, data={}).status_code in (403, 405), path
