"""The admin pages in each user's own language and time zone: Arabic right to left, French,
dates in the viewer's zone, the sign-in page by the browser's language, and the settings page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.accounts import audit
from backend.accounts.models import AdminUser, AuditEntry
from backend.admin import i18n
from backend.i18n import catalogs
from tests.admin.conftest import csrf_of, login_token


def choose(client: TestClient, language: str = "", timezone: str = ""):
    token = csrf_of(client.get("/admin/settings").text)
    return client.post("/admin/settings", data={"csrf_token": token, "language": language, "timezone": timezone})


def opening_tag(html: str) -> str:
    found = re.search(r"<html[^>]*>", html)
    assert found
    return found.group(0)


def test_arabic_pages_are_right_to_left_and_in_arabic(site, as_role):
    client = as_role("secretariat")
    assert choose(client, "ar").status_code == 200  # back on the settings page, saved
    overview = client.get("/admin/").text
    assert opening_tag(overview) == '<html lang="ar" dir="rtl">'
    assert "<h1>نظرة عامة</h1>" in overview and "الانتقال إلى المحتوى" in overview
    assert "Overview" not in overview.split("<main")[1]  # page text translated, not only the header
    progress = client.get("/admin/progress").text
    assert opening_tag(progress) == '<html lang="ar" dir="rtl">'
    assert "<h1>التقدم</h1>" in progress and "آخر حالة" in progress
    # stored values are shown through their labels (the filter keeps the stored value)
    assert 'value="blocked"' in progress or "متوقف" in progress
    # user data is not translated and keeps its own direction
    assert 'dir="auto"' in progress


def test_french_user_sees_french(site, as_role):
    client = as_role("viewer")  # a viewer may set their own settings too
    choose(client, "fr")
    page = client.get("/admin/").text
    assert opening_tag(page) == '<html lang="fr" dir="ltr">'
    assert "<h1>Vue d&#39;ensemble</h1>" in page or "<h1>Vue d'ensemble</h1>" in page
    assert "Déconnexion" in page and "Vos préférences" in page
    # a message from the Python code (an HTTPException's detail) in French too
    missing = client.get("/admin/progress/action/999999")
    assert missing.status_code == 404 and "Cette action n&#39;existe pas." in missing.text
    nowhere = client.get("/admin/nowhere")  # no route ran: still the signed-in user's language
    assert nowhere.status_code == 404 and "Cette page n&#39;existe pas." in nowhere.text
    # the others keep the deployment's default (English)
    other = as_role("secretariat").get("/admin/").text
    assert opening_tag(other) == '<html lang="en" dir="ltr">' and "<h1>Overview</h1>" in other


def test_dates_in_the_viewers_time_zone(site, as_role):
    ctx, _app = site
    with ctx.db.transaction() as db:
        audit.record(db, username="someone", action="test_mark", now=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    client = as_role("admin")
    row = [r for r in client.get("/admin/audit").text.split("<tr>") if "test_mark" in r][0]
    assert "Mar 2, 2026, 10:00 UTC" in row  # the default zone (UTC), named
    choose(client, "", "Asia/Kathmandu")
    row = [r for r in client.get("/admin/audit").text.split("<tr>") if "test_mark" in r][0]
    assert "Mar 2, 2026, 15:45 UTC+05:45" in row  # 10:00 UTC is 15:45 at +05:45
    choose(client, "fr", "Asia/Kathmandu")
    row = [r for r in client.get("/admin/audit").text.split("<tr>") if "test_mark" in r][0]
    assert "2 mars 2026, 15:45 UTC+05:45" in row
    choose(client, "ar", "Africa/Nairobi")
    row = [r for r in client.get("/admin/audit").text.split("<tr>") if "test_mark" in r][0]
    assert "13:00 EAT" in row and "مارس" in row


def test_sign_in_page_follows_the_browsers_language(site):
    _ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        fr = client.get("/admin/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}).text
        assert opening_tag(fr) == '<html lang="fr" dir="ltr">' and "Connexion" in fr and "Mot de passe" in fr
        ar = client.get("/admin/login", headers={"Accept-Language": "de;q=1.0, ar;q=0.8"}).text
        assert opening_tag(ar) == '<html lang="ar" dir="rtl">' and "تسجيل الدخول" in ar
        for header in ("de-DE", "", "*", "fr;q=0", "x" * 2000, ";;;,,q=abc"):
            page = client.get("/admin/login", headers={"Accept-Language": header})
            assert page.status_code == 200 and opening_tag(page.text) == '<html lang="en" dir="ltr">'
        # a wrong password is said in the browser's language too
        r = client.post(
            "/admin/login",
            data={
                "username": "secretariat",
                "password": "wrong",
                "next": "/admin/",
                "login_token": login_token(client),
            },
            headers={"Accept-Language": "fr"},
        )
        assert r.status_code == 401 and "ne correspondent à aucun compte actif" in r.text


def test_settings_need_csrf_and_known_values(site, as_role):
    ctx, _app = site
    client = as_role("secretariat")
    page = client.get("/admin/settings")
    assert page.status_code == 200 and '<select id="s-language" name="language">' in page.text
    assert 'lang="ar"' in page.text and "العربية" in page.text and "Asia/Kathmandu" in page.text
    assert '<a href="/admin/settings">Your settings</a>' in client.get("/admin/").text
    assert client.post("/admin/settings", data={"language": "fr"}).status_code == 403
    assert client.post("/admin/settings", data={"language": "fr", "csrf_token": "forged"}).status_code == 403
    bad = choose(client, "xx")
    assert bad.status_code == 400 and "There is no language “xx” here: choose one from the list." in bad.text
    bad = choose(client, "fr", "Mars/Olympus")
    assert bad.status_code == 400 and "There is no time zone “Mars/Olympus”" in bad.text
    bad = choose(client, "<script>", "")
    assert bad.status_code == 400 and "<script>" not in bad.text
    with ctx.db.transaction() as db:
        stored = db.scalar(select(AdminUser).where(AdminUser.username == "secretariat"))
        assert stored.language == "" and stored.timezone == ""
    done = choose(client, "fr", "Africa/Nairobi")
    assert done.status_code == 200 and "Vos préférences sont enregistrées." in done.text
    assert (
        '<option value="fr" lang="fr" selected>' in done.text
        and "<option selected>Africa/Nairobi</option>" in done.text
    )
    with ctx.db.transaction() as db:
        stored = db.scalar(select(AdminUser).where(AdminUser.username == "secretariat"))
        assert (stored.language, stored.timezone) == ("fr", "Africa/Nairobi")
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "settings_changed")).one()
        assert entry.username == "secretariat" and "fr" in entry.detail
    # back to the deployment's defaults
    assert choose(client, "", "").status_code == 200
    assert opening_tag(client.get("/admin/").text) == '<html lang="en" dir="ltr">'


def test_every_page_language_has_a_catalogue_and_nothing_stale():
    """`nmirf i18n check`: every admin.po msgid is in a template or the code and every marked text
    is in every catalogue; English, French and Arabic are complete (the other four are reported
    as incomplete until they are translated)."""
    assert set(i18n.languages()) >= {"en", "fr", "es", "pt", "ar", "sw", "th"}
    problems = catalogs.check_admin()
    assert not [p for p in problems if "stale" in p or "missing" in p or "placeholder" in p]
    assert not [p for p in problems if p.split(":")[0] in ("en", "fr", "ar")]


def test_marked_python_text_reads_english_outside_a_page():
    """A message marked in the code is English as a str (JSON, logs) and translated only inside a page."""
    text = i18n._("There is no such action.")
    assert text == "There is no such action." and str(text) == "There is no such action."
    with i18n.activate("fr"):
        assert str(text) == "Cette action n'existe pas." and text.__html__() == "Cette action n&#39;existe pas."
    assert i18n.label("in_progress") == "in progress" and i18n.label("someone's data") == "someone's data"
