"""The store on SQLite and PostgreSQL: migrations, shipped SDG data, roster links."""

from sqlalchemy import func, select, text

from backend.catalog.models import SdgGoal, SdgTarget
from backend.db import Database
from backend.migrations import alembic_config, downgrade, upgrade


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_models_and_migrations_agree(database_url):
    """Every schema change is a migration: the migrated database matches the models exactly."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from backend import models

    db = Database(database_url)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), models.Base.metadata) == []
    db.dispose()


def test_migrations_ship_sdg_targets_and_go_down_and_up(database_url):
    db = Database(database_url)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SdgGoal)) == 17
        assert s.scalar(select(func.count()).select_from(SdgTarget)) == 169
        assert s.get(SdgTarget, "16.a").goal == 16
    db.dispose()
    downgrade(database_url, "base")
    db = Database(database_url)
    with db.engine.connect() as conn:
        names = set(db.engine.dialect.get_table_names(conn))
    assert "person" not in names
    db.dispose()
    upgrade(database_url)
    db = Database(database_url)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SdgTarget)) == 169
        assert s.execute(text("select version_num from alembic_version")).scalar() == head()
    db.dispose()
