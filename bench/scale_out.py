"""Scale-out on one machine: two web processes, three workers and the sweep (which is the
scheduler) on real PostgreSQL and Redis, under inbound replies and a broadcast at once.

    .venv/bin/python bench/scale_out.py [--quick] [--json FILE]      (or: python -m bench.scale_out)

PostgreSQL and Redis are started on free loopback ports (bench/faults/services.py); the fake
Telegram Bot API and Twilio API run in this process (bench/faults/harness.py `Product`). Started:
`nmirf serve` twice (two ports; the load generator takes them in turn, as a proxy's round robin
would), `nmirf worker` three times, one `nmirf sweep --loop` with SCHEDULER_ENABLED=true (in
production the sweep *is* the scheduler: deploy/compose.yaml, deploy/systemd/nmirf-sweep.service;
each worker also runs RQ's own scheduler for delayed jobs). A roster of 2,000 (quick: 600), 70%
on Telegram and 30% on SMS, one action per institution. 300 people (quick: 100) first get this
week's prompt; then, at one moment, `nmirf broadcast --to focal-points --yes` starts and those
people answer through the signed webhooks at 20 msg/s for 60 s (quick: 10 msg/s for 40 s).

Measured: webhook acknowledgements per second and their latency; reply latency (webhook 2xx ->
the fake provider accepting the answer); broadcast throughput per channel against its limit and
the busiest 1-s window of all sends per channel (at most limit + 1: pacing shared by the three
workers through Redis); sent / duplicated / lost (harness.tally); peak RSS (VmHWM) per process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.faults.harness import Product, roster_csv, tally  # noqa: E402
from bench.faults.services import Services, free_port  # noqa: E402
from bench.scale_out_measure import (  # noqa: E402
    QueueSampler,
    Replier,
    channel_figures,
    cpu_seconds,
    drive,
    inbound_figures,
    inbound_plan,
    peak_rss_mb,
    reply_figures,
    rq_jobs_per_worker,
)

FULL = dict(people=2000, repliers=300, rate=20.0, limit=600)
QUICK = dict(people=600, repliers=100, rate=10.0, limit=240)
SMS_SHARE = 0.3
TELEGRAM_RATE, SMS_RATE = 30.0, 20.0  # TELEGRAM_RATE is the product's default; SMS_RATE's (1/s) is one long code
TEXT = "NMIRF notice: the cluster review of 12 December is moved to 10:00, room 2. No reply needed."
PROMPT = """
import sys
from datetime import UTC, datetime, timedelta
from sqlalchemy import select
from backend.cli.common import make_ctx
from backend.roster.models import Person
from backend.sessions.prompts import send_weekly
ctx, now, n = make_ctx(), datetime.now(UTC), 0
with ctx.work() as work:
    for person in work.session.scalars(select(Person).where(Person.phone.in_(sys.argv[1:]))):
        timeout = timedelta(hours=ctx.settings.session_timeout_hours)
        report = send_weekly(work.session, now=now, timeout=timeout, settings=ctx.settings,
                             configured=ctx.configured, person=person)
        for row in report["queued"]:
            work.send(row)
            n += 1
print(n)
"""


class Overrun(Exception):
    pass


def actions_for(n_tg: int, n_sms: int) -> str:
    lines = ["code,institution,title,target_date,indicator,recommendations"]
    insts = [f"I{i:04d}" for i in range(n_tg)] + [f"S{k:04d}" for k in range(n_sms)]
    lines += [f"{x}-1,{x},Draft the bill of institution {x},2027-06-30,,UPR4-139.12" for x in insts]
    return "\n".join(lines) + "\n"


def not_due_schedule() -> str:
    """A weekly schedule three days from now: the scheduler runs its passes over the whole roster
    but opens no round during the run, whatever day it is run on."""
    day = datetime.now(ZoneInfo("Africa/Nairobi")) + timedelta(days=3)
    return f"weekly {day.strftime('%a').lower()} 09:00"


def settings() -> dict[str, str]:
    return {
        "SCHEDULER_ENABLED": "true",
        "REPORTING_SCHEDULE": not_due_schedule(),
        "QUIET_HOURS": "",  # the run may be at night in Nairobi: nothing held back
        "TELEGRAM_RATE": f"{TELEGRAM_RATE:g}",
        "TELEGRAM_CHAT_RATE": "1",
        "SMS_RATE": f"{SMS_RATE:g}",
        "SWEEP_INTERVAL_SECONDS": "30",  # the product's defaults (the harness sets 2 and 2)
        "STALE_AFTER_SECONDS": "20",
    }


def wait_ready(urls: list[str], product: Product, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [n for n, p in product.procs.items() if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{dead} exited at start: {product.log_tail(dead[0])}")
        try:
            if all(httpx.get(u + "/readyz", timeout=1).status_code == 200 for u in urls):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the web processes did not become ready")


def prompt_repliers(product: Product, repliers: list[Replier]) -> int:
    phones = [f"+2547{r.index:08d}" if r.channel == "telegram" else r.address for r in repliers]
    done = subprocess.run(
        [sys.executable, "-c", PROMPT, *phones], cwd=ROOT, env=product.env(), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"prompting failed: {done.stderr[-2000:]}")
    return int(done.stdout.split()[-1])


def run(quick: bool, workdir: Path) -> dict:
    size = QUICK if quick else FULL
    people, n_rep, rate = int(size["people"]), int(size["repliers"]), float(size["rate"])
    n_sms = int(people * SMS_SHARE)
    n_tg = people - n_sms
    rep_sms = int(n_rep * SMS_SHARE)
    repliers = [Replier("telegram", i) for i in range(n_rep - rep_sms)] + [Replier("sms", k) for k in range(rep_sms)]
    figures: dict = {"people": people, "people_telegram": n_tg, "people_sms": n_sms, "repliers": n_rep}
    figures.update({k.lower(): v for k, v in settings().items()})
    marks: dict[str, float] = {}
    t_begin = time.monotonic()
    with Services() as services:
        product = Product(services, "scaleout", workdir, workers=3, **settings())
        try:
            product.setup(roster_csv(n_tg, sms=n_sms), actions_for(n_tg, n_sms))
            marks["setup"] = time.monotonic() - t_begin
            ports = [free_port(18500), free_port(18600)]
            for i, port in enumerate(ports):
                product._spawn(f"web{i + 1}", "serve", "--host", "127.0.0.1", "--port", str(port))
            product.start(serve=False, sweep=True)  # three workers and the sweep; waits for the workers
            bases = [f"http://127.0.0.1:{p}" for p in ports]
            wait_ready(bases, product)
            prompts = prompt_repliers(product, repliers)
            if not product.wait_settled(set(), 180):
                raise RuntimeError("the prompts were not all sent")
            figures["prompts_sent_before"] = prompts
            marks["warm"] = time.monotonic() - t_begin
            print(f"# ready: {people} people, {prompts} prompts sent; load starts", flush=True)

            plan = inbound_plan(repliers)
            broadcast: dict = {}

            def start_broadcast() -> None:
                t, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
                out = product.cli("broadcast", "--to", "focal-points", "--text-en", TEXT, "--yes", "--by", "bench")
                broadcast.update(out=out, cli_seconds=time.monotonic() - t, cli_end=time.monotonic() - t0)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                broadcast["cli_cpu"] = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime

            t0 = time.monotonic() + 0.5
            sampler = QueueSampler(services.redis_url, t0, product.query)
            sampler.start()
            thread = threading.Thread(target=lambda: (time.sleep(0.5), start_broadcast()), daemon=True)
            thread.start()
            drive(bases, plan, rate, t0, deadline=t0 + len(plan) / rate + 120)
            marks["inbound_done"] = time.monotonic() - t0
            thread.join(120)
            acked = {s.delivery.key for s in plan if s.delivery.acked_at is not None}
            settled = product.wait_settled(acked, 400 if not quick else 200, quiet=3)
            marks["settled"] = time.monotonic() - t0
            sampler.stop.set()
            figures.update(sampler.figures())
            figures["settled"] = settled
            figures["broadcast_cli_seconds"] = round(broadcast.get("cli_seconds", float("nan")), 1)
            figures["broadcast_cli_cpu_s"] = round(broadcast.get("cli_cpu", float("nan")), 1)
            figures["broadcast_cli_done_at_s"] = round(broadcast.get("cli_end", float("nan")), 1)
            figures.update(inbound_figures(plan, rate))
            figures.update(reply_figures(product, plan, t0))
            figures.update(channel_figures(product, {"telegram": TELEGRAM_RATE, "sms": SMS_RATE}, t0))
            t = tally(product, [s.delivery for s in plan])
            figures.update(sent=t.sent, duplicated=t.duplicated, lost=t.lost, lost_notes=t.notes)
            figures["all_processes_alive"] = all(product.alive().values())
            figures["jobs_per_worker"] = rq_jobs_per_worker(services.redis_url)
            figures["cpu_s"] = {name: cpu_seconds(proc.pid) for name, proc in product.procs.items()}
            figures["cpu_s"]["bench"] = cpu_seconds(os.getpid())
            rss: dict = {}
            for name, proc in product.procs.items():
                for who, mb in peak_rss_mb(proc.pid).items():
                    rss[name if who == "self" else f"{name}:{who}"] = mb
            if services._redis is not None:
                rss["redis-server"] = peak_rss_mb(services._redis.pid, children=False)["self"]
            rss["bench"] = peak_rss_mb(os.getpid(), children=False)["self"]  # the fakes and the load generator
            figures["peak_rss_mb"] = rss
        finally:
            product.stop()
    figures["seconds"] = {k: round(v, 1) for k, v in marks.items()} | {"total": round(time.monotonic() - t_begin, 1)}
    return figures


def report(f: dict, quick: bool) -> None:
    print(f"\n## scale-out {'(quick) ' if quick else ''}{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"{f['people']} people ({f['people_telegram']} Telegram, {f['people_sms']} SMS), {f['repliers']} answering")
    print(
        f"inbound: {f['inbound_offered']} messages offered at {f['inbound_offered_per_s']:g}/s over 2 web processes "
        f"{f['inbound_by_web']}; acknowledged {f['inbound_acked']} at {f['inbound_acked_per_s']}/s; "
        f"retries {f['inbound_retries']}; statuses {f['inbound_statuses']}"
    )
    print(f"webhook ack latency: p50 {f['ack_p50_ms']} ms, p99 {f['ack_p99_ms']} ms, max {f['ack_max_ms']} ms")
    print(f"{'reply latency':14} {'n':>5} {'p50 s':>7} {'p99 s':>7} {'max s':>7}")
    for ch in ("all", "telegram", "sms"):
        print(
            f"{ch:14} {f[f'reply_{ch}_n']:5d} {f[f'reply_{ch}_p50_s']:7.2f} {f[f'reply_{ch}_p99_s']:7.2f} "
            f"{f[f'reply_{ch}_max_s']:7.2f}"
        )
    print(
        f"of which handling (received -> processed) p50 {f['reply_handling_p50_s']} s, p99 "
        f"{f['reply_handling_p99_s']} s; sending (processed -> sent) p50 {f['reply_sending_p50_s']} s, p99 "
        f"{f['reply_sending_p99_s']} s"
    )
    print(
        "reply p50/p99 by 10 s of load: " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in f["reply_p50_p99_by_10s"].items())
    )
    print(f"unanswered {f['reply_unanswered']}; most answers to one message {f['replies_per_message_max']}")
    print(f"{'channel':9} {'limit/s':>7} {'bcast sent':>10} {'bcast/s':>8} {'all/s':>6} {'busiest 1s':>10} {'held':>5}")
    for ch in ("telegram", "sms"):
        print(
            f"{ch:9} {f[f'{ch}_rate_limit']:7g} {f[f'{ch}_broadcast_sent']:10d} {f[f'{ch}_broadcast_per_s']:8.2f} "
            f"{f[f'{ch}_all_units_per_s_during_broadcast']:6.2f} {f[f'{ch}_busiest_1s_units']:10g} "
            f"{'yes' if f[f'{ch}_pacing_held'] else 'NO':>5}"
        )
    for ch in ("telegram", "sms"):
        print(
            f"{ch}: busiest 5 s {f[f'{ch}_busiest_5s_units']:g} (bound {5 * f[f'{ch}_rate_limit'] + 1:g}); 1-s windows "
            f"over limit + 1: {f[f'{ch}_windows_over']} (their broadcast sends {f[f'{ch}_over_bulk_sends']}, "
            f"sends to a chat served <1 s before {f[f'{ch}_over_chat_waited']})"
        )
    print(
        f"broadcast rows {f['broadcast_rows']} (unsent {f['broadcast_rows_unsent']}), CLI took "
        f"{f['broadcast_cli_seconds']} s ({f['broadcast_cli_cpu_s']} s CPU; done {f['broadcast_cli_done_at_s']} s into the load); sent over "
        f"{f['telegram_broadcast_from_to_s']} s (telegram), {f['sms_broadcast_from_to_s']} s (sms); reached twice: telegram {f['telegram_broadcast_twice']}, "
        f"sms {f['sms_broadcast_twice']}"
    )
    print(f"sent {f['sent']} / duplicated {f['duplicated']} / lost {f['lost']}; settled {f['settled']}")
    for note in f["lost_notes"]:
        print(f"    {note}")
    print(f"jobs per worker: {f['jobs_per_worker']}; all processes alive: {f['all_processes_alive']}")
    print("peak RSS (VmHWM, MB): " + ", ".join(f"{k} {v}" for k, v in f["peak_rss_mb"].items()))
    print("CPU seconds: " + ", ".join(f"{k} {v}" for k, v in f["cpu_s"].items()))
    print(
        "deepest queues [jobs, at s]: "
        + ", ".join(f"{k[6:-4]} {v}" for k, v in sorted(f.items()) if k.startswith("queue_") and k.endswith("_max"))
    )
    print(
        f"database sessions waiting on a lock: at most {f['lock_waiters_max'][0]} (at {f['lock_waiters_max'][1]} s: "
        f"{f['lock_waiters_max'][2]!r}); seconds with any waiting {f['lock_wait_seconds']}"
    )
    print(f"seconds: {f['seconds']}")


def runner_rows(f: dict) -> dict:
    rows = [
        ("webhook acks, 2 web processes", f["inbound_acked_per_s"], "msg/s"),
        ("webhook ack p99", f["ack_p99_ms"], "ms"),
        ("reply latency p50", f["reply_all_p50_s"], "s"),
        ("reply latency p99", f["reply_all_p99_s"], "s"),
        (f"telegram broadcast (limit {f['telegram_rate_limit']:g}/s)", f["telegram_broadcast_per_s"], "msg/s"),
        (f"sms broadcast (limit {f['sms_rate_limit']:g}/s)", f["sms_broadcast_per_s"], "msg/s"),
        ("telegram busiest 1 s", f["telegram_busiest_1s_units"], "msg"),
        ("sms busiest 1 s", f["sms_busiest_1s_units"], "segments"),
        ("duplicated / lost", f"{f['duplicated']} / {f['lost']}", ""),
    ]
    rss = f["peak_rss_mb"]
    web = max((v for k, v in rss.items() if k.startswith("web") and v), default=None)
    worker = max((v for k, v in rss.items() if k.startswith("worker") and ":" not in k and v), default=None)
    return {
        "rows": [{"what": w, "figure": x, "unit": u} for w, x, u in rows],
        "peak_rss_mb": {"web": web, "worker": worker, "sweep": rss.get("sweep")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 people, 100 answering at 10 msg/s (under 2 min)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON: {name, figures}")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs (printed path)")
    args = parser.parse_args(argv)
    limit = int((QUICK if args.quick else FULL)["limit"])
    workdir = Path(tempfile.mkdtemp(prefix="nmirf-scale-out-"))

    def overrun(signum, frame):
        raise Overrun(f"over the hard limit of {limit} s")

    signal.signal(signal.SIGALRM, overrun)
    signal.alarm(limit)
    load = os.getloadavg()[0]
    try:
        figures = run(args.quick, workdir)
    finally:
        signal.alarm(0)
        if args.keep:
            print(f"# logs in {workdir}")
        else:
            subprocess.run(["rm", "-rf", str(workdir)], check=False)
    figures["machine"] = (
        f"{os.cpu_count()} cores (shared), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average {load:.2f} at the start"
    )
    report(figures, args.quick)
    ok = figures["settled"] and figures["lost"] == 0 and figures["duplicated"] == 0
    ok = ok and figures["telegram_pacing_held"] and figures["sms_pacing_held"]
    if args.json:
        summary = {"name": "scale_out" + ("_quick" if args.quick else ""), "ok": ok, "figures": figures}
        summary.update(runner_rows(figures))  # also the shape bench/common.py describes (rows, peak_rss_mb)
        Path(args.json).write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
