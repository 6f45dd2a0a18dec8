"""The simulator's "phone side": messages the bot sent to a simulator address, read from the store."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from backend.deps import context
from backend.outbox.models import OutboxMessage
from backend.wiring.context import Context

router = APIRouter(prefix="/simulator")


def delivered(ctx: Context, phone: str, after: int) -> list[dict]:
    with ctx.db.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == "simulator",
                OutboxMessage.address == phone,
                OutboxMessage.status.in_(("sent", "delivered")),
                OutboxMessage.id > after,
            )
            .order_by(OutboxMessage.id)
        ).all()
        return [{"id": r.id, "text": r.text, "kind": r.kind} for r in rows]


@router.get("/messages")
def messages(phone: str = Query(...), after: int = Query(0), ctx: Context = Depends(context)):
    return {"messages": delivered(ctx, phone, after)}
