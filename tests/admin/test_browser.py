"""The admin pages in a real headless Chromium: signing in and out through the form, every page
of the navigation without console errors or CSP violations, axe-core on each page (no serious or
critical violation), without JavaScript, and on a 360-px-wide screen.

A page that does not exist yet (404) is skipped by name, and checked as soon as it exists."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.admin.browser")  # before its import: its asserts explain themselves

from tests.admin.browser import SCREENSHOTS, axe_violations, sign_in, watch  # noqa: E402

pytest_plugins = ("tests.admin.browser",)  # its fixtures: live_site, chromium, signed_in, tab

# What the navigation links to (an admin sees every link), in its order.
NAV = {
    "overview": "/admin/",
    "progress": "/admin/progress",
    "meetings": "/admin/meetings",
    "roster": "/admin/roster",
    "messages": "/admin/messages",
    "broadcast": "/admin/broadcast",
    "simulator": "/admin/simulator",
    "users": "/admin/users",
    "audit": "/admin/audit",
}
# Pages reached otherwise: the header's password link, the API's documentation.
OTHER = {"password": "/admin/password", "api docs": "/api/docs"}


def refused_only(tab) -> bool:
    """After a wrong password: the browser logs the page's 401 (as it should be) and nothing else."""
    problems, tab.problems[:] = list(tab.problems), []
    return len(problems) == 1 and "status of 401" in problems[0]


def test_sign_in_through_the_form_lands_on_the_overview(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url)
    try:
        tab = watch(context.new_page())
        page = tab.page
        page.goto("/admin/")
        assert page.url.endswith("/admin/login?next=/admin/")
        sign_in(page, "nobody", "not the password at all")
        assert "do not match" in page.get_by_role("alert").inner_text()
        assert refused_only(tab)
        page.get_by_label("User name").fill("")
        sign_in(page, "secretariat")
        assert page.url == live_site.url + "/admin/"
        assert page.locator("h1").inner_text() == "Overview"
        assert page.get_by_role("navigation", name="Sections").get_by_role("link", name="Progress").is_visible()
        assert "secretariat (secretariat)" in page.locator("header").inner_text()
        # the session cookie is out of the page's reach
        assert not page.evaluate("document.cookie").strip()
        assert not tab.all_problems()
    finally:
        context.close()


def test_the_navigation_links_to_the_known_pages(tab):
    tab.page.goto("/admin/")
    links = tab.page.locator("nav[aria-label=Sections] a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == list(NAV.values()), "a new page in the navigation: add it to NAV in this file"


@pytest.mark.parametrize("name", list(NAV) + list(OTHER))
def test_page_loads_clean_and_accessible(tab, name):
    path = {**NAV, **OTHER}[name]
    response = tab.page.goto(path)
    assert response is not None
    if response.status == 404:
        pytest.skip(f"the {name} page ({path}) does not exist yet (404); it is checked as soon as it does")
    assert response.status == 200, f"{path}: {response.status}"
    assert "/admin/login" not in tab.page.url
    assert tab.page.locator("h1").count() == 1
    assert not tab.all_problems(), f"{path}: {tab.all_problems()}"
    assert not axe_violations(tab.page), f"{path}: {axe_violations(tab.page)}"
    assert not tab.all_problems(), f"{path} after axe-core: {tab.all_problems()}"


def test_login_page_is_clean_and_accessible(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url)
    try:
        tab = watch(context.new_page())
        tab.page.goto("/admin/login")
        assert not axe_violations(tab.page)
        sign_in(tab.page, "nobody", "wrong password, twice")  # and with its error shown
        assert tab.page.get_by_role("alert").is_visible() and refused_only(tab)
        assert not axe_violations(tab.page)
        assert not tab.all_problems()
    finally:
        context.close()


def test_screenshot_of_the_overview(tab):
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    tab.page.goto("/admin/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    assert (SCREENSHOTS / "overview.png").stat().st_size > 1000


def test_sign_out(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url)
    try:
        tab = watch(context.new_page())
        page = tab.page
        page.goto("/admin/login")
        sign_in(page, "viewer")
        assert page.locator("h1").inner_text() == "Overview"
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
        assert page.url.endswith("/admin/login")
        page.goto("/admin/progress")
        assert page.url.endswith("/admin/login?next=/admin/progress")
        assert not tab.all_problems()
    finally:
        context.close()


def test_the_pages_work_without_javascript(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/admin/")
        sign_in(page, "secretariat")
        assert page.url == live_site.url + "/admin/"
        assert page.locator("h1").inner_text() == "Overview"
        assert page.locator("main").inner_text().strip() != "Overview"  # more than the heading
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
        assert page.url.endswith("/admin/login")
    finally:
        context.close()


def test_a_360px_screen_needs_no_sideways_scrolling(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto("/admin/login")
        assert page.evaluate("document.documentElement.scrollWidth") <= 361
        sign_in(page, "admin")
        assert page.locator("h1").inner_text() == "Overview"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 361, f"the overview is {width} px wide on a 360-px screen"
    finally:
        context.close()
