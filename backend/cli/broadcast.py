"""`nmirf broadcast --to GROUP --text-en "..." [--text-fr "..."] [--file texts.json] [--yes]`:
the secretariat's message to a group, previewed (languages, channels, SMS segments and cost, who
cannot be reached) and sent only once confirmed."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from backend.broadcast import service
from backend.broadcast.groups import HELP, BroadcastError
from backend.cli.common import finish_jobs, make_ctx
from backend.db import aware
from backend.wiring.context import Context
from conversations.i18n import available_languages


def read_texts(args) -> dict[str, str]:
    """The texts of --file (a JSON object, language -> text), then of each --text-<lang>."""
    texts: dict[str, str] = {}
    if args.file:
        try:
            data = json.loads(Path(args.file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SystemExit(f"--file {args.file}: {exc.strerror or exc}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise SystemExit(f"--file {args.file}: not JSON ({exc})") from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise SystemExit(
                f'--file {args.file}: expected an object of texts by language, e.g. {{"en": "...", "fr": "..."}}'
            )
        texts.update(data)
    for language in available_languages():
        value = getattr(args, f"text_{language}", None)
        if value is not None:
            texts[language] = value
    return texts


def _count(counter) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"


def _n(n: int, word: str) -> str:
    if word == "person":
        return f"{n} {'person' if n == 1 else 'people'}"
    return f"{n} {word}{'' if n == 1 else 's'}"


def _money(amount, currency: str) -> str:
    return f"{amount} {currency}".strip()


def render(p: service.Preview) -> list[str]:
    """The preview as printed, one line each."""
    people = len(p.to_send)
    out = [f"Broadcast to {p.group}: {_n(len(p.recipients), 'person')} in the group, {people} to send to"]
    if p.earlier is not None:
        out.append(
            f"  same group and texts as broadcast {p.earlier.id} ({aware(p.earlier.created_at):%Y-%m-%d %H:%M %Z}, "
            f"by {p.earlier.created_by}): the {len(p.already)} it reached get nothing again "
            "(--again sends a new broadcast to everyone)"
        )
    if p.later:
        first = min(aware(r.later) for r in p.later if r.later is not None)
        out.append(
            f"  {_n(len(p.later), 'person')} in their quiet hours ({p.quiet_hours}, their local time) "
            f"will get it later, at their end (the first at {first:%Y-%m-%d %H:%M %Z})"
        )
    out.append(f"  by language: {_count(p.by_language())}")
    out.append(f"  by channel (first usable): {_count(p.by_channel())}")
    out.append("Texts:")
    for line in p.lines:
        sms = f"; {line.by_sms} by SMS, {_n(line.sms_segments, 'segment')}" if line.by_sms else ""
        out.append(
            f"  {line.language}: {_n(line.characters, 'character')}, {line.encoding}, "
            f"{_n(line.segments, 'segment')} by SMS; {_n(line.readers, 'reader')}{sms}"
        )
        for language, n in sorted(line.instead_of.items()):
            out.append(f"      {n} reading {language} get the {line.language} text (no {language} text)")
    total = f"SMS: {_n(p.segments, 'segment')} in all"
    if p.cost is not None and p.price is not None:
        total += f", {_money(*p.cost)} at {_money(*p.price)} each"
    out.append(total + " (for those whose first channel is SMS; a fail-over to SMS adds to it)")
    if p.unreachable:
        out.append(f"Cannot be reached ({len(p.unreachable)}):")
        for r in p.unreachable:
            who = " ".join(
                x for x in (r.name, f"({', '.join(r.institutions)})" if r.institutions else "", r.phone) if x
            )
            out.append(f"  {who}: {r.why_not}")
    else:
        out.append("Everyone in the group can be reached.")
    return out


def confirm(people: int) -> bool | None:
    """The answer typed on the terminal (None: no terminal to ask on)."""
    if not sys.stdin or not sys.stdin.isatty():
        return None
    try:
        answer = input(f"Send to {_n(people, 'person')}? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_broadcast(args) -> int:
    texts = read_texts(args)
    ctx = make_ctx()
    now = datetime.now(UTC)
    day = now.astimezone(ZoneInfo(ctx.settings.default_timezone)).date()
    options = dict(group=args.to, texts=texts, day=day, settings=ctx.settings, again=args.again)
    try:
        with ctx.db.transaction() as session:
            plan = service.preview(session, now=now, configured=ctx.configured, **options)
    except BroadcastError as exc:
        print(f"not sent: {exc}", file=sys.stderr)
        return 1
    print("\n".join(render(plan)))
    people = len(plan.to_send)
    if not people:
        print("nothing to send", file=sys.stderr)
        return 1
    if not args.yes:
        answer = confirm(people)
        if answer is None:
            print("not sent: no terminal to confirm on; run it again with --yes to send", file=sys.stderr)
            return 1
        if not answer:
            print("nothing sent")
            return 0
    return _send(ctx, args, options, plan)


def _send(ctx: Context, args, options: dict, plan: service.Preview) -> int:
    ctx.dispatcher.start()  # without Redis the sends run here (paced): wait for them below
    try:
        with ctx.work() as work:
            sent = service.send(
                work.session,
                now=datetime.now(UTC),
                configured=ctx.configured,
                created_by=args.by or _os_user(),
                **options,
            )
            for row in sent.queued:
                work.send(row)
            broadcast_id, queued, held = sent.broadcast.id, len(sent.queued), len(sent.held)
            channels = sorted({row.channel for row in sent.queued})
    except BroadcastError as exc:
        print(f"not sent: {exc}", file=sys.stderr)
        return 1
    print(f"broadcast {broadcast_id}: {queued + held} message(s) queued")
    if held:
        print(f"  {held} held until the end of their quiet hours: the sweep (`nmirf serve`, `nmirf sweep`) sends them")
    for name, why in sent.skipped:
        print(f"  not sent to {name}: {why}")
    if not ctx.settings.redis_url and queued:
        print(f"sending on {', '.join(channels)} at the configured rates; `nmirf messages list` shows each")
        finish_jobs(ctx, timeout=_seconds(ctx, plan) * 1.5 + 30)
    return 0


def _seconds(ctx: Context, plan: service.Preview) -> float:
    """About how long the paced sends take, one after another (SMS counted in segments)."""
    settings = ctx.settings
    rates = {"telegram": settings.telegram_rate, "sms": settings.sms_rate, "whatsapp": settings.whatsapp_rate}
    return sum((r.segments or 1) / rates[str(r.channel)] for r in plan.to_send if r.channel in rates)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


def register(sub) -> None:
    b = sub.add_parser(
        "broadcast",
        help="a message to a group, previewed and confirmed before it is sent",
        description="Send one message (a text per language) to a group. A preview comes first: "
        "recipients by language and channel, SMS segments and cost, who cannot be reached; "
        "then it asks to confirm.",
    )
    b.add_argument("--to", required=True, metavar="GROUP", help=HELP)
    for language in available_languages():
        b.add_argument(f"--text-{language}", metavar="TEXT", help=f"the text for people reading {language}")
    b.add_argument("--file", help='texts by language as JSON: {"en": "...", "fr": "..."} (--text-<lang> wins)')
    b.add_argument("--yes", action="store_true", help="send without asking (the preview is still printed)")
    b.add_argument("--again", action="store_true", help="send once more what was sent to this group before")
    b.add_argument("--by", metavar="NAME", help="who sends it, as recorded (default: the OS user)")
    b.set_defaults(func=cmd_broadcast)
