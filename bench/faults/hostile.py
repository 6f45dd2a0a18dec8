"""Case 7, hostile: while 100 people (quick: 30; a third on SMS) write 300 genuine messages
(quick: 90) at 6 a second, hostile bodies go to every webhook: 20 MB bodies signed and unsigned,
with a Content-Length that lies (too small, too large, unreadable) and chunked with none; 20 such
uploads at once; JSON nested 100,000 deep; bytes that are not UTF-8, half a surrogate pair, a NUL;
an id longer than its column, a date past the platform's clock. And what people really type, from
people on the roster: control characters, mixed-direction text, emoji, combining marks.

Held when no answer is a 5xx, nothing genuine is lost, nothing stored is garbage (every inbox row is
a genuine message or a typed one, its text exactly as sent) and the web process's peak RSS (VmHWM)
stays under its RSS before the hostile load + 100 MB."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from bench.faults.harness import (
    PUBLIC,
    SECRET,
    SMS_FROM,
    TELEGRAM_HEADERS,
    TG_BASE,
    Product,
    deliver_all,
    genuine_messages,
    roster_csv,
    tally,
    telegram_update,
)
from bench.faults.tally import Result
from tests.fakes.twilio_api import AUTH_TOKEN
from tests.fakes.twilio_signing import SIGNATURE_HEADER, form_body, sign

RATE = 6.0
BIG = 20 << 20
RSS_BOUND_MB = 100
SURPRISES: list[str] = []  # the hostile requests not answered as expected, for the notes
HOOKS = ("/webhooks/telegram", "/webhooks/twilio/sms", "/webhooks/twilio/whatsapp", "/webhooks/twilio/status")
TYPED = [
    "أنجزنا 3 من 5 إجراءات",
    "\u202eevil\u202c \u2066ABC\u2069 \u2067عربى\u2069",
    "👩🏽\u200d⚖️ 🇰🇪 ✅ e\u0301 \u0915\u094d\u0937 Z\u0351\u0352",
    "\t\r\n\x0b\x0c\x1b[31m\x7f\x85\ufeff\u2028",
]


def _credential(path: str, signed: bool) -> dict[str, str]:
    """The Telegram secret, or a Twilio signature header (its value is checked only once the body
    is read: a 20 MB body is refused before that)."""
    if not signed:
        return {}
    return {"X-Telegram-Bot-Api-Secret-Token": SECRET} if path.endswith("telegram") else {SIGNATURE_HEADER: "x" * 28}


def _vm(pid: int, field: str) -> float:
    """VmRSS or VmHWM of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _chunks(total: int, block: bytes):
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


async def _raw(port: int, head: str, body: bytes, answers: Counter, allowed: tuple[int, ...]) -> None:
    """One request written by hand (a Content-Length that lies): its status, or how it ended (the
    server may close while the 20 MB are still being written)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head.encode())
        try:
            for i in range(0, len(body), 1 << 20):
                writer.write(body[i : i + (1 << 20)])
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        line = await asyncio.wait_for(reader.readline(), 30)
        status: int | str = int(line.split()[1]) if line.startswith(b"HTTP/") else "closed"
        writer.close()
    except (ConnectionError, OSError, TimeoutError, IndexError, ValueError) as exc:
        status = type(exc).__name__
    answers[status] += 1
    if isinstance(status, int) and status not in allowed:
        answers["unexpected"] += 1
        SURPRISES.append(f"{head.splitlines()[0]} {head.splitlines()[2]}: {status}")


async def _post(client: httpx.AsyncClient, path: str, answers: Counter, allowed: tuple[int, ...], **kw) -> int | None:
    """A status outside `allowed` is counted as unexpected; so is a cut connection, unless the
    body is one the server may refuse before reading it all (`cut_ok`)."""
    cut_ok = kw.pop("cut_ok", False)
    try:
        r = await client.post(path, **kw)
    except httpx.HTTPError as exc:  # the server refused early and closed while we were still sending
        answers[type(exc).__name__] += 1
        if not cut_ok:
            answers["unexpected"] += 1
            SURPRISES.append(f"POST {path}: {type(exc).__name__}")
        return None
    answers[r.status_code] += 1
    if r.status_code not in allowed:
        answers["unexpected"] += 1
        SURPRISES.append(f"POST {path}: {r.status_code} {r.text[:80]}")
    return r.status_code


def _signed_sms(path: str, pairs: list[tuple[str, str]]) -> tuple[bytes, dict[str, str]]:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        SIGNATURE_HEADER: sign(AUTH_TOKEN, PUBLIC + path, pairs),
    }
    return form_body(pairs), headers


async def hostile(port: int, answers: Counter, typed: dict[str, str], people: int, sms_people: int) -> None:
    big, block = b"a" * BIG, b"{" * (1 << 20)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:
        for path in HOOKS:  # 20 MB, with and without the credential, declared and chunked
            for signed in (True, False):
                refused = (413,) if signed else (403,)
                for content in (big, _chunks(BIG, block)):
                    await _post(
                        client, path, answers, refused, content=content, headers=_credential(path, signed), cut_ok=True
                    )
            for length in ("50", str(BIG * 50), "-1", "12abc"):  # lies: too small, too large, unreadable
                head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in _credential(path, True).items()) + "\r\n"
                await _raw(port, head, big, answers, (400, 403, 413))
        # 20 at once, 20 MB each, half chunked, half declared
        tg = _credential("/webhooks/telegram", True)
        await asyncio.gather(
            *(
                _post(
                    client,
                    "/webhooks/telegram",
                    answers,
                    (413,),
                    content=_chunks(BIG, block) if i % 2 else big,
                    headers=tg,
                    cut_ok=True,
                )
                for i in range(20)
            )
        )
        # what no provider sends: deep nesting, not UTF-8, a NUL, an id or a date too large
        bad = [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 40_000 + b"1" + b"}" * 40_000]
        for raw in (b'"\xff\xfe"', b'"\xed\xa0\x80"', b'"\\ud800"', b'"1D\\u0000"'):
            bad.append(telegram_update(750000001, TG_BASE, "X").replace(b'"X"', raw))
        bad.append(telegram_update(10**200, TG_BASE, "HELP"))
        bad.append(telegram_update(750000002, TG_BASE, "HELP").replace(b'"date": ', b'"date": 1' + b"0" * 30))
        for body in bad:
            await _post(client, "/webhooks/telegram", answers, (400,), content=body, headers=TELEGRAM_HEADERS)
        for raw in ("%FF%FE", "caf%C3", "%ED%A0%80", "1D%00"):
            # signed over what a lenient reader would take from it (U+FFFD for each bad byte)
            body = f"MessageSid=SM{'e' * 32}&From=%2B254900000000&To=%2B15005550006&Body={raw}".encode()
            pairs = parse_qsl(body.decode(), keep_blank_values=True, errors="replace")
            headers = _signed_sms("/webhooks/twilio/sms", pairs)[1]
            await _post(client, "/webhooks/twilio/sms", answers, (400,), content=body, headers=headers)
        body, headers = _signed_sms(
            "/webhooks/twilio/sms", [("MessageSid", "SM" + "f" * 200), ("From", "+254900000000")]
        )
        await _post(client, "/webhooks/twilio/sms", answers, (400,), content=body, headers=headers)
        # what people really type, from people on the roster: stored exactly as typed
        for k, text in enumerate(TYPED * 3):
            if k % 2:
                sid = f"SMtyped{k:025d}"
                pairs = [("MessageSid", sid), ("From", f"+2549{k % sms_people:08d}"), ("To", SMS_FROM), ("Body", text)]
                body, headers = _signed_sms("/webhooks/twilio/sms", pairs)
                key, path = sid, "/webhooks/twilio/sms"
            else:
                key, path = str(760000000 + k), "/webhooks/telegram"
                body, headers = (
                    telegram_update(760000000 + k, TG_BASE + k % (people - sms_people), text),
                    TELEGRAM_HEADERS,
                )
            if await _post(client, path, answers, (200,), content=body, headers=headers) == 200:
                typed[key] = text


def case_hostile(services, workdir: Path, quick: bool, rng: random.Random) -> Result:
    people, total = (30, 90) if quick else (100, 300)
    sms_people = people // 3
    tg_people = people - sms_people
    product = Product(services, "hostile", workdir, workers=2)
    try:
        product.setup(roster_csv(tg_people, sms=sms_people))
        product.start()
        items = genuine_messages(rng, tg_people, sms_people, total, first_update=740000000)
        pid = product.procs["serve"].pid
        before = _vm(pid, "VmRSS")
        answers: Counter = Counter()
        typed: dict[str, str] = {}

        async def both() -> None:
            deadline = time.monotonic() + total / RATE + 120
            await asyncio.gather(
                deliver_all(product.base_url, items, concurrency=10, deadline=deadline, rate=RATE),
                hostile(product.port, answers, typed, people, sms_people),
            )

        started = time.monotonic()
        asyncio.run(both())
        posting = time.monotonic() - started
        peak = _vm(pid, "VmHWM")
        genuine = {d.key for d in items if d.acked_at is not None}
        settled = product.wait_settled(genuine | set(typed), 120, quiet=3)
        t = tally(product, items)
        t.stored -= len(typed)  # the line counts the genuine traffic; the typed texts are checked below
        rows = product.query("SELECT provider_id, text FROM inbound_message")
        garbage = [(p, x) for p, x in rows if p not in genuine and typed.get(p) != x]
        garbage += [(p, x) for p, x in rows if p in genuine and x != "HELP"]
        unexpected = answers.pop("unexpected", 0)
        errors = sum(n for s, n in answers.items() if isinstance(s, int) and s >= 500)
        errors += sum(n for d in items for s, n in d.statuses.items() if isinstance(s, int) and s >= 500)
        down = [n for n, alive in product.alive().items() if not alive]
        bounded = peak < before + RSS_BOUND_MB
        ok = (
            settled
            and not down
            and errors == 0
            and unexpected == 0
            and t.lost == 0
            and not garbage
            and bounded
            and t.acknowledged == total
            and len(typed) == len(TYPED) * 3
        )
        line = t.line(
            f"hostile bodies to {len(HOOKS)} webhooks during {total} genuine webhooks "
            f"({tg_people} Telegram + {sms_people} SMS people) at {RATE:g}/s",
            f"hostile answers {dict(sorted(answers.items(), key=str))} ({unexpected} not the expected one); 5xx {errors}; "
            f"typed texts stored as typed {sum(1 for p, x in rows if typed.get(p) == x)}/{len(TYPED) * 3}; "
            f"garbage rows {len(garbage)}; web RSS {before:.0f} MB before, peak {peak:.0f} MB "
            f"(bound {before + RSS_BOUND_MB:.0f}); posted in {posting:.1f} s",
        )
        notes = tuple(t.notes) + tuple(SURPRISES[:10]) + tuple(f"garbage: {p!r} {x[:40]!r}" for p, x in garbage[:5])
        return Result("hostile", line, ok, notes=notes)
    finally:
        product.stop()
