"""The product as it runs in production, on this machine: `nmirf serve` (uvicorn, loopback),
`nmirf worker` processes and `nmirf sweep --loop`, on real PostgreSQL and Redis, with the fake
Telegram Bot API and the fake Twilio API (tests/fakes) in this process as the providers. A load
generator (httpx, async) plays the providers' webhook calls, retrying as a provider would.

Counting (`Tally`): what the load generator tried to deliver (in), what got a 2xx (acknowledged),
the inbox rows (stored), what the fake providers accepted (sent), provider sends that no outbox
row committed as its own (duplicated: the send whose commit was lost, sent again later), and
what was acknowledged but never stored or answered, or a message the bot started that never went
out (lost). A person's wait runs from the webhook's 2xx to the fake provider's acceptance of the
reply (both on this machine's monotonic clock)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.faults.tally import Tally, tally  # noqa: F401 - the cases count through here
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioAPI
from tests.fakes.twilio_signing import SIGNATURE_HEADER, form_body, sign

ROOT = Path(__file__).resolve().parents[2]
NMIRF = [sys.executable, "-m", "backend.cli"]
TOKEN = "123456:FAULTS"
SECRET = "faults-secret_token-1"
PUBLIC = "https://bot.example.org"
SMS_FROM = "+15005550006"
TG_BASE = 810000000  # person i's Telegram user id: TG_BASE + i
RETRY_AFTER_CAP = 2.0  # the load generator honours Retry-After, capped (a provider's own retry is quicker)


def roster_csv(people: int, *, substitutes: bool = False, sms: int = 0) -> str:
    """`people` focal points on Telegram, one institution each (with `substitutes`, a rank-2 person
    too), and `sms` more on SMS."""
    head = "institution,institution_name,level,region,name,phone,telegram_user_id,channels,language,timezone,rank"
    lines = [head]
    for i in range(people):
        inst = f"I{i:04d}"
        lines.append(
            f"{inst},Institution {i},national,,Person {i},+2547{i:08d},{TG_BASE + i},telegram,en,Africa/Nairobi,1"
        )
        if substitutes:
            j = people + i
            lines.append(
                f"{inst},Institution {i},national,,Substitute {i},+2547{j:08d},{TG_BASE + j},telegram,en,Africa/Nairobi,2"
            )
    for k in range(sms):
        lines.append(f"S{k:04d},SMS institution {k},national,,SMS person {k},+2549{k:08d},,sms,en,Africa/Nairobi,1")
    return "\n".join(lines) + "\n"


def actions_csv(people: int) -> str:
    """One action per institution of `roster_csv(people)`, under a demo recommendation."""
    lines = ["code,institution,title,target_date,indicator,recommendations"]
    lines += [f"I{i:04d}-1,I{i:04d},Action of institution {i},2027-06-30,,UPR4-139.12" for i in range(people)]
    return "\n".join(lines) + "\n"


def telegram_update(update_id: int, user_id: int, text: str) -> bytes:
    chat = {"id": user_id, "first_name": "P", "type": "private"}
    message = {
        "message_id": update_id % 1000000,
        "from": {"id": user_id, "is_bot": False, "first_name": "P", "language_code": "en"},
        "chat": chat,
        "date": int(time.time()),
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


TELEGRAM_HEADERS = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}


def twilio_sms(sid: str, sender: str, body: str) -> tuple[bytes, dict[str, str]]:
    pairs = [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", sender),
        ("To", SMS_FROM),
        ("Body", body),
        ("NumMedia", "0"),
        ("ApiVersion", "2010-04-01"),
    ]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        SIGNATURE_HEADER: sign(AUTH_TOKEN, PUBLIC + "/webhooks/twilio/sms", pairs),
    }
    return form_body(pairs), headers


def genuine_messages(rng: random.Random, tg_people: int, sms_people: int, total: int, first_update: int) -> list:
    """`total` "HELP"s from the people of `roster_csv(tg_people, sms=sms_people)`, each from one
    of them at random, through the Telegram or the Twilio SMS webhook as that person's channel."""
    items = []
    for k in range(total):
        who = rng.randrange(tg_people + sms_people)
        if who < tg_people:
            body = telegram_update(first_update + k, TG_BASE + who, "HELP")
            items.append(Delivery(str(first_update + k), "/webhooks/telegram", body, TELEGRAM_HEADERS))
        else:
            sid = f"SM{k:032d}"
            body, headers = twilio_sms(sid, f"+2549{who - tg_people:08d}", "HELP")
            items.append(Delivery(sid, "/webhooks/twilio/sms", body, headers))
    return items


@dataclass
class Delivery:
    """One webhook call the load generator makes until it is acknowledged (or gives up)."""

    key: str  # the provider id (Telegram update_id, Twilio MessageSid)
    path: str
    body: bytes
    headers: dict[str, str]
    statuses: Counter = field(default_factory=Counter)
    acked_at: float | None = None
    tries: int = 0


async def deliver(client: httpx.AsyncClient, d: Delivery, deadline: float) -> None:
    """Post until a 2xx, as a provider does: a 503's Retry-After honoured (capped), other 5xx and
    connection failures retried after a short pause; a 4xx is final."""
    pause = 0.2
    while time.monotonic() < deadline:
        d.tries += 1
        try:
            r = await client.post(d.path, content=d.body, headers=d.headers)
        except httpx.HTTPError as exc:
            d.statuses[type(exc).__name__] += 1
            await asyncio.sleep(pause)
            pause = min(2 * pause, RETRY_AFTER_CAP)
            continue
        d.statuses[r.status_code] += 1
        if 200 <= r.status_code < 300:
            d.acked_at = time.monotonic()
            return
        if r.status_code < 500:
            return
        wait = pause
        if r.status_code == 503 and r.headers.get("retry-after", "").isdigit():
            wait = min(float(r.headers["retry-after"]), RETRY_AFTER_CAP)
        await asyncio.sleep(wait)
        pause = min(2 * pause, RETRY_AFTER_CAP)


async def deliver_all(base_url: str, items: list[Delivery], *, concurrency: int, deadline: float, rate: float = 0):
    """Deliver every item, `concurrency` at a time; with `rate`, start at most `rate` a second."""
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0, limits=limits) as client:

        async def one(d: Delivery, start: float) -> None:
            if start > 0:
                await asyncio.sleep(start)
            async with sem:
                await deliver(client, d, deadline)

        await asyncio.gather(*(one(d, i / rate if rate else 0) for i, d in enumerate(items)))


class Product:
    """The running processes of one case, on their own database (and a flushed Redis)."""

    def __init__(self, services, name: str, workdir: Path, *, workers: int = 2, **settings: str):
        self.services, self.name, self.workdir = services, name, workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.telegram = FakeTelegramAPI(TOKEN)
        self.twilio = FakeTwilioAPI()
        self.n_workers = workers
        self.settings = settings
        self.procs: dict[str, subprocess.Popen] = {}
        self.restarts: Counter = Counter()
        self.port = 0
        self.database_url = ""

    # ---------------------------------------------------------------- set-up
    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "REDIS_", "TELEGRAM_", "TWILIO_", "SIMULATOR_", "SCHEDULER_"))
        }
        env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_URL=self.database_url,
            REDIS_URL=self.services.redis_url,
            PUBLIC_BASE_URL=PUBLIC,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_API_BASE_URL=self.telegram.base_url,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_API_BASE_URL=self.twilio.base_url,
            TWILIO_SMS_FROM=SMS_FROM,
            SCHEDULER_ENABLED="false",
            QUIET_HOURS="",
            SWEEP_INTERVAL_SECONDS="2",
            STALE_AFTER_SECONDS="2",
        )
        env.update({k.upper(): str(v) for k, v in self.settings.items()})
        return env

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
        done = subprocess.run(
            [*NMIRF, *args], cwd=ROOT, env=env or self.env(), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"nmirf {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def setup(self, roster: str, actions: str | None = None) -> None:
        import redis

        self.telegram.start()
        self.twilio.start()
        self.database_url = self.services.create_database(f"nmirf_faults_{self.name}")
        client = redis.Redis.from_url(self.services.redis_url)
        client.flushdb()
        client.close()
        self.cli("db", "upgrade")
        path = self.workdir / "roster.csv"
        path.write_text(roster)
        self.cli("import", "roster", str(path))
        if actions:
            self.cli("import", "recommendations", str(ROOT / "deploy" / "demo" / "recommendations.csv"))
            (self.workdir / "actions.csv").write_text(actions)
            self.cli("import", "actions", str(self.workdir / "actions.csv"))

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.workdir / f"{name}.log", "a")
        self.procs[name] = subprocess.Popen(
            [*NMIRF, *args],
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def start(self, *, serve: bool = True, sweep: bool = True) -> None:
        from bench.faults.services import free_port

        if serve:
            self.port = free_port(18400)
            self._spawn("serve", "serve", "--host", "127.0.0.1", "--port", str(self.port))
        for i in range(self.n_workers):
            self._spawn(f"worker{i}", "worker")
        if sweep:
            self._spawn("sweep", "sweep", "--loop")
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        import redis

        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.services.redis_url)
        try:
            while time.monotonic() < deadline:
                dead = [n for n, p in self.procs.items() if p.poll() is not None]
                if dead:
                    raise RuntimeError(f"{dead} exited at start: {self.log_tail(dead[0])}")
                ok = len(client.smembers("rq:workers")) >= self.n_workers
                if ok and "serve" in self.procs:
                    try:
                        ok = httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                if ok:
                    return
                time.sleep(0.2)
        finally:
            client.close()
        raise RuntimeError("the product did not become ready")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, name: str, n: int = 3000) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace")[-n:] if path.exists() else ""

    # ---------------------------------------------------------------- faults
    def kill_worker(self, i: int) -> None:
        proc = self.procs[f"worker{i}"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def restart_worker(self, i: int) -> None:
        self.restarts[f"worker{i}"] += 1
        self._spawn(f"worker{i}", "worker")

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.procs.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.telegram.stop()
        self.twilio.stop()

    # ---------------------------------------------------------------- the record
    def query(self, sql: str, *params: Any) -> list[tuple]:
        url = self.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def provider_sends(self) -> list[tuple[str, str, float]]:
        """(provider id, address, when) of every message the fake providers accepted."""
        tg = [(str(m["message_id"]), m["chat_id"], m["at"]) for m in self.telegram.sent]
        sms = [(m["sid"], m["to"], m["at"]) for m in self.twilio.messages]
        return tg + sms

    def settled(self, acked: set[str]) -> bool:
        """Every acknowledged delivery stored and handled, every outbox row finished."""
        rows = self.query("SELECT provider_id, status FROM inbound_message")
        done = {pid for pid, status in rows if status != "new"}
        if not acked <= done:
            return False
        return not self.query("SELECT 1 FROM outbound_message WHERE status IN ('queued', 'sending') LIMIT 1")

    def wait_settled(self, acked: set[str], timeout: float, *, quiet: float = 0.0) -> bool:
        """Until settled (then `quiet` seconds more, for a late duplicate to show), or `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.settled(acked):
                    time.sleep(min(quiet, max(0.0, deadline - time.monotonic())))
                    return True
            except psycopg.OperationalError:
                pass
            time.sleep(0.25)
        return False


def jitter(rng: random.Random, low: float, high: float) -> float:
    return rng.uniform(low, high)
