"""Settings come from environment variables; a malformed one stops start-up with one line naming it."""

from __future__ import annotations

import pytest

from backend import cli
from backend.config import Settings, SettingsError, get_settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No setting from the developer's shell, and no stray `.env` in the working directory."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


BAD_VALUES = [
    ("DATABASE_URL", "mysql://x", "expected sqlite:///path.db or postgresql+psycopg://user:pass@host/db"),
    ("REDIS_URL", "localhost:6379", "expected redis://host:port/db, or leave empty to run jobs in-process"),
    ("DEFAULT_TIMEZONE", "Mars/Base", "expected an IANA time zone such as Africa/Nairobi or UTC"),
    ("DEFAULT_TIMEZONE", "Africa", "expected an IANA time zone such as Africa/Nairobi or UTC"),
    ("DEFAULT_LANGUAGE", "xx", "expected a language code such as en, fr, es, pt or ar"),
    ("DEFAULT_LANGUAGE", "xx-nope", "expected a language code such as en, fr, es, pt or ar"),
    ("TELEGRAM_WEBHOOK_SECRET", "my secret", "expected 1-256 characters from A-Z, a-z, 0-9, _ and -"),
    ("PUBLIC_BASE_URL", "bot.example.org", "expected an http:// or https:// URL"),
    ("MECHANISM_NAME", "  ", "expected the mechanism's name as officials know it, 1-40 characters (it is sent by SMS)"),
]


@pytest.mark.parametrize("var, value, expected", BAD_VALUES, ids=[f"{v}={x}" for v, x, _ in BAD_VALUES])
def test_malformed_variable_is_one_line_naming_it(monkeypatch, var, value, expected):
    """A malformed environment variable raises SettingsError: one line, `VAR: what is expected`."""
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as failed:
        load_settings()
    assert str(failed.value) == f"{var}: {expected}"


def test_defaults_need_no_environment():
    """With nothing set, the product starts on SQLite with jobs in-process."""
    settings = load_settings()
    assert (settings.database_url, settings.redis_url, settings.default_language, settings.default_timezone) == (
        "sqlite:///var/nmirf.db",
        "",
        "en",
        "UTC",
    )


@pytest.mark.parametrize(
    "url", ["postgres://nmirf:pw@db.internal:5432/nmirf", "postgresql://nmirf:pw@db.internal:5432/nmirf"]
)
def test_postgres_urls_use_psycopg(monkeypatch, url):
    """A postgres:// or postgresql:// DATABASE_URL (as hosting platforms give it) is used through psycopg 3."""
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().database_url == "postgresql+psycopg://nmirf:pw@db.internal:5432/nmirf"


def test_good_values_from_environment_are_used(monkeypatch):
    """Well-formed variables are read as given (base URLs without a trailing slash)."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bot.example.org/")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "abc_DEF-123")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Africa/Nairobi")
    s = load_settings()
    assert (s.redis_url, s.public_base_url, s.telegram_webhook_secret, s.default_language, s.default_timezone) == (
        "redis://127.0.0.1:6379/1",
        "https://bot.example.org",
        "abc_DEF-123",
        "fr",
        "Africa/Nairobi",
    )


def test_cli_reports_configuration_error_and_exits_2(monkeypatch, capsys):
    """`nmirf db upgrade` with a malformed variable prints `configuration error: VAR: ...` and exits 2."""
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    assert cli.main(["db", "upgrade"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "configuration error: DATABASE_URL: expected sqlite:///path.db or postgresql+psycopg://user:pass@host/db\n"
    )
