"""The overview, on thirteen weeks of rounds made by the scheduler (`planner.tick` at chosen
times, as tests/backend/test_rhythm.py does) and answered through the simulator's webhook.

Weeks w-12 .. w-4: nobody answers. w-3: all five institutions. w-2: MOJ and MOH. w-1: nobody.
w0 (last week, so every tick is in the past): MOJ answers (action 1 blocked, with a note); the
others are reminded, MOH's substitute is asked, the rest run out of people and the desk is alerted.
Then Joseph (NPS) sends STOP, and Fatuma's (KSM) address is found unreachable."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.outbox import addresses
from backend.progress.rounds import ReportingRound
from backend.reports import overview as report
from backend.roster.models import Person
from backend.schedule import planner
from tests.admin.conftest import admin_site

AMINA, GRACE, JOSEPH, FATUMA, CLAIRE = (
    "+254700000001",
    "+254722000003",
    "+254700000005",
    "+254700000006",
    "+254700000007",
)
DESK = "+254799000009"
ALL = {AMINA: "1P 2P", GRACE: "1P", JOSEPH: "1P", FATUMA: "1P", CLAIRE: "1P"}


def last_monday() -> datetime:
    """Last week's Monday at 06:30 UTC (09:30 in Nairobi, just after the 09:00 prompt)."""
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return datetime(monday.year, monday.month, monday.day, 6, 30, tzinfo=UTC)


class Phone:
    def __init__(self, ctx, client):
        self.ctx, self.client, self.n = ctx, client, 0

    def send(self, phone: str, text: str) -> None:
        self.n += 1
        r = self.client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": f"ov-{self.n}"})
        assert r.status_code == 200, r.text
        assert self.ctx.dispatcher.wait_idle(15)


def build(ctx, app) -> dict[int, str]:
    from fastapi.testclient import TestClient

    ctx.dispatcher.start()
    w0 = last_monday()
    with ctx.db.transaction() as s:
        s.add(
            Person(
                name="Secretariat Desk",
                phone=DESK,
                channels="simulator",
                language="en",
                timezone="Africa/Nairobi",
                role="secretariat",
                created_at=w0 - timedelta(weeks=20),
            )
        )
    periods = {}
    with TestClient(app) as client:
        phone = Phone(ctx, client)
        for k in range(12, -1, -1):
            at = w0 - timedelta(weeks=k)
            planner.tick(ctx, at)
            with ctx.db.transaction() as s:
                periods[k] = s.scalar(
                    select(ReportingRound.period)
                    .where(ReportingRound.due_at <= at)
                    .order_by(ReportingRound.due_at.desc())
                    .limit(1)
                )
            answers = {3: ALL, 2: {AMINA: "1P 2P", GRACE: "1P"}, 0: {AMINA: "1B 2P"}}.get(k, {})
            for number, text in answers.items():
                phone.send(number, text)
        phone.send(AMINA, "waiting for the budget")  # the note on w0's update
        for hours in (24, 72, 96):
            planner.tick(ctx, w0 + timedelta(hours=hours, minutes=5))
        phone.send(JOSEPH, "STOP")
    with ctx.db.transaction() as s:
        addresses.mark_unreachable(
            s,
            channel="simulator",
            address=FATUMA,
            reason="The 'To' number +254700000006 is not a valid phone number",
            now=datetime.now(UTC),
        )
    return periods


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("overview") / "nmirf.db"
    shutil.copy(sqlite_template, path)
    with admin_site(f"sqlite:///{path}", session_timeout_hours=24 * 365) as (ctx, app):
        periods = build(ctx, app)
        yield ctx, app, periods


@pytest.fixture
def site(world):
    ctx, app, _periods = world
    return ctx, app


@pytest.fixture
def periods(world):
    return world[2]


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def rows(html: str) -> list[str]:
    """Each body row's cells, as text."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        out.append(
            " | ".join(re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S))
        )
    return out


def test_this_periods_rate_overall_and_per_institution(as_role, periods):
    html = as_role("secretariat").get("/admin/").text
    assert f"This period: <bdi>{periods[0]}</bdi>" in html
    assert "20%" in html and "1 of 5 prompted institutions answered" in html
    inst = rows(section(html, "inst-h"))
    assert [r.split(" ")[0] for r in inst] == ["KSM", "MOH", "NPS", "TUR", "MOJ"]  # unanswered first
    moj = inst[-1]
    assert "answered" in moj and "Amina Yusuf" in moj and "3 of 12" in moj  # w-3, w-2 and w0
    assert "2 of 12" in inst[1] and "| awaiting an answer |" in inst[1]  # MOH: w-3 and w-2; not this period
    assert 'href="/admin/roster?institution=MOJ"' in html and 'href="/admin/progress?institution=MOJ"' in html


def test_the_trend_chart_and_its_table(as_role, periods):
    html = as_role("viewer").get("/admin/").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and 'aria-labelledby="trend-title trend-desc"' in svg
    assert svg.count('<rect class="bar"') == 12  # the last twelve periods; w-12 fell off
    assert periods[12] not in html
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S).group(1)
    assert f"{periods[3]}: 5 of 5 answered (100%)" in desc
    assert f"{periods[2]}: 2 of 5 answered (40%)" in desc
    assert f"{periods[1]}: 0 of 5 answered (0%)" in desc
    assert f"{periods[0]}: 1 of 5 answered (20%)" in desc
    assert desc.index(periods[11]) < desc.index(periods[0])  # oldest first
    table = rows(section(html, "rate-h"))
    assert table[-1] == f"{periods[0]} | 1 | 5 | 20%" and table[-4] == f"{periods[3]} | 5 | 5 | 100%"
    # bar heights follow the figures: 100% is the full plot, 0% nothing
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([\d.]+)"', svg)]
    assert heights[-4] == 130.0 and heights[-2] == 0.0 and heights[-1] == 26.0


def test_overdue_escalations_alerts(as_role, periods):
    html = as_role("secretariat").get("/admin/").text
    overdue = rows(section(html, "overdue-h"))
    assert [r.split(" | ")[0] for r in overdue] == ["KSM", "MOH", "NPS", "TUR"]
    assert all(periods[0] in r for r in overdue)
    moh = next(r for r in overdue if r.startswith("MOH"))
    assert "Samuel Kiprop" in moh and "| awaiting an answer |" in moh
    assert "nobody left to ask" in next(r for r in overdue if r.startswith("NPS"))
    escalations = rows(section(html, "esc-h"))
    # w-1's substitutes, asked at w0 + 72 h, and MOH's for w0, asked at w0 + 96 h
    assert sorted(escalations) == sorted(
        [
            f"MOH | {periods[1]} | Samuel Kiprop | 2",
            f"MOJ | {periods[1]} | Peter Otieno | 2",
            f"MOH | {periods[0]} | Samuel Kiprop | 2",
        ]
    )
    alerts = rows(section(html, "alerts-h"))
    assert alerts and all("Secretariat Desk" in a for a in alerts)
    assert {a.split(" | ")[1] for a in alerts if periods[0] in a} == {"NPS", "KSM", "TUR"}


def test_unreachable_no_substitute_blocked(as_role):
    html = as_role("secretariat").get("/admin/").text
    reach = rows(section(html, "reach-h"))
    joseph = next(r for r in reach if r.startswith("Joseph"))
    assert "simulator: opted out (sent STOP)" in joseph and "no channel left" in joseph and "NPS" in joseph
    fatuma = next(r for r in reach if r.startswith("Fatuma"))
    assert "+254700000006" in fatuma  # secretariat sees the provider's words as they are
    assert [r.split(" | ")[0] for r in rows(section(html, "bare-h"))] == ["KSM", "NPS", "TUR"]
    blocked = rows(section(html, "blocked-h"))
    assert len(blocked) == 1 and blocked[0].startswith("MOJ-1") and "waiting for the budget" in blocked[0]
    assert 'href="/admin/progress/action/' in section(html, "blocked-h")


def test_a_viewer_never_sees_a_phone_number(as_role):
    html = as_role("viewer").get("/admin/").text
    for number in (AMINA, GRACE, JOSEPH, FATUMA, CLAIRE, DESK, "254700000006"):
        assert number not in html
    assert "(number hidden)" in section(html, "reach-h")


def test_role_checks_and_hostile_input(site, as_role):
    from fastapi.testclient import TestClient

    _ctx, app = site
    with TestClient(app, base_url="https://testserver") as anonymous:
        assert anonymous.get("/admin/", follow_redirects=False).status_code == 303
    viewer = as_role("viewer")
    assert viewer.get("/admin/").status_code == 200
    assert viewer.post("/admin/", data={}).status_code in (403, 405)  # nothing on this page changes anything
    for nonsense in ("abc", "0", "-1", "9" * 30, "1e3"):
        r = viewer.get("/admin/", params={"page": nonsense})
        assert r.status_code == 400 and "page number" in r.text
    r = viewer.get("/admin/", params={"page": "7"})  # past the end: an empty table, not an error
    assert r.status_code == 200 and "No rounds this period." in r.text


def test_the_read_functions_directly(site):
    ctx, _app = site
    with ctx.db.transaction() as db:
        chart = report.trend(db)
        assert len(chart) == 12 and [p.rate.percent for p in chart][-4:] == [100, 40, 0, 20]
        far = report.overdue(db, now=last_monday() - timedelta(weeks=30))  # before any round was due
        assert far.total == 0 and far.items == ()


def test_an_empty_store_says_so(sqlite_url):
    from fastapi.testclient import TestClient

    from tests.admin.conftest import sign_in

    with admin_site(sqlite_url) as (_ctx, app), TestClient(app, base_url="https://testserver") as client:
        sign_in(client, "viewer")
        html = client.get("/admin/").text
        assert "No reporting round has opened yet" in html and "Nobody is overdue." in html
