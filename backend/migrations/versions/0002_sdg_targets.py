"""SDG goals and targets (17 goals, 169 targets) as shipped data

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DATA = Path(__file__).resolve().parents[2] / "data"


def _rows(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def upgrade() -> None:
    goal = sa.table("sdg_goal", sa.column("number", sa.Integer), sa.column("title", sa.String))
    target = sa.table(
        "sdg_target", sa.column("code", sa.String), sa.column("goal", sa.Integer), sa.column("title", sa.String)
    )
    op.bulk_insert(goal, [{"number": int(r["goal"]), "title": r["title"]} for r in _rows("sdg_goals.csv")])
    op.bulk_insert(
        target, [{"code": r["target"], "goal": int(r["goal"]), "title": r["title"]} for r in _rows("sdg_targets.csv")]
    )


def downgrade() -> None:
    op.execute("DELETE FROM recommendation_sdg")
    op.execute("DELETE FROM sdg_target")
    op.execute("DELETE FROM sdg_goal")
