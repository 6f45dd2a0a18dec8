"""Phone numbers and message bodies never reach the logs: the access log has no query strings,
every log line is redacted, and database errors carry no parameters."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from backend.roster.models import Person
from backend.wiring.redact import RedactingFormatter, redact

AMINA = "+254700000001"


def test_access_log_has_paths_only(site, caplog):
    ctx, app = site
    caplog.set_level(logging.INFO, logger="nmirf.access")
    with TestClient(app) as client:
        client.get("/simulator/messages", params={"phone": AMINA})
        client.post("/webhooks/simulator", json={"from": AMINA, "text": "my secret note", "id": "z1"})
    lines = [r.getMessage() for r in caplog.records if r.name == "nmirf.access"]
    assert any("GET /simulator/messages 200" in line for line in lines), lines
    assert not any("254700000001" in line or "secret" in line for line in lines)


def test_every_log_line_is_redacted_tracebacks_too():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(message)s"))
    log = logging.getLogger("test.redact")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"The 'To' number {AMINA} is not valid; chat 777000111")
        except RuntimeError:
            log.exception("send to %s failed", AMINA)
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert "254700000001" not in out and "777000111" not in out and "[number]" in out
    assert redact("at 2026-12-01 12:00:01, 250 ms, outbox 1234") == "at 2026-12-01 12:00:01, 250 ms, outbox 1234"


def test_database_errors_carry_no_parameters(site):
    ctx, _ = site
    with pytest.raises(IntegrityError) as caught:
        with ctx.db.transaction() as db:
            db.add(
                Person(
                    name="Twin",
                    phone=AMINA,
                    channels="sms",
                    language="en",
                    timezone="UTC",
                    created_at=datetime.now(UTC),
                )
            )
    assert "254700000001" not in str(caught.value)
