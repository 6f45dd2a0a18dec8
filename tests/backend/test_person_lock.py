"""Handling a person's message locks the person, and a broadcast being written must not hold
that lock up: inserting an outbox row for someone takes PostgreSQL's FOR KEY SHARE on them until
the broadcast commits, which FOR UPDATE waits for and FOR NO KEY UPDATE does not. (Found under
load by bench/scale_out.py: three messages from recipients stopped all three workers.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from backend.imports.roster import import_roster
from backend.outbox.models import OutboxMessage
from backend.roster import service as roster
from backend.roster.models import Person
from tests.backend.helpers import AMINA_TG, telegram_roster
from tests.conftest import fresh_database, running_context, settings_for

pytestmark = pytest.mark.postgres


def test_a_message_is_handled_while_a_broadcast_to_its_sender_is_being_written(request, tmp_path):
    with fresh_database("postgres", request, tmp_path) as url, running_context(settings_for(url)) as ctx:
        with ctx.db.transaction() as s:
            import_roster(s, telegram_roster(tmp_path))
        now = datetime.now(UTC)
        with ctx.db.sessions() as broadcast, broadcast.begin():  # a broadcast, not committed yet
            amina = broadcast.scalar(select(Person).where(Person.telegram_user_id == AMINA_TG))
            broadcast.add(
                OutboxMessage(
                    key="bc-1",
                    person_id=amina.id,
                    channel="telegram",
                    address=str(AMINA_TG),
                    kind="broadcast",
                    priority=2,
                    text="Notice",
                    status="queued",
                    created_at=now,
                    next_attempt_at=now,
                )
            )
            broadcast.flush()
            with ctx.db.transaction() as handling:  # the inbound job, meanwhile
                handling.execute(text("SET LOCAL lock_timeout = '2s'"))
                person = roster.find_by_address(handling, channel="telegram", address=str(AMINA_TG), lock=True)
                assert person is not None and person.id == amina.id
