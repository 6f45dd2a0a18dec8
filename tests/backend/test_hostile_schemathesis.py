"""Schemathesis against the product's own OpenAPI schema, built in-process (`app.openapi()`: the
public /docs and /openapi.json stay off): the JSON API under /api/v1 with a valid bearer token,
a wrong one and none, and every webhook with the right secret or signature, a wrong one and none.
Bodies that fit the schema and bodies that break it (schemathesis' positive and negative modes).

No answer is ever a 5xx; answers match the schema (status, content type, body) where the request
was a valid one; and afterwards nothing stored is garbage: every inbox row comes from an
authenticated request that was acknowledged, and its text is the text that request carried."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from backend.accounts import tokens
from backend.app import create_app
from backend.inbox.models import InboxMessage
from tests.backend.test_hostile_text import AUTH_TOKEN, BASE, twilio_settings
from tests.conftest import SECRET, import_demo, running_context
from tests.fakes.twilio_signing import SIGNATURE_HEADER, sign

CONFORMS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = {"valid": [GenerationMode.POSITIVE], "any": [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]}
FEW = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
TEXT_CAP = {"telegram": 4096, "sms": 1600, "whatsapp": 4096, "simulator": 4096}
WEBHOOKS = {  # path: (channel, field of the provider id, field of the text)
    "/webhooks/telegram": ("telegram", "update_id", "text"),
    "/webhooks/twilio/sms": ("sms", "MessageSid", "Body"),
    "/webhooks/twilio/whatsapp": ("whatsapp", "MessageSid", "Body"),
    "/webhooks/twilio/status": ("status", "MessageSid", None),
    "/webhooks/simulator": ("simulator", "id", "text"),
}


@pytest.fixture
def product(sqlite_url):
    with running_context(twilio_settings(sqlite_url)) as ctx:
        yield ctx, create_app(ctx)


def loaded(openapi: dict, app) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(openapi)
    schema.app = app  # called in-process (ASGI), never over a network
    return schema


def cases(operation, modes: str):
    return st.one_of(*(operation.as_strategy(mode) for mode in MODES[modes]))


# ---------------------------------------------------------------- the JSON API


def api_schema(app):
    api = next(route.app for route in app.routes if getattr(route, "name", None) == "api")
    return loaded(api.openapi(), app)


@pytest.mark.parametrize("who", ["token", "wrong token", "no token"])
def test_the_api_never_fails_and_answers_as_documented(product, who):
    ctx, app = product
    import_demo(ctx)
    with ctx.db.transaction() as db:
        token = tokens.create(db, name="tracker", now=datetime.now(UTC))
    header = {"token": f"Bearer {token}", "wrong token": "Bearer not-a-token"}.get(who)
    schema = api_schema(app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/progress", "/v1/actions", "/v1/recommendations", "/v1/meetings"}

    @FEW
    @given(case=st.one_of(*(cases(op, "any") for op in operations)))
    def call(case):
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        if header:
            case.headers["Authorization"] = header
        response = case.call(base_url="http://testserver/api")
        if header == f"Bearer {token}":
            case.validate_response(response, checks=CONFORMS)
        else:
            case.validate_response(response, checks=[not_a_server_error])
            assert response.status_code == 401, response.text

    call()


# ---------------------------------------------------------------- the webhooks


def _sent_text(channel: str, body, field: str) -> str:
    if channel == "telegram":
        message = body.get("message") or body.get("edited_message") if isinstance(body, dict) else None
        text = message.get("text") if isinstance(message, dict) else None
    else:
        text = body.get(field) if isinstance(body, dict) else None
    return text[: TEXT_CAP[channel]] if isinstance(text, str) else ""


def _credential(case, path: str, how: str) -> None:
    """The right secret or signature (computed over the generated form), a wrong one, or none."""
    name = "X-Telegram-Bot-Api-Secret-Token" if path == "/webhooks/telegram" else SIGNATURE_HEADER
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != name.lower()}
    if how == "right" and name == SIGNATURE_HEADER:
        headers[name] = sign(AUTH_TOKEN, BASE + path, [(k, str(v)) for k, v in (case.body or {}).items()])
    elif how == "right":
        headers[name] = SECRET
    elif how == "wrong":
        headers[name] = "x" * 28
    case.headers = headers


@pytest.mark.parametrize(
    "path, how",
    [(p, how) for p in WEBHOOKS if p != "/webhooks/simulator" for how in ("right", "wrong", "none")]
    + [("/webhooks/simulator", "none")],  # a pretend phone signs nothing (and exists only when switched on)
)
def test_webhooks_never_fail_and_store_only_what_was_sent(product, path, how):
    ctx, app = product
    channel, id_field, text_field = WEBHOOKS[path]
    signed = how == "right" and path.startswith("/webhooks/twilio")
    operation = loaded(app.openapi(), app)[path]["POST"]
    sent: dict[str, str] = {}  # provider id -> the text of the first request acknowledged with it
    anonymous: set[str] = set()  # simulator messages without an id (the product makes one up)

    @FEW
    # Signed forms only from the schema: a signature covers the fields exactly as the product reads them.
    @given(case=cases(operation, "valid" if signed else "any"))
    def call(case):
        _credential(case, path, how)
        response = case.call(base_url="http://testserver")
        authentic = how == "right" or path == "/webhooks/simulator"
        if not authentic:
            case.validate_response(response, checks=[not_a_server_error])
            assert response.status_code == 403, response.text
            return
        case.validate_response(
            response, checks=CONFORMS if case.meta.generation.mode.is_positive else [not_a_server_error]
        )
        try:
            answer = response.json()
        except ValueError:  # Twilio's TwiML
            answer = {}
        if response.status_code != 200 or "ignored" in answer or answer.get("duplicate") or text_field is None:
            return
        body = case.body if isinstance(case.body, dict) else {}
        key = body.get(id_field)
        if channel == "simulator" and not key:
            anonymous.add(_sent_text(channel, body, text_field))
        else:
            sent.setdefault(str(key), _sent_text(channel, body, text_field))

    call()
    with ctx.db.transaction() as db:
        rows = db.execute(select(InboxMessage.channel, InboxMessage.provider_id, InboxMessage.text)).all()
    for row_channel, provider_id, text in rows:
        assert row_channel == channel, (row_channel, provider_id)
        assert isinstance(text, str) and "\x00" not in text
        text.encode("utf-8")  # whole characters only
        if channel == "simulator" and provider_id not in sent:
            assert text in anonymous
        else:
            assert sent.get(provider_id) == text, (provider_id, text)
    if not (how == "right" or path == "/webhooks/simulator"):
        assert rows == []
    elif text_field is not None:
        assert rows, "no generated message was stored: the schema no longer describes what the provider sends"


def test_the_public_app_still_has_no_open_schema(product):
    _, app = product
    with TestClient(app) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404
