"""The people and message rows of the overview benchmark's data set (bench/overview_data.py):
who someone is, where they are reached, and 1,000,000 inbound and outbound messages with
realistic kinds, statuses and failures."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

PERIODS = 60
LANGUAGES = ["en"] * 5 + ["fr", "fr", "es", "pt", "ar", "sw"]
ZONES = ["Africa/Nairobi", "Africa/Lagos", "Africa/Dakar", "Asia/Dubai", "America/Bogota", "Asia/Bangkok"]
OUT_KINDS = [
    ("weekly_prompt", 30),
    ("reply", 30),
    ("reminder", 12),
    ("escalation", 4),
    ("invitation", 6),
    ("broadcast", 12),
    ("digest", 2),
    ("alert", 1),
    ("stop_ack", 1),
    ("cover_note", 2),
]
OUT_STATUSES = [("delivered", 70), ("sent", 20), ("failed", 7), ("queued", 2), ("sending", 1)]
IN_KINDS = [("text", 90), ("command", 4), ("contact", 2), ("unsupported", 2), ("event:stop", 1), ("event:start", 1)]
REPLIES = ["1P 2P", "1C", "2B waiting for funds", "1P 3N", "done", "STOP", "1B the budget is not released", "help"]
UNREACHABLE = ["The 'To' number is not a valid phone number", "Forbidden: bot was blocked by the user", "undeliverable"]


def weighted(rng: random.Random, pairs):
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights)[0]


class MessageRows:
    """Mixed into the Builder: it sets rng, now, people and n_inbound."""

    def _person(self, pid: int, role: str) -> dict:
        rng = self.rng
        channels = weighted(
            rng, [("sms", 35), ("telegram,sms", 25), ("whatsapp,sms", 20), ("telegram", 12), ("whatsapp", 8)]
        )
        linked = "telegram" in channels and rng.random() < 0.9
        return dict(
            id=pid,
            name=f"Person {pid:05d} {rng.choice(['Achieng', 'Diallo', 'Silva', 'Haddad', 'Mwangi', 'Okafor'])}",
            phone=None if channels == "telegram" and rng.random() < 0.5 else f"+2547{pid:08d}",
            telegram_user_id=500_000_000 + pid if linked else None,
            channels=channels,
            language=rng.choice(LANGUAGES),
            timezone=rng.choice(ZONES),
            active=rng.random() < 0.97,
            away_until=(self.now + timedelta(days=rng.randint(1, 20))).date() if rng.random() < 0.02 else None,
            role=role,
            next_digest_at=self.now + timedelta(days=3) if role == "secretariat" else None,
            created_at=self.now - timedelta(days=500),
        )

    def _address(self, person: dict) -> tuple[str, str]:
        channel = self.rng.choice(person["channels"].split(","))
        if channel == "telegram":
            if person["telegram_user_id"] is not None:
                return channel, str(person["telegram_user_id"])
            channel = "sms"
        return channel, person["phone"] or f"+2540{person['id']:08d}"

    def _when(self) -> datetime:
        """A moment in the last 60 weeks, more of them recent."""
        return self.now - timedelta(seconds=int((self.rng.random() ** 1.3) * PERIODS * 7 * 86400))

    def _inbound(self):
        rng, people = self.rng, self.people
        for i in range(1, self.n_inbound + 1):
            person = rng.choice(people)
            known = rng.random() < 0.97
            channel, address = self._address(person)
            at = self._when()
            kind = weighted(rng, IN_KINDS)
            status = "done" if rng.random() < 0.995 else rng.choice(["new", "failed"])
            yield dict(
                id=i,
                channel=channel,
                provider_id=f"p{i}",
                address=address,
                kind=kind,
                text=rng.choice(REPLIES) if kind == "text" else "",
                payload={"name": person["name"]} if channel == "telegram" else {},
                person_id=person["id"] if known else None,
                status=status,
                attempts=1,
                error="handler failed" if status == "failed" else None,
                received_at=at,
                processed_at=at + timedelta(milliseconds=rng.randint(30, 900)) if status == "done" else None,
            )

    def _outbound(self, n: int):
        rng, people = self.rng, self.people
        body = "This week: please report on your actions. 1 Plan 0 - 2 Plan 1 - 3 Plan 2. Reply e.g. 1P 2C 3B."
        for i in range(1, n + 1):
            person = rng.choice(people)
            channel, address = self._address(person)
            kind = weighted(rng, OUT_KINDS)
            status = weighted(rng, OUT_STATUSES)
            at = self._when()
            sms = channel == "sms"
            failed = status == "failed"
            yield dict(
                id=i,
                key=f"{kind}:{i}",
                person_id=person["id"],
                channel=channel,
                address=address,
                kind=kind,
                priority=0 if kind == "reply" else 1,
                text=body[: rng.randint(40, len(body))],
                sms_text=None if sms else body[:70],
                buttons=[],
                status=status,
                provider_id=None if status in ("queued", "sending") else f"m{i}",
                attempts=rng.randint(2, 5) if failed else 1,
                error=rng.choice(UNREACHABLE) if failed else None,
                in_reply_to=rng.randint(1, self.n_inbound) if kind == "reply" else None,
                created_at=at,
                next_attempt_at=at,
                sent_at=None if status in ("queued", "sending") else at + timedelta(seconds=rng.randint(1, 60)),
                segments=rng.randint(1, 3) if sms else None,
                route=[{"channel": "telegram", "error": "blocked"}] if failed and rng.random() < 0.3 else [],
            )

    def _addresses(self):
        rng, now = self.rng, self.now
        seen = set()
        for person in self.people:
            for channel in person["channels"].split(","):
                address = str(person["telegram_user_id"]) if channel == "telegram" else person["phone"]
                if address in (None, "None") or (channel, address) in seen:
                    continue
                seen.add((channel, address))
                roll = rng.random()
                yield dict(
                    channel=channel,
                    address=address,
                    opted_out_at=now - timedelta(days=rng.randint(1, 300)) if roll < 0.02 else None,
                    unreachable_at=now - timedelta(days=rng.randint(1, 300)) if 0.02 <= roll < 0.05 else None,
                    unreachable_reason=rng.choice(UNREACHABLE) if 0.02 <= roll < 0.05 else None,
                    last_inbound_at=now - timedelta(hours=rng.randint(1, 2000)),
                )
