"""Every page under 60 KB transferred, as served: the HTML, the stylesheet and any script it links,
each as the server sends it to a browser that accepts gzip (GZipMiddleware in admin.routes),
plus the response headers. Measured as admin and as viewer, with the demo data, a meeting,
a broadcast and a full page of messages. bench/page_weight.py prints the same measurement as a
table (bench/README.md, "Admin page weight")."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass

from fastapi.testclient import TestClient

from tests.admin.conftest import admin_site, sign_in
from tests.admin.test_roster_pages import say
from tests.admin.test_route_roles import AMINA, TABLE, app_routes, populate, url_of

LIMIT = 60_000  # bytes transferred per page: HTML + CSS + JS, compressed, with headers
ROLES = ("admin", "viewer")
MESSAGES = 30  # inbound messages (each answered): more than one page of the message log
EXTRA = (  # pages reached by a link with a query, beside each route's own
    "/admin/messages?inbound={inbound}",
    "/admin/messages?outbound={outbound}",
    "/admin/roster?person={person}",
    "/admin/meetings?when=past",
)


@dataclass(frozen=True)
class Weight:
    page: str
    role: str
    html: int
    css: int
    js: int
    headers: int

    @property
    def total(self) -> int:
        return self.html + self.css + self.js + self.headers


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes  # as sent: compressed when the server compressed it
    text: str
    encoding: str
    headers: int  # bytes of the status line and headers, as HTTP/1.1 sends them


def fetch(client: TestClient, url: str) -> Fetched:
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}, follow_redirects=False) as r:
        raw = b"".join(r.iter_raw())
        headers = len(f"HTTP/1.1 {r.status_code} {r.reason_phrase}\r\n") + 2
        headers += sum(len(k) + len(v) + 4 for k, v in r.headers.raw)
        encoding = r.headers.get("content-encoding", "")
    text = (gzip.decompress(raw) if encoding == "gzip" else raw).decode("utf-8", "replace")
    return Fetched(r.status_code, raw, text, encoding, headers)


def linked(html: str) -> tuple[list[str], list[str]]:
    """The stylesheets and scripts a page links (nothing may come from outside the server)."""
    css = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    js = re.findall(r'<script[^>]+src="([^"]+)"', html)
    return css, js


def pages(app, ids: dict[str, str], role: str) -> list[str]:
    """Every HTML page the role may open: the GET routes the table says answer 200, without the
    exports, the API's JSON, the probes and the static files; and the pages behind EXTRA."""
    column = ("anonymous", "viewer", "secretariat", "admin").index(role)
    found = []
    for method, path in sorted(app_routes(app)):
        if method != "GET" or TABLE[(method, path)][column] != 200:
            continue
        if path.endswith((".csv", ".json")) or path.startswith(("/api/v1/", "/admin/static/", "/simulator/")):
            continue
        if path in ("/healthz", "/readyz"):
            continue
        found.append(url_of(path, ids))
    return found + [url_of(p, ids) for p in EXTRA]


def weigh(client: TestClient, url: str, role: str) -> Weight:
    page = fetch(client, url)
    assert page.status == 200, (url, role, page.status, page.text[:300])
    assert page.encoding == "gzip", f"{url} was sent uncompressed"
    css, js = linked(page.text)
    assert css, f"{url} links no stylesheet"
    sizes = {}
    for asset in css + js:
        assert asset.startswith("/") and not asset.startswith("//"), f"{url} loads {asset} from elsewhere"
        got = fetch(client, asset)
        assert got.status == 200, asset
        sizes[asset] = len(got.body) + got.headers
    return Weight(
        page=url,
        role=role,
        html=len(page.body),
        css=sum(sizes[a] for a in css),
        js=sum(sizes[a] for a in js),
        headers=page.headers,
    )


def measure(database_url: str) -> list[Weight]:
    """The site with the demo data, a meeting, a broadcast and MESSAGES messages, every page
    weighed as each role of ROLES, and the sign-in page as nobody."""
    with admin_site(database_url) as (ctx, app):
        ids = populate(ctx)
        for i in range(MESSAGES):
            say(ctx, AMINA, "HELP" if i % 2 else "1D", f"weight-{i}")
        weights = []
        with TestClient(app, base_url="https://testserver") as anonymous:
            weights.append(weigh(anonymous, "/admin/login", "anonymous"))
        for role in ROLES:
            with TestClient(app, base_url="https://testserver") as client:
                assert sign_in(client, role).status_code == 200
                weights += [weigh(client, url, role) for url in pages(app, ids, role)]
        return weights


def table(weights: list[Weight]) -> str:
    def kb(n: int) -> str:
        return f"{n / 1000:.1f}"

    lines = [
        "| page | role | HTML | CSS | JS | headers | total (KB) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for w in weights:
        cells = (kb(w.html), kb(w.css), kb(w.js), kb(w.headers), f"**{kb(w.total)}**")
        lines.append(f"| `{w.page}` | {w.role} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_every_page_is_under_60_kb_as_served(sqlite_url):
    weights = measure(sqlite_url)
    print("\n" + table(weights))
    assert {w.role for w in weights} == {"anonymous", *ROLES}
    assert len([w for w in weights if w.role == "admin"]) > len([w for w in weights if w.role == "viewer"])
    heavy = [f"{w.page} as {w.role}: {w.total} bytes" for w in weights if w.total >= LIMIT]
    assert not heavy, heavy


def test_the_server_compresses_what_it_sends(site):
    """What a 2G-class browser gets: gzip for pages and the stylesheet; small answers as they are."""
    _ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        page = fetch(client, "/admin/login")
        assert page.encoding == "gzip" and len(page.body) < len(page.text.encode())
        css = fetch(client, "/admin/static/style.css")
        assert css.encoding == "gzip" and len(css.body) < len(css.text.encode())
        assert fetch(client, "/healthz").encoding == ""  # under minimum_size
        r = client.get("/admin/login", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in r.headers
