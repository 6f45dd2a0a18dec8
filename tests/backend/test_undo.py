"""UNDO through the product: the last answer's updates leave the store and the action gets back
the status it had."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.catalog.models import Action
from backend.cli.prompts import send_weekly_now
from backend.progress.models import ProgressUpdate
from tests.backend.helpers import wait_until
from tests.conftest import import_demo, running_context, settings_for


@pytest.fixture
def product(database_url, fake_telegram):
    with running_context(settings_for(database_url, telegram_api_base_url=fake_telegram.base_url)) as ctx:
        import_demo(ctx)
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            yield ctx, client


def test_undo_withdraws_the_last_answer(product):
    """`1D 2B`, then UNDO: no update stays, both actions are back to not started; `1D 2P` then counts."""
    ctx, client = product
    phone = "+254700000001"
    send_weekly_now(ctx, phone)

    def say(text, n):
        client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": f"u{n}"})
        wait_until(lambda: len(client.get("/simulator/messages", params={"phone": phone}).json()["messages"]) == n + 1)

    def state():
        with ctx.db.transaction() as s:
            updates = [(u.action.code, u.status) for u in s.scalars(select(ProgressUpdate).order_by(ProgressUpdate.id))]
            statuses = dict(s.execute(select(Action.code, Action.status).where(Action.code.like("MOJ-%"))).all())
            return updates, statuses

    say("1D 2B", 1)
    assert state() == ([("MOJ-1", "completed"), ("MOJ-2", "blocked")], {"MOJ-1": "completed", "MOJ-2": "blocked"})
    say("UNDO", 2)
    assert state() == ([], {"MOJ-1": "not_started", "MOJ-2": "not_started"})
    say("1D 2P", 3)
    assert state()[1] == {"MOJ-1": "completed", "MOJ-2": "in_progress"}
