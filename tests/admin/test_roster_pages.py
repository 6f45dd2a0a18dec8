"""The roster page, its CSV import (the CLI's importer, all or nothing) and the roster export,
through the real pages as each role."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from backend.accounts.models import AuditEntry
from backend.admin.roster import MAX_UPLOAD
from backend.imports.roster import OPTIONAL, REQUIRED, import_roster
from backend.inbox.service import store_inbound
from backend.jobs.process import process_inbound
from backend.outbox import addresses
from backend.roster.models import FocalPoint, Institution, Person
from bot.message import Address, Channel, ContentKind, InboundMessage
from tests.admin.conftest import csrf_of
from tests.conftest import DEMO

DEMO_PHONES = [line.split(",")[5] for line in (DEMO / "roster.csv").read_text().splitlines()[1:]]
AMINA = "+254700000001"
HEADER = "institution,institution_name,level,region,name,phone,channels,language,timezone,rank,title,role\n"
EXTRA = (
    HEADER + "SEC,NMIRF secretariat,national,,Wanjiku Kamau,+254700000008,simulator,en,Africa/Nairobi,1,,secretariat\n"
    "KNCHR,Kenya National Commission on Human Rights,national,,Hassan Odhiambo,+254700000009,simulator,sw,"
    "Africa/Nairobi,1,,observer\n"
)


def import_text(ctx, tmp_path, text: str, name: str = "extra.csv") -> dict:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with ctx.db.transaction() as db:
        return import_roster(db, path)


def say(ctx, phone: str, text: str, provider_id: str) -> None:
    """A person writes on the simulator channel (stored as a webhook stores it, then processed)."""
    item = InboundMessage(Address(Channel.SIMULATOR, phone), provider_id, ContentKind.TEXT, text)
    with ctx.db.transaction() as db:
        inbox_id, _ = store_inbound(db, item, datetime.now(UTC))
    process_inbound(inbox_id)


def upload(client, content: bytes, name: str = "roster.csv", token: str | None = "page"):
    if token == "page":
        token = csrf_of(client.get("/admin/roster").text)
    data = {"csrf_token": token} if token else {}
    return client.post("/admin/roster/import", data=data, files={"file": (name, content, "text/csv")})


def people(ctx) -> int:
    with ctx.db.transaction() as db:
        return db.scalar(select(func.count()).select_from(Person))


def audit_actions(ctx) -> list[str]:
    with ctx.db.transaction() as db:
        return list(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("roster%"))))


def sections(html: str) -> list[str]:
    return [part.split("</h3>")[0] for part in html.split('<h3 dir="auto">')[1:]]


# --- the page ---------------------------------------------------------------------------


def test_secretariat_sees_leads_and_substitutes_in_order_with_channels(site, as_role, tmp_path):
    ctx, _ = site
    import_text(
        ctx,
        tmp_path,
        "institution,institution_name,level,name,phone,channels,language,timezone,rank,title,schedule,escalation\n"
        "MOH,Ministry of Health,national,Grace Wanjiru,+254722000003,simulator,en,Africa/Nairobi,1,Head of Policy,"
        'monthly 1 09:00,"reminders 12,48 then 6"\n',
    )
    html = as_role("secretariat").get("/admin/roster").text
    assert "Institutions (5)" in html
    assert [s.split(":")[0] for s in sections(html)] == ["KSM", "MOH", "MOJ", "NPS", "TUR"]
    moj = html.split("MOJ: Ministry of Justice")[1].split("</section>")[0]
    assert moj.index("Amina Yusuf") < moj.index("Peter Otieno") and "1 (lead)" in moj and "leads today" in moj
    assert "simulator +254700000001: " in moj and "reachable" in moj
    assert "Africa/Nairobi" in moj and "Senior State Counsel" in moj
    assert "schedule: weekly mon 09:00 (the default)" in moj
    assert "escalation: reminders 24,72 then 24 hours (the default)" in moj
    moh = html.split("MOH: Ministry of Health")[1].split("</section>")[0]
    assert "schedule: monthly 1 09:00 ·" in moh
    assert "escalation: reminders 12,48 then 6</p>" in moh
    # NPS has one focal point: no substitute
    assert "No available substitute" in html.split("NPS: National Police")[1].split("</section>")[0]


def test_filters_by_institution_level_region_and_person(site, as_role):
    ctx, _ = site
    client = as_role("viewer")
    assert [s.split(":")[0] for s in sections(client.get("/admin/roster?institution=moh").text)] == ["MOH"]
    assert [s.split(":")[0] for s in sections(client.get("/admin/roster?level=local").text)] == ["KSM", "TUR"]
    assert [s.split(":")[0] for s in sections(client.get("/admin/roster?region=Kisumu").text)] == ["KSM"]
    with ctx.db.transaction() as db:
        peter = db.scalar(select(Person.id).where(Person.name == "Peter Otieno"))
    page = client.get(f"/admin/roster?person={peter}").text
    assert [s.split(":")[0] for s in sections(page)] == ["MOJ"] and 'class="mark"' in page
    assert "No institution matches" in client.get("/admin/roster?institution=NOPE").text
    # nonsense: a clear 400 page, or ignored; never a 500
    for query in ("level=galactic", "person=abc", "institution=" + "x" * 300):
        r = client.get("/admin/roster?" + query)
        assert r.status_code == 400 and "Not possible" in r.text, query
    assert client.get("/admin/roster?page=zz").status_code == 200
    assert client.get("/admin/roster?page=-3").status_code == 200


def test_secretariat_and_observers_have_their_own_sections(site, as_role, tmp_path):
    ctx, _ = site
    import_text(ctx, tmp_path, EXTRA)
    html = as_role("secretariat").get("/admin/roster").text
    assert "Institutions (5)" in html and "SEC:" not in html and "KNCHR:" not in html
    secretariat = html.split("<h2>Secretariat (1)</h2>")[1].split("<h2>")[0]
    observers = html.split("<h2>Observers (1)</h2>")[1].split("<h2>")[0]
    assert "Wanjiku Kamau" in secretariat and "Hassan Odhiambo" in observers and "sw" in observers


def test_reachability_last_reply_and_away(site, as_role):
    ctx, _ = site
    until = (datetime.now(UTC) + timedelta(days=20)).date()
    say(ctx, AMINA, f"AWAY {until.isoformat()}", "away-1")
    with ctx.db.transaction() as db:
        addresses.opt_out(db, channel="simulator", address="+254722000003", now=datetime.now(UTC))  # Grace
        amina = db.scalar(select(Person).where(Person.phone == AMINA))
        assert amina.away_until == until
    html = as_role("secretariat").get("/admin/roster").text
    moj = html.split("MOJ: Ministry of Justice")[1].split("</section>")[0]
    amina_row = moj.split("Amina Yusuf")[1].split("</tr>")[0]
    assert (
        until.isoformat() in amina_row and datetime.now(UTC).strftime("%b %-d, %Y") in amina_row
    )  # the `when` filter, en
    assert "leads today" in moj.split("Peter Otieno")[1]  # Amina is away: her substitute leads
    grace_row = html.split("Grace Wanjiru")[1].split("</tr>")[0]
    assert "opted out on" in grace_row and "no reachable channel" in grace_row
    assert "no reachable channel" not in amina_row


def test_pages_of_fifty_institutions(site, as_role, tmp_path):
    ctx, _ = site
    rows = [
        f"I{n:03},Institution {n},national,,Person {n},+2547100{n:05},simulator,en,Africa/Nairobi,1,,\n"
        for n in range(50)
    ]
    import_text(ctx, tmp_path, HEADER + "".join(rows))
    client = as_role("viewer")
    first = client.get("/admin/roster").text
    assert "Institutions (55)" in first and len(sections(first)) == 50 and "page=2" in first
    second = client.get("/admin/roster?page=2").text
    assert len(sections(second)) == 5 and "Previous page" in second and "Next page" not in second
    local = client.get("/admin/roster?level=national&page=2").text
    assert "level=national&amp;page=1" in local


def test_viewer_sees_no_phone_number_or_telegram_id(site, as_role, tmp_path):
    ctx, _ = site
    import_text(
        ctx,
        tmp_path,
        HEADER.replace(",role", ",telegram_user_id")
        + (
            "MOJ,Ministry of Justice and Constitutional Affairs,national,,Amina Yusuf,+254700000001,telegram;simulator,"
            "en,Africa/Nairobi,1,Senior State Counsel,777000111\n"
        ),
    )
    client = as_role("viewer")
    for path in ("/admin/roster", "/admin/roster?institution=MOJ", "/admin/exports/roster.csv"):
        body = client.get(path).text
        for phone in DEMO_PHONES:
            assert phone not in body and phone[1:] not in body, (path, phone)
        assert "777000111" not in body, path
    page = client.get("/admin/roster").text
    assert "…01" in page and "/admin/roster/import" not in page  # the last 2 digits; no import form
    assert "777000111" in as_role("secretariat").get("/admin/roster").text


# --- the import -------------------------------------------------------------------------


def test_import_through_the_page_shows_counts_and_is_audited(site, as_role):
    ctx, _ = site
    client = as_role("secretariat")
    page = client.get("/admin/roster").text
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    r = upload(client, EXTRA.encode())
    assert r.status_code == 200 and "extra.csv" not in r.text
    assert "2 created, 0 updated, 0 unchanged" in r.text
    assert people(ctx) == 9
    with ctx.db.transaction() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "roster_imported")).one()
    assert entry.username == "secretariat" and "2 created" in entry.detail and "+2547" not in entry.detail
    again = upload(client, EXTRA.encode(), name="../../etc/again.csv")
    assert "again.csv imported: 0 created, 0 updated, 2 unchanged" in again.text


def test_bad_rows_write_nothing_and_the_report_names_each_line(site, as_role):
    ctx, _ = site
    client = as_role("admin")
    text = HEADER + (
        "NEW,A new ministry,national,,Good Person,+254700000010,simulator,en,Africa/Nairobi,1,,\n"
        "BAD,Bad ministry,planetary,,Bad Level,+254700000011,simulator,en,Africa/Nairobi,1,,\n"
        "BAD,Bad ministry,national,,Bad Phone,12345,simulator,en,Mars/Olympus,1,,\n"
    )
    r = upload(client, text.encode(), name="mine.csv")
    assert r.status_code == 400
    assert "Nothing was imported: 3 problems in mine.csv" in r.text
    assert "mine.csv:3: level &#34;planetary&#34;: expected one of national, regional, local" in r.text
    assert "mine.csv:4: phone &#34;12345&#34;: not a valid phone number" in r.text
    assert "mine.csv:4: timezone &#34;Mars/Olympus&#34;: unknown time zone" in r.text
    assert people(ctx) == 7 and audit_actions(ctx) == []
    with ctx.db.transaction() as db:
        assert db.scalar(select(Institution).where(Institution.short_name == "NEW")) is None


def test_oversize_upload_is_refused_with_a_clear_message(site, as_role):
    ctx, _ = site
    client = as_role("secretariat")
    just_over = HEADER.encode() + b"x" * (MAX_UPLOAD + 1 - len(HEADER))
    r = upload(client, just_over)
    assert r.status_code == 413 and "larger than 2 MB" in r.text and "Nothing was imported" in r.text
    far_over = b"x" * (3 * MAX_UPLOAD)  # refused from its declared length, before it is read
    r = upload(client, far_over)
    assert r.status_code == 413 and "larger than 2 MB" in r.text and "<html" in r.text
    chunked = client.post(
        "/admin/roster/import",
        content=iter([b"--x\r\n", b"x" * 1000]),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert chunked.status_code == 411 and "import form" in chunked.text
    assert people(ctx) == 7 and audit_actions(ctx) == []


def test_a_file_that_is_not_utf8_csv_gets_a_clear_message(site, as_role):
    ctx, _ = site
    client = as_role("secretariat")
    latin1 = (HEADER + "NEW,Ministère,national,,Zoé,+254700000010,simulator,fr,Africa/Nairobi,1,,\n").encode("latin-1")
    r = upload(client, latin1)
    assert r.status_code == 400 and "not UTF-8 text" in r.text and "save the file as CSV UTF-8" in r.text
    r = upload(client, bytes(range(256)) * 10, name="photo.png")
    assert r.status_code == 400 and "photo.png.csv: not UTF-8 text" in r.text
    r = upload(client, HEADER.encode() + b'"' + b"x" * 200_000 + b'"\n')  # a cell larger than the csv module allows
    assert r.status_code == 400 and "roster.csv:2: not CSV that can be read (field larger than field limit" in r.text
    r = client.post(
        "/admin/roster/import", data={"csrf_token": csrf_of(client.get("/admin/roster").text)}, files={"x": ("", b"")}
    )
    assert r.status_code == 400 and "Choose a roster CSV file" in r.text
    assert people(ctx) == 7


def test_import_needs_csrf_and_a_role_that_may_change(site, as_role):
    ctx, _ = site
    secretariat = as_role("secretariat")
    assert upload(secretariat, EXTRA.encode(), token=None).status_code == 403
    assert upload(secretariat, EXTRA.encode(), token="forged").status_code == 403
    viewer = as_role("viewer")
    token = csrf_of(viewer.get("/admin/roster").text)
    r = upload(viewer, EXTRA.encode(), token=token)
    assert r.status_code == 403
    assert people(ctx) == 7 and audit_actions(ctx) == []


# --- the export -------------------------------------------------------------------------


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_export_has_the_importers_columns_and_imports_back_unchanged(site, as_role):
    ctx, _ = site
    client = as_role("secretariat")
    r = client.get("/admin/exports/roster.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="roster.csv"' in r.headers["content-disposition"]
    rows = read_csv(r)
    assert set(rows[0]) == set(REQUIRED + OPTIONAL) and len(rows) == 7
    amina = next(row for row in rows if row["name"] == "Amina Yusuf")
    assert amina["phone"] == "'+254700000001" and amina["institution"] == "MOJ" and amina["rank"] == "1"
    back = upload(client, r.content, name="roster.csv")
    assert back.status_code == 200 and "0 created, 0 updated, 7 unchanged" in back.text


def test_formula_cells_are_guarded_and_the_guard_comes_off_on_import(site, as_role, tmp_path):
    ctx, _ = site
    hostile = HEADER + (
        'EVL,"-Evil, Inc",national,,"=HYPERLINK(""http://x.example"")",+254700000012,simulator,en,'
        "Africa/Nairobi,1,@SUM(1+1),\n"
    )
    import_text(ctx, tmp_path, hostile)
    client = as_role("admin")
    r = client.get("/admin/exports/roster.csv")
    evil = next(row for row in read_csv(r) if row["institution"] == "EVL")
    assert evil["name"] == '\'=HYPERLINK("http://x.example")'
    assert evil["institution_name"] == "'-Evil, Inc" and evil["title"] == "'@SUM(1+1)"
    back = upload(client, r.content)
    assert "0 created, 0 updated, 8 unchanged" in back.text
    with ctx.db.transaction() as db:
        person = db.scalar(select(Person).where(Person.phone == "+254700000012"))
        fp = db.scalar(select(FocalPoint).where(FocalPoint.person_id == person.id))
        assert person.name == '=HYPERLINK("http://x.example")' and fp.title == "@SUM(1+1)"
        assert fp.institution.name == "-Evil, Inc"


def test_viewer_export_leaves_out_phone_and_telegram_columns(site, as_role):
    r = as_role("viewer").get("/admin/exports/roster.csv")
    assert r.status_code == 200 and "roster-without-phone-numbers.csv" in r.headers["content-disposition"]
    rows = read_csv(r)
    assert "phone" not in rows[0] and "telegram_user_id" not in rows[0] and len(rows) == 7
    for phone in DEMO_PHONES:
        assert phone not in r.text
