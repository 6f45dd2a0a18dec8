"""What a secretariat user does in the admin pages, end to end in a real headless Chromium, as a
person does it (choosing in selects, typing, ticking, clicking): a filter on the progress page,
a meeting created through its form whose invitation reaches the fake Telegram server, a broadcast
previewed and confirmed (and a second confirmation of the same preview sending nothing), the
progress CSV downloaded, the pages in Arabic laid out right to left (with the README's
screenshots), and every page's weight as the browser received it.

The product runs here with its job thread and sweep (as the embedded default does), its Telegram
channel pointed at a FakeTelegramAPI, and the demo roster with Amina Yusuf (lead of MOJ) on
Telegram and Joseph Mwangi (lead of NPS) reading Arabic. One server and one browser per module
(the `live_site` fixture of tests/admin/browser.py is replaced by this module's own)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select

pytest.register_assert_rewrite("tests.admin.browser")  # before its import: its asserts explain themselves

from backend.app import create_app  # noqa: E402
from backend.imports.catalog import import_actions, import_recommendations  # noqa: E402
from backend.imports.roster import import_roster  # noqa: E402
from backend.outbox.models import OutboxMessage  # noqa: E402
from backend.reports.progress import COLUMNS  # noqa: E402
from backend.schedule import planner  # noqa: E402
from tests.admin.browser import ROOT, LiveSite, axe_violations, serve, sign_in, watch  # noqa: E402
from tests.admin.conftest import ROLES, add_user  # noqa: E402
from tests.backend.helpers import AMINA_TG, text_update  # noqa: E402
from tests.conftest import DEMO, SECRET, TOKEN, running_context, settings_for  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

pytest_plugins = ("tests.admin.browser",)  # its fixtures: chromium, signed_in, tab

LIMIT = 60 * 1024  # bytes transferred per page (HTML, CSS, JS and headers), as the browser got them
WAIT = 15.0  # seconds an asynchronous effect (a message leaving) may take
DOCS = ROOT / "docs"
SCREEN = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def fake_telegram_api():
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


def journey_roster(tmp_path) -> str:
    """The demo roster, Amina on Telegram (already linked), Joseph reading Arabic."""
    lines = (DEMO / "roster.csv").read_text().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        if "Amina" in line:
            line = line.replace(",,simulator,", f",{AMINA_TG},telegram,")
        if "Joseph Mwangi" in line:
            line = line.replace(",simulator,en,", ",simulator,ar,")
        out.append(line)
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(out) + "\n")
    return str(path)


def last_monday_morning() -> datetime:
    """The latest Monday 06:30 UTC (09:30 in Nairobi, just after the default prompt time)."""
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).replace(hour=6, minute=30, second=0, microsecond=0)
    return monday if monday <= now else monday - timedelta(days=7)


@pytest.fixture(scope="module")
def live_site(sqlite_template, tmp_path_factory, fake_telegram_api):
    """The product with its jobs running, over a copy of the demo data, served by uvicorn. The
    scheduler has opened this week's rounds (each lead asked); Amina has answered on Telegram
    `1D 2P 120 campaign started` (so the overview, the progress page and its CSV have something
    to show)."""
    folder = tmp_path_factory.mktemp("journeys")
    shutil.copy(sqlite_template, folder / "nmirf.db")
    settings = settings_for(
        f"sqlite:///{folder / 'nmirf.db'}",
        telegram_api_base_url=fake_telegram_api.base_url,
        sweep_interval_seconds=0.5,
        default_timezone="Africa/Nairobi",
        quiet_hours="",  # a broadcast goes now, whatever the hour in Nairobi
    )
    with running_context(settings) as ctx:
        with ctx.db.transaction() as s:
            import_roster(s, journey_roster(folder))
            import_recommendations(s, DEMO / "recommendations.csv")
            import_actions(s, DEMO / "actions.csv")
        for role in ROLES:
            add_user(ctx, role, role)
        with serve(create_app(ctx, run_jobs=True)) as url:
            opened = planner.tick(ctx, last_monday_morning())["opened"]
            assert opened == 5, opened  # a round per institution: the leads are asked
            fake_telegram_api.wait_for_sent(1, timeout=WAIT)  # Amina's prompt
            r = httpx.post(
                url + "/webhooks/telegram",
                content=text_update(910001, "1D 2P 120 campaign started"),
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert r.status_code == 200, r.text
            fake_telegram_api.wait_for_sent(2, timeout=WAIT)  # the confirmation: the updates are stored
            yield LiveSite(ctx, url)


def wait_for(predicate, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def broadcast_rows(ctx) -> int:
    with ctx.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.like("broadcast:%")))


def column(page, index: int) -> list[str]:
    cells = page.locator(f"main table tbody tr td:nth-child({index})")
    return [cells.nth(i).inner_text().strip() for i in range(cells.count())]


# 1 -----------------------------------------------------------------------------------------------


def test_filter_the_progress_page_by_institution(tab):
    page = tab.page
    page.goto("/admin/progress")
    before = {cell.split()[0] for cell in column(page, 2)}
    assert {"MOJ", "MOH"} <= before, before
    page.get_by_label("Institution", exact=True).select_option("MOJ")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert re.search(r"[?&]institution=MOJ(&|$)", page.url), page.url
    assert page.get_by_label("Institution", exact=True).input_value() == "MOJ"  # the choice kept
    institutions = [cell.split()[0] for cell in column(page, 2)]
    assert institutions and set(institutions) == {"MOJ"}, institutions
    assert "matching the filters" in page.locator("main table caption").inner_text()
    # Amina's answer is there: MOJ-1 done, MOJ-2 in progress with its figure and note
    rows = page.locator("main table tbody tr")
    moj2 = rows.filter(has_text="MOJ-2")
    assert "campaign started" in moj2.inner_text() and "120" in moj2.inner_text()
    page.get_by_role("link", name="Clear the filters").click()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/progress")
    assert not tab.all_problems()


# 2 -----------------------------------------------------------------------------------------------


def test_create_a_meeting_and_the_invitation_reaches_telegram(tab, fake_telegram_api):
    page = tab.page
    title = f"Thursday coordination {datetime.now(UTC):%H%M%S}"
    day = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    page.goto("/admin/meetings")
    page.get_by_role("link", name="Create a meeting").click()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/meetings/new")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Time (24-hour)").fill("10:00")
    page.get_by_label("Time zone of the date and time").select_option("Africa/Nairobi")
    page.get_by_label("Venue, or a link to the online meeting").fill("Sheria House, room 4")
    page.get_by_label("Agenda items, one per line").fill("Children Protection Bill\nBirth registration campaign")
    page.get_by_label("MOJ Ministry of Justice").check()  # its lead, Amina, is on Telegram
    page.get_by_role("button", name="Create and send the invitations").click()
    page.wait_for_load_state()
    assert re.search(r"/admin/meetings/\d+\?done=created", page.url), page.url
    assert page.locator("main h2").first.inner_text() == title
    assert page.locator("main ol li").all_inner_texts() == ["Children Protection Bill", "Birth registration campaign"]
    invitation = wait_for(
        lambda: [m for m in fake_telegram_api.sent if title in m["text"]], "the invitation at the fake Telegram server"
    )
    assert len(invitation) == 1 and invitation[0]["chat_id"] == str(AMINA_TG)
    assert "Sheria House, room 4" in invitation[0]["text"]
    page.reload()
    assert "Amina Yusuf" in page.locator("main").inner_text()
    assert not tab.all_problems()


# 3 -----------------------------------------------------------------------------------------------

ENGLISH = "The committee meets on Thursday at 10:00. Please confirm your attendance."
ARABIC = "تجتمع اللجنة يوم الخميس الساعة العاشرة. يرجى تأكيد حضوركم."


def test_broadcast_preview_then_confirm_sends_once(tab, live_site, fake_telegram_api):
    page, ctx = tab.page, live_site.ctx
    assert broadcast_rows(ctx) == 0
    page.goto("/admin/broadcast")
    page.get_by_label("All leads (today's lead of every institution)").check()
    page.get_by_label("English (required)").fill(ENGLISH)
    page.get_by_label(re.compile(r"^Arabic.*\(optional\)$")).fill(ARABIC)
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/broadcast/preview")
    assert "Nothing has been sent yet" in page.locator("main").inner_text()
    for code, text, encoding in (("en", ENGLISH, "GSM-7"), ("ar", ARABIC, "UCS-2")):
        section = page.locator(f"#line-{code}")
        assert section.locator("pre").first.inner_text() == text
        row = section.locator("tbody tr").first.locator("td")
        assert encoding in row.nth(0).inner_text(), row.nth(0).inner_text()
        assert int(row.nth(2).inner_text()) >= 1  # segments per message
    recipients = page.get_by_role("table", name="Recipients by language and first usable channel")
    assert "Arabic" in recipients.inner_text() and "telegram" in recipients.inner_text()
    to_send = int(page.locator(".cards .card .big").first.inner_text())
    assert to_send == 5, to_send  # the lead of each of the five institutions
    assert broadcast_rows(ctx) == 0  # a preview sends nothing

    send_form = page.locator("form[action='/admin/broadcast/send']")
    confirmation = {
        name: send_form.locator(f"input[name='{name}']").input_value()
        for name in send_form.locator("input[type=hidden]").evaluate_all("els => els.map(e => e.name)")
    }
    send_form.get_by_role("button", name=f"Send to {to_send} people").click()
    page.wait_for_load_state()
    found = re.search(r"/admin/broadcast/(\d+)\?done=sent", page.url)
    assert found, page.url
    number = found.group(1)
    assert page.locator("h1").inner_text() == f"Broadcast {number}"
    assert "Confirmed" in page.get_by_role("status").inner_text()
    assert broadcast_rows(ctx) == to_send
    wait_for(lambda: [m for m in fake_telegram_api.sent if m["text"] == ENGLISH], "the broadcast on Telegram")

    # Back to the preview: Chromium keeps no copy of a POST's answer (Cache-Control: no-store),
    # so it shows ERR_CACHE_MISS, and reloading posts the preview form again ("Confirm form
    # resubmission"): the new preview knows the same texts reached this group already.
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    page.wait_for_url(re.compile("^chrome-error:"))
    page.reload()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/broadcast/preview"), page.url
    warning = page.locator("main p.warn").first.inner_text()
    assert f"broadcast {number}" in warning and "get nothing again" in warning, warning
    assert page.get_by_role("button", name=re.compile(r"^Send to")).count() == 0
    assert "Nobody to send to." in page.locator("main .actions").inner_text()

    # The first preview's confirmation posted once more (a second tab, a double click): nothing sent.
    again = page.request.post("/admin/broadcast/send", form=confirmation, max_redirects=0)
    assert again.status == 303 and again.headers["location"] == f"/admin/broadcast/{number}?done=repeat"
    page.goto(again.headers["location"])
    assert "nothing was sent again" in page.get_by_role("status").inner_text()
    time.sleep(1)  # a second send would be queued and leaving by now
    assert broadcast_rows(ctx) == to_send
    assert len([m for m in fake_telegram_api.sent if m["text"] == ENGLISH]) == 1
    problems = [p for p in tab.all_problems() if "ERR_CACHE_MISS" not in p]
    assert not problems, problems


# 4 -----------------------------------------------------------------------------------------------


def test_download_the_progress_csv(tab):
    page = tab.page
    page.goto("/admin/progress?institution=MOJ")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download these actions' updates (CSV)").click()
    download = info.value
    assert re.fullmatch(r"progress-\d{8}\.csv", download.suggested_filename), download.suggested_filename
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == [*COLUMNS, "reporter phone"]  # an admin sees the phone column
    assert {len(r) for r in rows} == {len(rows[0])}
    got = {(r[2], r[4]) for r in rows[1:]}
    assert got == {("MOJ-1", "completed"), ("MOJ-2", "in_progress")}, got
    assert all(r[1] == "MOJ" for r in rows[1:])
    # a navigation that becomes a download is "aborted" as a page load: that alone is expected
    problems = [p for p in tab.all_problems() if not ("progress.csv" in p and "ERR_ABORTED" in p)]
    assert not problems, problems


# 5 -----------------------------------------------------------------------------------------------


def choose_language(page, code: str) -> None:
    """Through the settings form, whatever language it is in now ("": the default)."""
    page.goto("/admin/settings")
    page.locator("#s-language").select_option(code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def nav_boxes(page) -> tuple[dict, dict]:
    links = page.locator("nav[aria-label] a")
    return links.first.bounding_box(), links.last.bounding_box()


def test_arabic_pages_are_right_to_left(chromium, live_site):
    """The secretariat user chooses Arabic in their settings; the pages turn right to left,
    the navigation mirrored, still without a serious axe-core finding. The README's screenshots
    of the overview (viewport only, 1280x800) are taken here, in English and in Arabic."""
    context = chromium.new_context(base_url=live_site.url, viewport=SCREEN)
    try:
        tab = watch(context.new_page())
        page = tab.page
        page.goto("/admin/login")
        sign_in(page, "secretariat")
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["en", "ltr"]
        first, last = nav_boxes(page)
        assert first["x"] < last["x"]
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "admin-overview-en.png"))

        page.get_by_role("link", name="Your settings").click()
        page.wait_for_load_state()
        page.get_by_label("Language of the pages").select_option("ar")
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        assert page.url.endswith("/admin/settings?done=yes"), page.url
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
        try:
            for path in ("/admin/", "/admin/progress"):
                page.goto(path)
                assert page.evaluate("document.documentElement.dir") == "rtl", path
                first, last = nav_boxes(page)
                assert first["x"] > last["x"], f"{path}: the navigation is not mirrored ({first}, {last})"
                assert first["x"] + first["width"] > SCREEN["width"] / 2, f"{path}: the first link is not on the right"
                assert not axe_violations(page), f"{path} in Arabic: {axe_violations(page)}"
                assert not page.evaluate("document.documentElement.scrollWidth > innerWidth"), path
            page.goto("/admin/")
            page.screenshot(path=str(DOCS / "admin-overview-ar.png"))
        finally:  # back to the default, so the user reads English again
            choose_language(page, "")
        assert page.evaluate("document.documentElement.dir") == "ltr"
        for name in ("admin-overview-en.png", "admin-overview-ar.png"):
            size = (DOCS / name).stat().st_size
            assert 5_000 < size < 400_000, f"{name}: {size} bytes"
        assert not tab.all_problems()
    finally:
        context.close()


CHART_OVERFLOW = """() => {
  const svg = document.querySelector('svg.chart');
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')]
    .map(t => [t.textContent, t.getBoundingClientRect()])
    .filter(([_, r]) => r.left < box.left - 0.5 || r.right > box.right + 0.5)
    .map(([text, r]) => `${text} at ${Math.round(r.left - box.left)}..${Math.round(r.right - box.left)}`);
}"""


def test_the_trend_chart_labels_stay_inside_the_chart_in_arabic(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url, viewport=SCREEN)
    try:
        page = context.new_page()
        page.goto("/admin/login")
        sign_in(page, "viewer")
        assert page.evaluate(CHART_OVERFLOW) == [], "in English"
        choose_language(page, "ar")
        try:
            page.goto("/admin/")
            assert page.evaluate("document.documentElement.dir") == "rtl"
            assert page.evaluate(CHART_OVERFLOW) == [], "in Arabic"
        finally:
            choose_language(page, "")
    finally:
        context.close()


# 6 -----------------------------------------------------------------------------------------------


def test_page_weight_in_the_browser(chromium, live_site, signed_in):
    """Every page of the navigation (and the settings and password pages) opened in a fresh
    context with a cold cache, signed in as admin: the transferred bytes of every response
    (headers and body as received, compressed as served) summed, each page under 60 KB."""
    page = signed_in.new_page()
    page.goto("/admin/")
    links = page.locator("nav[aria-label] a")
    paths = [links.nth(i).get_attribute("href") for i in range(links.count())]
    page.close()
    paths += ["/admin/settings", "/admin/password"]
    state = signed_in.storage_state()
    table = []
    for path in paths:
        context = chromium.new_context(base_url=live_site.url, storage_state=state)
        try:
            tab = watch(context.new_page())
            responses = []
            tab.page.on("response", lambda r: responses.append(r))
            response = tab.page.goto(path)
            tab.page.wait_for_load_state("load")
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            weights = []
            for r in responses:
                if r.url.endswith("/favicon.ico"):  # asked for by the browser itself; there is none
                    continue
                r.finished()
                sizes = r.request.sizes()
                weights.append((r.url, sizes["responseHeadersSize"] + sizes["responseBodySize"]))
            table.append((path, len(weights), sum(w for _u, w in weights)))
            assert not tab.all_problems(), f"{path}: {tab.all_problems()}"
        finally:
            context.close()
    print(f"\n{'page':<22} {'responses':>9} {'bytes':>8}")  # shown by pytest -s
    for path, n, total in table:
        print(f"{path:<22} {n:>9} {total:>8}")
    heavy = [(path, total) for path, _n, total in table if total >= LIMIT]
    assert not heavy, f"pages over {LIMIT} bytes transferred: {heavy}"
    assert all(total > 500 for _p, _n, total in table), table  # something was measured
