"""The broadcast composer through its pages: step 1's groups and a textarea per roster language,
a preview in English and Arabic that says what the broadcast service's own preview says (segments,
encoding, cost, recipients by language and channel, who cannot be reached), a send that queues
the outbox rows once however often its confirmation is posted, the broadcast's state, its history,
the roles, CSRF, and input that names nothing."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from backend.accounts.models import AuditEntry
from backend.broadcast import service
from backend.broadcast.models import Broadcast
from backend.imports.roster import import_roster
from backend.outbox.models import OutboxMessage
from tests.admin.conftest import admin_site, csrf_of, sign_in
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN

ZONE = "Africa/Nairobi"
EN = "The cluster review moves to Friday 4 December, 10:00, NMIRF secretariat, room 2."
AR = "نُقل اجتماع مراجعة المجموعة إلى يوم الجمعة 4 ديسمبر الساعة 10:00 في أمانة الآلية، القاعة 2."
LAYLA, OMAR = "+254700000020", "+254700000022"
# Beside the demo roster (everyone on the simulator, in English but Claire in French): Layla reads
# Arabic by SMS, Jean French by SMS, Omar Arabic on WhatsApp (not configured here: unreachable).
EXTRA = f"""institution,institution_name,level,region,name,phone,channels,language,timezone,rank,active_from,active_to,role
KSM,County Government of Kisumu,local,Kisumu,Layla Hassan,{LAYLA},sms,ar,{ZONE},2,,,
TUR,County Government of Turkana,local,Turkana,Jean Okello,+254700000021,sms,fr,{ZONE},2,,,
NPS,National Police Service,national,,Omar Said,{OMAR},whatsapp,ar,{ZONE},2,,,
SEC,NMIRF secretariat,national,,Wanjiku Kamau,+254700000008,simulator,en,{ZONE},1,,,secretariat
"""


@contextmanager
def composer_site(sqlite_url, tmp_path, **overrides):
    settings = dict(
        default_timezone=ZONE,
        sms_segment_cost="0.05 USD",
        quiet_hours="",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_sms_from="+15005550006",
        twilio_api_base_url="http://127.0.0.1:9",  # nothing is sent: the job thread is not started
    )
    settings.update(overrides)
    with admin_site(sqlite_url, **settings) as (ctx, app):
        extra = tmp_path / "extra.csv"
        extra.write_text(EXTRA)
        with ctx.db.transaction() as db:
            import_roster(db, extra)
        yield ctx, app


@pytest.fixture
def composer(sqlite_url, tmp_path):
    with composer_site(sqlite_url, tmp_path) as pair:
        yield pair


@pytest.fixture
def client_as(composer):
    _, app = composer
    clients = []

    def make(role: str) -> TestClient:
        client = TestClient(app, base_url="https://testserver")
        client.__enter__()
        clients.append(client)
        assert sign_in(client, role).status_code in (200, 303)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def step_one(client: TestClient, **fields) -> dict[str, str]:
    token = csrf_of(client.get("/admin/broadcast").text)
    return {"csrf_token": token, "kind": "focal-points", "text_en": EN, "text_ar": AR, "text_fr": "", **fields}


def form_fields(page: str, action: str) -> dict[str, str]:
    """The fields of the page's form posting to `action`, as a browser would send them."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert found, f"no form to {action}"
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found.group(0))
    }


def service_preview(ctx, group="focal-points", texts=None):
    now = datetime.now(UTC)
    with ctx.db.transaction() as db:
        return service.preview(
            db,
            group=group,
            texts=texts or {"en": EN, "ar": AR},
            day=now.astimezone(ZoneInfo(ZONE)).date(),
            now=now,
            settings=ctx.settings,
            configured=ctx.configured,
        )


def rows_of(ctx, broadcast_id: int) -> list[OutboxMessage]:
    with ctx.db.transaction() as db:
        query = select(OutboxMessage).where(OutboxMessage.key.startswith(f"broadcast:{broadcast_id}:"))
        rows = list(db.scalars(query))
        db.expunge_all()
    return rows


def broadcasts(ctx) -> int:
    with ctx.db.transaction() as db:
        return db.scalar(select(func.count()).select_from(Broadcast)) or 0


def test_step_one_offers_the_groups_and_a_textarea_per_roster_language(client_as):
    page = client_as("secretariat").get("/admin/broadcast").text
    for code, label in (("en", "English (required)"), ("ar", "Arabic (العربية) (optional)"), ("fr", "French")):
        assert re.search(rf'<label for="text-{code}">{re.escape(label)}', page), code
        assert re.search(rf'<textarea id="text-{code}" name="text_{code}" lang="{code}" dir="auto"', page)
    assert 'name="text_en" lang="en" dir="auto" rows="4" maxlength="1600" required' in page
    assert "text_th" not in page  # nobody in the roster reads Thai
    assert '<option dir="auto">Kisumu</option>' in page and '<option dir="auto">Turkana</option>' in page
    assert 'value="CHILD"' in page and 'value="MOJ"' in page
    for kind in ("leads", "focal-points", "region", "cluster", "institution", "secretariat", "observers"):
        assert f'<label for="kind-{kind}">' in page


def test_preview_in_english_and_arabic_says_what_the_service_says(composer, client_as):
    ctx, _ = composer
    client = client_as("secretariat")
    r = client.post("/admin/broadcast/preview", data=step_one(client))
    assert r.status_code == 200, r.text
    page = r.text
    p = service_preview(ctx)
    assert len(p.to_send) == 9 and len(p.unreachable) == 1  # the demo's 7, Layla and Jean; not Omar
    assert f"Send to {len(p.to_send)} people" in page
    assert "Nothing has been sent yet" in page
    by_encoding = {line.language: line for line in p.lines}
    assert by_encoding["en"].encoding == "GSM-7" and by_encoding["ar"].encoding == "UCS-2"
    for line in p.lines:
        section = re.search(rf'<section class="text-preview" id="line-{line.language}">.*?</section>', page, re.S)
        assert section, line.language
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", section.group(0))
        each = f"{p.price[0] * line.segments} USD"
        total = f"{p.price[0] * line.sms_segments} USD"
        expected = [line.encoding, str(line.characters), str(line.segments), each, str(line.readers)]
        assert cells == [*expected, str(line.by_sms), str(line.sms_segments), total], line.language
    # Claire and Jean read French, which has no text: they get the English one, and the page says so.
    assert by_encoding["en"].instead_of == {"fr": 2}
    assert "2 reading French (français) get this text (no French (français) text)." in page
    # Recipients by language and channel: the same counts as the service's.
    table = re.search(r"<caption>Recipients by language and first usable channel</caption>.*?</table>", page, re.S)
    assert table
    for channel, n in p.by_channel().items():
        assert f'<th scope="col" class="num">{channel}</th>' in table.group(0)
    totals = re.search(r"<tfoot><tr><th scope=\"row\">All</th>(.*?)</tr></tfoot>", table.group(0)).group(1)
    channels = sorted(p.by_channel())
    assert re.findall(r">(\d+)<", totals) == [str(p.by_channel()[c]) for c in channels] + [str(len(p.to_send))]
    assert re.search(r'<th scope="row">Arabic \(العربية\)</th>(<td class="num">\d+</td>)*', table.group(0))
    assert p.by_language()["ar"] == 1 and p.by_language()["fr"] == 2
    # Who cannot be reached: Omar, on WhatsApp, which is not configured; admin and secretariat see his phone.
    (omar,) = p.unreachable
    assert (
        f'<td dir="auto">Omar Said</td><td dir="auto">NPS</td><td>{OMAR}</td><td>{html.escape(omar.why_not)}</td>'
        in page
    )
    assert f"SMS: {p.segments} segments in all, {p.cost[0]} USD at 0.05 USD a segment" in page
    # The Arabic text as written, in a block whose direction follows it.
    assert f'<pre class="preview" lang="ar" dir="auto">{AR}</pre>' in page
    assert broadcasts(ctx) == 0 and rows_of(ctx, 1) == []  # nothing sent


def test_send_queues_each_message_once_and_a_second_post_sends_nothing(composer, client_as):
    ctx, _ = composer
    client = client_as("secretariat")
    preview = client.post("/admin/broadcast/preview", data=step_one(client)).text
    confirm = form_fields(preview, "/admin/broadcast/send")
    assert confirm["text_ar"] == AR and confirm["kind"] == "focal-points" and len(confirm["confirmation"]) >= 16
    expected = service_preview(ctx)

    r = client.post("/admin/broadcast/send", data=confirm, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/broadcast/1?done=sent"
    rows = rows_of(ctx, 1)
    assert sorted(row.person_id for row in rows) == sorted(x.person_id for x in expected.to_send)
    assert {row.status for row in rows} == {"queued"}
    assert ctx.dispatcher.pending("send") == {row.id for row in rows}  # enqueued after commit
    layla = next(row for row in rows if row.address == LAYLA)
    assert layla.channel == "sms" and layla.text == AR

    # The browser re-posts the confirmation (a second click, a reload): one broadcast, no new row.
    again = client.post("/admin/broadcast/send", data=confirm, follow_redirects=False)
    assert again.headers["location"] == "/admin/broadcast/1?done=repeat"
    assert broadcasts(ctx) == 1 and len(rows_of(ctx, 1)) == len(rows)
    assert "nothing was sent again" in client.get(again.headers["location"]).text

    with ctx.db.transaction() as db:
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "broadcast_sent")))
    assert len(entries) == 1 and entries[0].username == "secretariat"
    detail = entries[0].detail
    assert f"broadcast 1 to focal-points: {len(rows)} recipients" in detail
    assert EN[:20] not in detail and AR[:10] not in detail and "+254" not in detail

    # The state page: the outbox rows by state.
    with ctx.db.transaction() as db:  # as the delivery webhooks would leave them
        db.execute(update(OutboxMessage).where(OutboxMessage.id == rows[0].id).values(status="delivered"))
        db.execute(update(OutboxMessage).where(OutboxMessage.id == rows[1].id).values(status="failed"))
    page = client.get("/admin/broadcast/1?done=sent").text
    assert "Confirmed: the messages are queued" in page
    cards = dict((s, int(n)) for n, s in re.findall(r'<div class="big">(\d+)</div>(\w+)</div>', page))
    assert cards == {"queued": len(rows) - 2, "sending": 0, "sent": 0, "delivered": 1, "failed": 1}


def test_a_new_broadcast_of_the_same_text_is_sent_once_per_confirmation(composer, client_as):
    """Even "send as a new broadcast" (which the service's own repeat check lets through) sends
    once per confirmation form; a fresh preview is a fresh confirmation."""
    ctx, _ = composer
    client = client_as("admin")
    fields = step_one(client, kind="region", region="Kisumu", again="yes")
    confirm = form_fields(client.post("/admin/broadcast/preview", data=fields).text, "/admin/broadcast/send")
    assert confirm["again"] == "yes"
    for _ in range(3):
        client.post("/admin/broadcast/send", data=confirm, follow_redirects=False)
    assert broadcasts(ctx) == 1 and len(rows_of(ctx, 1)) == 2  # Fatuma and Layla
    confirm = form_fields(client.post("/admin/broadcast/preview", data=fields).text, "/admin/broadcast/send")
    assert client.post("/admin/broadcast/send", data=confirm, follow_redirects=False).headers["location"] == (
        "/admin/broadcast/2?done=sent"
    )
    # Without "again", the same texts to the same group continue broadcast 2, which reached both.
    fields.pop("again")
    page = client.post("/admin/broadcast/preview", data=fields).text
    assert 'as <a href="/admin/broadcast/2">broadcast 2</a>' in page and "Nobody to send to." in page
    assert 'action="/admin/broadcast/send"' not in page


def test_viewer_may_not_preview_or_send(composer, client_as):
    ctx, _ = composer
    viewer = client_as("viewer")
    page = viewer.get("/admin/broadcast").text
    assert "may read past broadcasts but not send one" in page and "/admin/broadcast/preview" not in page
    fields = step_one(viewer)
    for path in ("/admin/broadcast/preview", "/admin/broadcast/send", "/admin/broadcast"):
        assert viewer.post(path, data={**fields, "confirmation": "x" * 32}).status_code == 403, path
    assert broadcasts(ctx) == 0
    # What a viewer reads: history and state, with no phone number.
    secretariat = client_as("secretariat")
    confirm = form_fields(
        secretariat.post("/admin/broadcast/preview", data=step_one(secretariat)).text, "/admin/broadcast/send"
    )
    secretariat.post("/admin/broadcast/send", data=confirm)
    for path in ("/admin/broadcast/history", "/admin/broadcast/1"):
        r = viewer.get(path)
        assert r.status_code == 200 and "All focal points" in r.text and "+2547" not in r.text


def test_every_post_needs_the_csrf_token(composer, client_as):
    ctx, _ = composer
    client = client_as("secretariat")
    fields = step_one(client)
    confirm = form_fields(client.post("/admin/broadcast/preview", data=fields).text, "/admin/broadcast/send")
    for path, data in (("/admin/broadcast/preview", fields), ("/admin/broadcast/send", confirm)):
        assert client.post(path, data={k: v for k, v in data.items() if k != "csrf_token"}).status_code == 403
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    assert broadcasts(ctx) == 0


def test_an_empty_default_language_text_is_refused_and_the_rest_kept(composer, client_as):
    ctx, _ = composer
    client = client_as("secretariat")
    for text in ("", "   \r\n  "):
        r = client.post("/admin/broadcast/preview", data=step_one(client, text_en=text))
        assert r.status_code == 400
        assert "Write the English text: it is required" in r.text
        assert f">{AR}</textarea>" in r.text  # the Arabic text is still there
    confirm = form_fields(client.post("/admin/broadcast/preview", data=step_one(client)).text, "/admin/broadcast/send")
    r = client.post("/admin/broadcast/send", data={**confirm, "text_en": ""})
    assert r.status_code == 400 and "Write the English text" in r.text and broadcasts(ctx) == 0


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"kind": "region", "region": "Atlantis"}, "No local or regional institution in region &#34;Atlantis&#34;"),
        ({"kind": "region", "region": ""}, "Pick a region for the group"),
        ({"kind": "cluster", "cluster": "WATER"}, "No cluster &#34;WATER&#34;"),
        ({"kind": "institution", "institution": "<b>XYZ</b>"}, "No institution &#34;&lt;b&gt;XYZ&lt;/b&gt;&#34;"),
        ({"kind": "everyone"}, "Pick a group to send to."),
        ({"kind": ""}, "Pick a group to send to."),
        ({"text_en": "x" * 1700}, "The en text has 1700 characters; at most 1600"),
    ],
)
def test_input_that_names_nothing_gets_a_clear_message(composer, client_as, fields, says):
    ctx, _ = composer
    client = client_as("secretariat")
    r = client.post("/admin/broadcast/preview", data=step_one(client, **fields))
    assert r.status_code == 400 and says in r.text, r.text[-2000:]
    assert 'role="alert"' in r.text and f">{AR}</textarea>" in r.text
    confirm = {**step_one(client, **fields), "confirmation": "y" * 32}
    r = client.post("/admin/broadcast/send", data=confirm)
    assert r.status_code == 400 and says in r.text and broadcasts(ctx) == 0


def test_a_broken_confirmation_and_unknown_languages(composer, client_as):
    ctx, _ = composer
    client = client_as("secretariat")
    fields = step_one(client, text_xx="ignored", text_th="")
    for token in (None, "", "short", "bad token with spaces!!!!!!!!"):
        data = dict(fields) if token is None else {**fields, "confirmation": token}
        r = client.post("/admin/broadcast/send", data=data)
        assert r.status_code == 400 and "preview the broadcast again" in r.text
    page = client.post("/admin/broadcast/preview", data=fields).text
    assert "text_xx" not in page and 'id="line-en"' in page and 'id="line-th"' not in page
    assert broadcasts(ctx) == 0


def test_changing_the_text_goes_back_to_step_one_with_the_text_kept(client_as):
    client = client_as("secretariat")
    fields = step_one(client, kind="cluster", cluster="CHILD", text_ar='قال "نعم" & <لا>')
    back = form_fields(client.post("/admin/broadcast/preview", data=fields).text, "/admin/broadcast")
    assert "confirmation" not in back
    r = client.post("/admin/broadcast", data=back)
    assert r.status_code == 200
    assert f">{EN}</textarea>" in r.text and ">قال &#34;نعم&#34; &amp; &lt;لا&gt;</textarea>" in r.text
    assert 'value="cluster" checked' in r.text and 'value="CHILD" dir="auto" selected' in r.text


def test_history_is_paginated_and_state_of_nothing_is_404(composer, client_as):
    ctx, _ = composer
    now = datetime.now(UTC)
    for i in range(51):
        with ctx.work() as work:
            service.send(
                work.session,
                group="secretariat",
                texts={"en": f"Note {i}"},
                day=now.date(),
                now=now,
                settings=ctx.settings,
                configured=ctx.configured,
                created_by="test",
            )
    client = client_as("viewer")
    first = client.get("/admin/broadcast/history").text
    assert first.count('<a href="/admin/broadcast/') == 50 and '?page=2">Older</a>' in first
    assert '<a href="/admin/broadcast/51">51</a>' in first and '<a href="/admin/broadcast/1">1</a>' not in first
    second = client.get("/admin/broadcast/history?page=2").text
    assert '<a href="/admin/broadcast/1">1</a>' in second and "Older" not in second and "Newer" in second
    for nonsense in ("abc", "-3", "0", "99999999999"):
        assert client.get(f"/admin/broadcast/history?page={nonsense}").status_code == 200
    assert client.get("/admin/broadcast/9999").status_code == 404
    assert "There is no broadcast 9999." in client.get("/admin/broadcast/9999").text
    assert client.get("/admin/broadcast/abc").status_code in (404, 405)


def test_quiet_hours_hold_some_and_the_preview_counts_them(sqlite_url, tmp_path):
    hour = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).hour
    quiet = f"{(hour - 1) % 24:02d}:00-{(hour + 2) % 24:02d}:00"  # now, in everyone's time zone
    with composer_site(sqlite_url, tmp_path, quiet_hours=quiet) as (ctx, app):
        with TestClient(app, base_url="https://testserver") as client:
            sign_in(client, "secretariat")
            page = client.post("/admin/broadcast/preview", data=step_one(client, kind="leads")).text
            p = service_preview(ctx, group="leads")
            assert p.later and len(p.later) == len(p.to_send)
            assert f'<div class="big">{len(p.later)}</div>later, because of quiet hours' in page
            assert f"in their quiet hours ({quiet}, their local time)" in page
            confirm = form_fields(page, "/admin/broadcast/send")
            assert client.post("/admin/broadcast/send", data=confirm, follow_redirects=False).status_code == 303
            rows = rows_of(ctx, 1)
            assert len(rows) == len(p.to_send) and ctx.dispatcher.pending("send") == set()  # the sweep sends them
            state = client.get("/admin/broadcast/1").text
            assert f"{len(rows)} of the queued wait for a later time" in state
