"""Shared fixtures: fresh databases (SQLite and a real PostgreSQL), a real Redis, a running
product context, and a fake Telegram Bot API server spoken to by the real python-telegram-bot.

PostgreSQL and Redis come from TEST_POSTGRES_URL / TEST_REDIS_URL (deploy/test.sh starts both).
Outside CI a missing service skips its tests; in CI (CI=true) it fails them."""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from backend.config import load_settings
from backend.migrations import upgrade
from backend.wiring.context import build_context, set_context
from backend.wiring.dispatch import InProcessDispatcher
from tests.fakes.telegram_api import FakeTelegramAPI

# No per-example time limit: this is a shared machine, and a first call may load a word segmenter.
# Speed is measured in bench/, not asserted here.
hypothesis_settings.register_profile("shared-machine", deadline=None)
hypothesis_settings.load_profile("shared-machine")

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "deploy" / "demo"
TOKEN = "123456:TEST"
SECRET = "test-secret_token-1"


def service_url(var: str) -> str:
    url = os.environ.get(var)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{var} is not set: run the suite with `bash deploy/test.sh`")
        pytest.skip(f"{var} not set (run `bash deploy/test.sh` to start PostgreSQL and Redis)")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template():
    """A migrated template database; each test gets a copy (CREATE DATABASE ... TEMPLATE)."""
    admin = service_url("TEST_POSTGRES_URL")
    name = f"nmirf_tpl_{os.getpid()}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(admin.rsplit("/", 1)[0] + f"/{name}")
    yield engine, name
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def fresh_database(kind: str, request, tmp_path):
    if kind == "sqlite":
        path = tmp_path / "nmirf.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    engine, template = request.getfixturevalue("postgres_template")
    name = f"nmirf_t_{uuid.uuid4().hex[:12]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield str(engine.url.set(database=name).render_as_string(hide_password=False))
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """A fresh, migrated database: once on SQLite, once on PostgreSQL."""
    with fresh_database(request.param, request, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(request, tmp_path):
    with fresh_database("sqlite", request, tmp_path) as url:
        yield url


@pytest.fixture
def redis_url():
    from redis import Redis

    url = service_url("TEST_REDIS_URL")
    client = Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def fake_telegram():
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


def settings_for(database_url: str, **overrides):
    values = dict(
        database_url=database_url,
        redis_url="",
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base_url="http://127.0.0.1:9/bot",
        public_base_url="https://bot.example.org",
        default_language="en",
        default_timezone="UTC",
        stale_after_seconds=0.0,
        scheduler_enabled=False,  # the rhythm's own tests turn it on
        simulator_enabled=True,  # tests talk through it; tests/backend/test_simulator_door.py turns it off
    )
    values.update(overrides)
    return load_settings(**values)


@contextmanager
def running_context(settings, dispatcher=None):
    ctx = build_context(settings, dispatcher=dispatcher or InProcessDispatcher())
    set_context(ctx)
    try:
        yield ctx
    finally:
        stop = getattr(ctx.dispatcher, "stop", None)
        if stop:
            stop()
        set_context(None)
        ctx.close()


def import_demo(ctx) -> None:
    from backend.imports.catalog import import_actions, import_recommendations
    from backend.imports.roster import import_roster

    with ctx.db.transaction() as session:
        import_roster(session, DEMO / "roster.csv")
        import_recommendations(session, DEMO / "recommendations.csv")
        import_actions(session, DEMO / "actions.csv")
