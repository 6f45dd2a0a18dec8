"""Smoke test: the services that deploy/test.sh starts are reachable.

Neither test is skipped when its variable is missing: run the suite with
`bash deploy/test.sh`, which starts PostgreSQL and Redis and sets them.
"""

import os

import pytest


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set; run the test suite with `bash deploy/test.sh`")
    return value


@pytest.mark.postgres
def test_postgres_is_reachable():
    import psycopg

    url = _env("TEST_POSTGRES_URL").replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, connect_timeout=10) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.redis
def test_redis_is_reachable():
    import redis

    client = redis.Redis.from_url(_env("TEST_REDIS_URL"), socket_timeout=10)
    try:
        assert client.ping() is True
        client.set("nmirf:smoke", "ok")
        assert client.get("nmirf:smoke") == b"ok"
    finally:
        client.close()
