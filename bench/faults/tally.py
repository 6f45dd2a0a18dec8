"""Counting a case's outcome (see bench/faults/harness.py's text): from what the load generator
delivered, the fake providers' record and the database."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    line: str
    ok: bool
    seconds: float = 0.0
    notes: tuple[str, ...] = ()


@dataclass
class Tally:
    tried: int = 0  # webhook calls the load generator set out to make (repeats included)
    distinct: int = 0  # distinct provider ids among them
    acknowledged: int = 0
    stored: int = 0
    sent: int = 0
    duplicated: int = 0
    lost: int = 0
    longest_wait: float = 0.0
    # per acknowledged message answered: (first 2xx, last answer at the provider), monotonic
    answered: dict[str, tuple[float, float]] = field(default_factory=dict)
    max_sends_per_message: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self, what: str, extra: str = "") -> str:
        text = (
            f"{what}: in {self.tried} ({self.distinct} distinct) / acknowledged {self.acknowledged} / "
            f"stored {self.stored} / sent {self.sent} / duplicated {self.duplicated} / lost {self.lost} / "
            f"longest wait {self.longest_wait:.1f} s"
        )
        return text + (f"; {extra}" if extra else "")


def tally(product, deliveries: list, *, tried: int | None = None) -> Tally:
    """Count a case's outcome from the fake providers and the database (see the module's text)."""
    t = Tally(tried=len(deliveries) if tried is None else tried)
    acked_at: dict[str, float] = {}
    for d in deliveries:
        if d.acked_at is not None:
            acked_at[d.key] = min(acked_at.get(d.key, d.acked_at), d.acked_at)
    t.distinct = len({d.key for d in deliveries})
    t.acknowledged = sum(1 for d in deliveries if d.acked_at is not None)
    inbox = {
        pid: (row_id, status)
        for row_id, pid, status in product.query("SELECT id, provider_id, status FROM inbound_message")
    }
    t.stored = len(inbox)
    outbox = product.query("SELECT id, kind, status, provider_id, in_reply_to, address, text FROM outbound_message")
    sends = product.provider_sends()
    t.sent = len(sends)
    when = {pid: at for pid, _addr, at in sends}
    committed = {row[3] for row in outbox if row[3]}
    orphans = [(addr, pid) for pid, addr, _at in sends if pid not in committed]
    t.duplicated = len(orphans)
    per_address_orphans = Counter(addr.removeprefix("whatsapp:") for addr, _ in orphans)
    t.max_sends_per_message = (1 + max(per_address_orphans.values())) if per_address_orphans else (1 if sends else 0)
    replies: dict[int, list[tuple]] = {}
    for row in outbox:
        if row[4] is not None:
            replies.setdefault(row[4], []).append(row)
    lost = []
    for key, at in acked_at.items():
        if key not in inbox:
            lost.append(f"{key}: acknowledged, never stored")
            continue
        row_id, status = inbox[key]
        answers = replies.get(row_id, [])
        if status != "done" or not answers:
            lost.append(f"{key}: inbox {status}, {len(answers)} replies")
            continue
        unsent = [r for r in answers if r[3] not in when]
        if unsent:
            lost.append(f"{key}: reply {unsent[0][0]} {unsent[0][2]}, not at the provider")
            continue
        t.answered[key] = (at, max(when[r[3]] for r in answers))
        t.longest_wait = max(t.longest_wait, t.answered[key][1] - at)
    for row in outbox:
        if row[4] is None and row[3] not in when:
            lost.append(f"outbox {row[0]} ({row[1]}): {row[2]}, not at the provider")
    t.lost = len(lost)
    t.notes.extend(lost[:5])
    return t
