"""The read-only JSON API for other systems: bearer tokens made and revoked with the real
`nmirf api-token` command, 401s, pagination, filters, no phone number in any answer, and its
documentation for signed-in admins only."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend import cli
from backend.accounts import tokens
from backend.catalog.models import Action, Cluster
from backend.cli.meetings import create_and_invite
from backend.config import get_settings
from backend.meetings import service as meetings
from backend.progress import service as progress
from backend.roster.models import Person
from backend.wiring.context import get_context, set_context
from tests.conftest import DEMO

ENDPOINTS = ("/api/v1/progress", "/api/v1/actions", "/api/v1/recommendations", "/api/v1/meetings")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def demo_addresses() -> list[str]:
    with (DEMO / "roster.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    phones = [r["phone"] for r in rows if r["phone"]]
    return phones + [p.lstrip("+") for p in phones] + [r["telegram_user_id"] for r in rows if r["telegram_user_id"]]


def nmirf(ctx, monkeypatch, tmp_path, *argv) -> int:
    """`nmirf ARGV...` as an administrator runs it on the server, against the site's database."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("REDIS_URL", "")
    get_settings.cache_clear()
    try:
        return cli.main(list(argv))
    finally:
        built = get_context()
        if built is not ctx:
            built.close()
        set_context(ctx)
        get_settings.cache_clear()


def new_token(ctx, name: str = "tracker") -> str:
    with ctx.db.transaction() as db:
        return tokens.create(db, name=name, now=datetime.now(UTC))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def report(ctx, n: int, *, start: datetime = T0, step=timedelta(hours=1), note: str = "step {i}") -> list[int]:
    """n progress updates through the progress service, on the demo's actions in turn."""
    ids = []
    with ctx.db.transaction() as db:
        actions = db.scalars(select(Action).order_by(Action.id)).all()
        people = {p.name: p.id for p in db.scalars(select(Person))}
        for i in range(n):
            action = actions[i % len(actions)]
            reporter = "Amina Yusuf" if action.institution.short_name == "MOJ" else "Grace Wanjiru"
            update = progress.record(
                db,
                action_id=action.id,
                person_id=people[reporter],
                status="in_progress" if i % 3 else "blocked",
                period="2026-W10",
                now=start + i * step,
                note=note.format(i=i),
                indicator_value=i * 1.5,
            )
            db.flush()
            ids.append(update.id)
    return ids


def walk(client, path: str, token: str, **params) -> tuple[list[dict], int]:
    """Every item of an endpoint, page after page through `next`; and how many pages."""
    items, pages, cursor = [], 0, None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        r = client.get(path, params=query, headers=bearer(token))
        assert r.status_code == 200, r.text
        pages += 1
        items += r.json()["items"]
        cursor = r.json()["next"]
        if cursor is None:
            return items, pages
        assert pages < 100


@pytest.fixture
def api(site):
    ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        yield ctx, client


def test_token_made_and_revoked_with_the_command(api, monkeypatch, tmp_path, capsys):
    ctx, client = api
    assert nmirf(ctx, monkeypatch, tmp_path, "api-token", "create", "national-tracking-db") == 0
    out = capsys.readouterr().out
    token = next(line for line in out.splitlines() if line.startswith(tokens.PREFIX))
    assert "Authorization: Bearer <token>" in out
    for path in ENDPOINTS:
        r = client.get(path, headers=bearer(token))
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"

    assert nmirf(ctx, monkeypatch, tmp_path, "api-token", "list") == 0
    listed = capsys.readouterr().out
    assert "national-tracking-db" in listed and "active" in listed and token not in listed

    assert nmirf(ctx, monkeypatch, tmp_path, "api-token", "revoke", "national-tracking-db") == 0
    r = client.get("/api/v1/progress", headers=bearer(token))  # at once: no cache of good tokens
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
    assert "revoked" in r.json()["detail"]
    # the name is free again, and a new token works while the old one stays dead
    assert nmirf(ctx, monkeypatch, tmp_path, "api-token", "create", "national-tracking-db") == 0
    fresh = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(tokens.PREFIX))
    assert client.get("/api/v1/progress", headers=bearer(fresh)).status_code == 200
    assert client.get("/api/v1/progress", headers=bearer(token)).status_code == 401


def test_revoking_through_the_service_stops_an_open_client_at_once(api):
    ctx, client = api
    token = new_token(ctx)
    assert client.get("/api/v1/actions", headers=bearer(token)).status_code == 200
    with ctx.db.transaction() as db:
        tokens.revoke(db, name="tracker", now=datetime.now(UTC))
    assert client.get("/api/v1/actions", headers=bearer(token)).status_code == 401


BAD_HEADERS = (
    None,
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer nmirf_wrong",
    "Bearer not-even-ours",
    "Bearer " + "x" * 500,
)


def test_without_a_valid_token_401_says_what_to_do(api):
    ctx, client = api
    new_token(ctx)  # a real token exists; none of these is it
    for path in ENDPOINTS:
        for header in BAD_HEADERS:
            r = client.get(path, headers={"Authorization": header} if header is not None else {})
            assert r.status_code == 401, (path, header)
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert r.headers["content-type"].startswith("application/json")
            assert "nmirf api-token create" in r.json()["detail"]


def test_no_token_is_checked_before_the_parameters(api):
    """Without a token nothing is said about the request itself (no 422 on a bad limit)."""
    ctx, client = api
    assert client.get("/api/v1/progress?limit=9999&since=nonsense").status_code == 401


def test_pagination_walks_every_item_exactly_once(api):
    ctx, client = api
    token = new_token(ctx)
    ids = report(ctx, 7)
    for limit in (1, 3, 7, 50):
        items, pages = walk(client, "/api/v1/progress", token, limit=limit)
        assert [i["id"] for i in items] == ids
        assert pages == max(1, -(-7 // limit))
    # by offset, too: same items, same order
    by_offset = []
    for offset in range(0, 7, 3):
        r = client.get("/api/v1/progress", params={"limit": 3, "offset": offset}, headers=bearer(token))
        by_offset += [i["id"] for i in r.json()["items"]]
    assert by_offset == ids
    # new items arriving between pages are picked up, none twice
    first = client.get("/api/v1/progress", params={"limit": 4}, headers=bearer(token)).json()
    more = report(ctx, 2, start=T0 + timedelta(days=1))
    rest, _ = walk(client, "/api/v1/progress", token, limit=4, cursor=first["next"])
    assert [i["id"] for i in first["items"] + rest] == ids + more

    actions, pages = walk(client, "/api/v1/actions", token, limit=4)
    assert len(actions) == 6 and len({a["code"] for a in actions}) == 6 and pages == 2
    recs, _ = walk(client, "/api/v1/recommendations", token, limit=5)
    assert len(recs) == 6 and len({r["reference"] for r in recs}) == 6


def test_filters(api):
    ctx, client = api
    token = new_token(ctx)
    ids = report(ctx, 12)  # hourly from T0, actions MOJ-1, MOJ-2, ... in turn

    def got(**params) -> list[dict]:
        r = client.get("/api/v1/progress", params=dict(params, limit=200), headers=bearer(token))
        assert r.status_code == 200, r.text
        return r.json()["items"]

    since = got(since=(T0 + timedelta(hours=9)).isoformat())
    assert [i["id"] for i in since] == ids[9:]
    # an offset is honoured: 21:00 at +03:00 is 18:00 UTC
    assert got(since="2026-03-02T21:00:00+03:00") == since
    assert got(since="2026-03-02T09:00:00") == got()  # no offset: UTC

    moj = got(institution="MOJ")
    assert moj and {i["institution"] for i in moj} == {"MOJ"}
    assert {i["reporter"]["name"] for i in moj} == {"Amina Yusuf"}
    assert moj[0]["reporter"] == {
        "name": "Amina Yusuf",
        "role": "focal_point",
        "language": "en",
        "institution": "MOJ",
        "title": "Senior State Counsel",
        "position": "lead",
    }
    with ctx.db.transaction() as db:  # a community report, on a cluster, by Kisumu's focal point
        fatuma = db.scalar(select(Person.id).where(Person.name == "Fatuma Achieng"))
        child = db.scalar(select(Cluster.id).where(Cluster.code == "CHILD"))
        community = progress.record(
            db,
            action_id=None,
            cluster_id=child,
            person_id=fatuma,
            status="in_progress",
            period="2026-W10",
            now=T0,
            level="community",
            locality="Kisumu East",
            people_reached=120,
            note="Dialogue forum",
        )
        db.flush()
        community_id = community.id
    kisumu = got(institution="KSM")
    assert {i["institution"] for i in kisumu} == {"KSM"}
    [ksm] = [i for i in kisumu if i["level"] == "community"]
    assert ksm["id"] == community_id and ksm["action"] is None and ksm["cluster"] == "CHILD"
    assert (ksm["institution"], ksm["level"], ksm["locality"], ksm["people_reached"]) == (
        "KSM",
        "community",
        "Kisumu East",
        120,
    )
    assert community_id not in {i["id"] for i in got(institution="MOJ")}

    one = got(action="MOJ-1")
    assert one and {i["action"] for i in one} == {"MOJ-1"}
    late = T0 + timedelta(hours=6)
    assert got(action="MOJ-1", since=late.isoformat()) == [
        i for i in one if datetime.fromisoformat(i["created_at"]) >= late
    ]
    assert one[0]["figure"] == 0.0 and one[0]["status"] == "blocked" and one[0]["note"] == "step 0"

    actions = client.get("/api/v1/actions", params={"institution": "MOH"}, headers=bearer(token)).json()["items"]
    assert actions and {a["institution"] for a in actions} == {"MOH"}
    assert all(a["last_update_at"] for a in actions)
    blocked = client.get("/api/v1/actions", params={"status": "blocked"}, headers=bearer(token)).json()["items"]
    assert all(a["status"] == "blocked" for a in blocked)
    upr = client.get("/api/v1/recommendations", params={"mechanism": "UPR"}, headers=bearer(token)).json()["items"]
    assert upr and {r["mechanism"] for r in upr} == {"UPR"}


NONSENSE = [
    ("/api/v1/progress", {"institution": "NOPE"}, 400, "no institution 'NOPE'"),
    ("/api/v1/progress", {"action": "<script>"}, 400, "no action"),
    ("/api/v1/progress", {"cursor": "garbage!!"}, 400, "start again without `cursor`"),
    ("/api/v1/progress", {"cursor": "YWN0aW9uczox"}, 400, "cursor"),  # actions:1, a cursor of another endpoint
    ("/api/v1/progress", {"cursor": "cHJvZ3Jlc3M6MQ", "offset": 2}, 400, "either `cursor` or `offset`"),
    ("/api/v1/progress", {"since": "last tuesday"}, 422, "since"),
    ("/api/v1/progress", {"limit": 201}, 422, "200"),
    ("/api/v1/progress", {"limit": 0}, 422, "limit"),
    ("/api/v1/actions", {"status": "done"}, 422, "status"),
    ("/api/v1/meetings", {"offset": -1}, 422, "offset"),
]


def test_nonsense_gets_a_clear_json_error(api):
    ctx, client = api
    token = new_token(ctx)
    for path, params, status, says in NONSENSE:
        r = client.get(path, params=params, headers=bearer(token))
        assert r.status_code == status, (path, params, r.text)
        assert says in json.dumps(r.json()), (path, params, r.text)


def test_meetings_with_invitations_and_answers(api):
    ctx, client = api
    token = new_token(ctx)
    made = create_and_invite(
        ctx,
        title="Child rights review",
        starts=(datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%d 10:00"),
        place="Sheria House",
        invite="MOJ,MOH",
    )
    with ctx.db.transaction() as db:
        grace = db.scalar(select(Person.id).where(Person.name == "Grace Wanjiru"))
        meetings.answer(
            db,
            person_id=grace,
            meeting_id=made["meeting"],
            answer="declined",
            now=datetime.now(UTC),
            settings=ctx.settings,
            configured=ctx.configured,
        )
    create_and_invite(ctx, title="Second", starts="2031-01-06 10:00", place="Online", invite="none")
    items, pages = walk(client, "/api/v1/meetings", token, limit=1)
    assert pages == 2 and [m["title"] for m in items] == ["Child rights review", "Second"]
    meeting = items[0]
    answers = {i["person"]["name"]: (i["institution"], i["status"]) for i in meeting["invitations"]}
    assert answers == {"Amina Yusuf": ("MOJ", "pending"), "Grace Wanjiru": ("MOH", "declined")}
    assert meeting["status"] == "scheduled" and meeting["place"] == "Sheria House"
    assert items[1]["invitations"] == []


def test_no_answer_carries_a_phone_number_or_telegram_id(api):
    ctx, client = api
    token = new_token(ctx)
    report(ctx, 6)
    create_and_invite(ctx, title="Review", starts="2031-02-03 10:00", place="Sheria House", invite="all")
    texts = []
    for path in ENDPOINTS:
        r = client.get(path, params={"limit": 200}, headers=bearer(token))
        assert r.status_code == 200 and r.json()["items"], path
        texts.append(r.text)
    for text in texts:
        for address in demo_addresses():
            assert address not in text
        assert "phone" not in text and "telegram" not in text


def test_docs_are_for_signed_in_admins(site, as_role):
    ctx, app = site
    with TestClient(app, base_url="https://testserver") as anonymous:
        for path in ("/api/docs", "/api/openapi.json"):
            r = anonymous.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/admin/login?next=" + path
            # a token is for the data, not for the documentation
            r = anonymous.get(path, headers=bearer(new_token(ctx, f"t{path}")), follow_redirects=False)
            assert r.status_code == 303
        for path in ("/docs", "/openapi.json", "/redoc", "/api/redoc"):  # FastAPI's open defaults are off
            assert anonymous.get(path, follow_redirects=False).status_code == 404
    for role in ("viewer", "secretariat"):
        client = as_role(role)
        assert client.get("/api/docs").status_code == 403
        assert client.get("/api/openapi.json").status_code == 403
    admin = as_role("admin")
    page = admin.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for path in ENDPOINTS:
        assert f"<code>{path}</code>" in page.text
    assert "<script" not in page.text and "cdn" not in page.text.lower()
    assert "Authorization: Bearer &lt;token&gt;" in page.text and "ProgressPage" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_openapi_schema_is_complete_and_consistent(as_role):
    schema = as_role("admin").get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "nmirf-bot API"
    assert schema["servers"] == [{"url": "/api"}]
    assert {"/api" + p for p in schema["paths"]} == set(ENDPOINTS)
    components = schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["token"]["description"],
    }

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(schema):  # every reference resolves
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components, ref
    for path, operations in schema["paths"].items():
        assert set(operations) == {"get"}, path  # read-only
        op = operations["get"]
        assert op["security"] == [{"token": []}]
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("Page")
        assert {"400", "401", "422"} <= set(op["responses"])
        assert {"limit", "cursor", "offset"} <= {p["name"] for p in op["parameters"]}
        page = components[op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
        assert set(page["properties"]) == {"items", "next"}
    assert {p["name"] for p in schema["paths"]["/v1/progress"]["get"]["parameters"]} >= {
        "since",
        "institution",
        "action",
    }
    limit = next(p for p in schema["paths"]["/v1/progress"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 200 and limit["schema"]["default"] == 50
    assert "phone" not in json.dumps(components) and "telegram_user_id" not in json.dumps(components)
