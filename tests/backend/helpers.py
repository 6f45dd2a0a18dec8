"""Helpers for tests that drive the product through its webhooks."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import DEMO, SECRET

TELEGRAM_DATA = Path(__file__).resolve().parent.parent / "bot" / "testdata" / "telegram"
AMINA_TG = 777000111


def telegram_update(name: str, **changes) -> bytes:
    data = json.loads((TELEGRAM_DATA / name).read_text())
    data.update(changes)
    return json.dumps(data).encode()


def text_update(update_id: int, text: str, user_id: int = AMINA_TG) -> bytes:
    data = json.loads((TELEGRAM_DATA / "text.json").read_text())
    data["update_id"] = update_id
    data["message"]["text"] = text
    data["message"]["message_id"] = update_id % 100000
    data["message"]["from"]["id"] = data["message"]["chat"]["id"] = user_id
    return json.dumps(data).encode()


def post_telegram(client, body: bytes, secret: str | None = SECRET):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return client.post("/webhooks/telegram", content=body, headers=headers)


def telegram_roster(tmp_path: Path) -> Path:
    """The demo roster with Amina on Telegram (already linked) instead of the simulator."""
    lines = (DEMO / "roster.csv").read_text().splitlines()
    out = [lines[0]] + [l.replace(",,simulator,", f",{AMINA_TG},telegram,") if "Amina" in l else l for l in lines[1:]]
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def count(ctx, model, *where) -> int:
    with ctx.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05, message: str = "condition"):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def outbox_status(ctx, channel: str = "telegram") -> list[tuple[str, int]]:
    from backend.outbox.models import OutboxMessage

    with ctx.db.transaction() as s:
        return s.execute(
            select(OutboxMessage.status, OutboxMessage.attempts)
            .where(OutboxMessage.channel == channel)
            .order_by(OutboxMessage.id)
        ).all()
