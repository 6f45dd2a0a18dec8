"""The broadcast composer: step 1 picks a group and writes a text per language; step 2 shows the
broadcast service's own preview (recipients by language and channel, each text's SMS segments,
encoding and cost, who cannot be reached and why, who gets it after their quiet hours) with a
confirmation form; the send recomputes all of it on the server, sends through the service and
shows the broadcast's delivery state. A confirmation carries a one-time token, written to the
`broadcast_sent` audit entry with the send: the same form posted twice sends once."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from backend.accounts import audit
from backend.accounts.sessions import SignedIn
from backend.admin.guard import CHANGE, changer, csrf, reader
from backend.admin.i18n import Text, _
from backend.admin.web import client_of, render
from backend.broadcast import service
from backend.broadcast.groups import NAMED, SIMPLE, BroadcastError
from backend.deps import context
from backend.reports import broadcasts
from backend.wiring.context import Context
from conversations.budget import sms_text
from conversations.i18n import available_languages, locale_of

router = APIRouter(prefix="/admin")

GROUPS = (  # (kind, label), in the form's order
    ("leads", _("All leads (today's lead of every institution)")),
    ("focal-points", _("All focal points")),
    ("region", _("Local authorities of a region")),
    ("cluster", _("Institutions of a cluster")),
    ("institution", _("One institution's roster")),
    ("secretariat", _("The secretariat")),
    ("observers", _("Observers")),
)
PARAMETER = {"region": _("a region"), "cluster": _("a cluster"), "institution": _("an institution")}


async def form_of(request: Request) -> FormData:
    return await request.form()  # parsed once per request (the CSRF check reads it too)


def group_label(name: str) -> str:
    """ "Local authorities of a region: Kisumu" for "region:Kisumu"."""
    kind, _sep, value = name.partition(":")
    label = dict(GROUPS).get(kind, kind)
    return _("{group}: {value}", group=label, value=value) if value else label


def language_name(code: str) -> str:
    """ "French (français)": the language in English, then in itself."""
    locale = locale_of(code)
    if locale is None:
        return code
    english, own = locale.get_display_name("en") or code, locale.get_display_name() or ""
    return english if own in ("", english) else f"{english} ({own})"


@dataclass(frozen=True)
class Inputs:
    """What the composer's forms carry, as typed."""

    kind: str = ""
    region: str = ""
    cluster: str = ""
    institution: str = ""
    texts: tuple[tuple[str, str], ...] = ()  # (language, text), the offered languages in order
    again: bool = False

    @property
    def given(self) -> dict[str, str]:
        return dict(self.texts)

    def group(self, default_language: str) -> str:
        """The group's name for the service; BroadcastError saying what to fill in."""
        if self.kind not in SIMPLE + NAMED:
            raise BroadcastError(_("Pick a group to send to."))
        value = ""
        if self.kind in NAMED:
            value = {"region": self.region, "cluster": self.cluster, "institution": self.institution}[self.kind]
            if not value.strip():
                raise BroadcastError(
                    _(
                        "Pick {what} for the group \u201c{group}\u201d.",
                        what=PARAMETER[self.kind],
                        group=dict(GROUPS)[self.kind],
                    )
                )
        if not self.given.get(default_language, "").strip():
            raise BroadcastError(
                _(
                    "Write the {language} text: it is required (the default language, "
                    "read by everyone who has no text in their own language).",
                    language=language_name(default_language),
                )
            )
        return f"{self.kind}:{value.strip()}" if value else self.kind


def _offered(choices: broadcasts.Choices, default_language: str) -> list[str]:
    """A textarea per language the roster reads, the default language first."""
    return list(dict.fromkeys([default_language, *choices.languages]))


def _inputs(form: FormData, languages: list[str]) -> Inputs:
    def one(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    accepted = list(dict.fromkeys([*languages, *available_languages()]))
    texts = tuple((code, one(f"text_{code}")) for code in accepted if one(f"text_{code}") or code in languages)
    return Inputs(
        kind=one("kind"),
        region=one("region"),
        cluster=one("cluster"),
        institution=one("institution"),
        texts=texts,
        again=one("again") == "yes",
    )


def _today(ctx: Context, now: datetime):
    return now.astimezone(ZoneInfo(ctx.settings.default_timezone)).date()


def _message(exc: BroadcastError) -> str:
    if exc.args and isinstance(exc.args[0], Text):
        return exc.args[0]  # marked here, translated when the page is rendered
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _compose(request: Request, ctx: Context, inputs: Inputs | None = None, error: str = "", status_code: int = 200):
    with ctx.db.transaction() as db:
        choices = broadcasts.choices(db)
    languages = _offered(choices, ctx.settings.default_language)
    kept = inputs.given if inputs else {}
    languages += [code for code in kept if code not in languages]
    return render(
        request,
        "broadcast.html",
        status_code=status_code,
        title=_("Broadcast"),
        error=error,
        choices=choices,
        groups=GROUPS,
        inputs=inputs or Inputs(kind="leads"),
        texts=[(code, language_name(code), kept.get(code, "")) for code in languages],
        default_language=ctx.settings.default_language,
        max_characters=service.MAX_CHARACTERS,
        may_send=request.state.user.role in CHANGE,
    )


@router.get("/broadcast")
def compose(request: Request, user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    return _compose(request, ctx)


@router.post("/broadcast", dependencies=[Depends(csrf)])
def change_text(
    request: Request,
    form: FormData = Depends(form_of),
    user: SignedIn = Depends(changer()),
    ctx: Context = Depends(context),
):
    """Back to step 1 from the preview, the texts kept (a POST: texts never go in a URL)."""
    return _compose(request, ctx, _inputs(form, _languages(ctx)))


def _languages(ctx: Context) -> list[str]:
    with ctx.db.transaction() as db:
        return _offered(broadcasts.choices(db), ctx.settings.default_language)


@dataclass(frozen=True)
class LineView:
    language: str
    name: str
    text: str
    by_sms: str | None  # the text as an SMS carries it, when folding changes it
    line: service.TextLine
    cost_each: str  # one message by SMS; "" without SMS_SEGMENT_COST
    cost_all: str  # all of this text's SMS
    instead_of: list[tuple[str, int]]


def _money(price: tuple[Decimal, str] | None, segments: int) -> str:
    return f"{price[0] * segments} {price[1]}".strip() if price else ""


def _lines(p: service.Preview, fold: str) -> list[LineView]:
    out = []
    for line in p.lines:
        folded = sms_text(line.text, line.language, fold)
        out.append(
            LineView(
                language=line.language,
                name=language_name(line.language),
                text=line.text,
                by_sms=folded if folded != line.text else None,
                line=line,
                cost_each=_money(p.price, line.segments),
                cost_all=_money(p.price, line.sms_segments),
                instead_of=[(language_name(code), n) for code, n in sorted(line.instead_of.items())],
            )
        )
    return out


def _channel(r: service.Recipient) -> str:
    return f"{r.channel} (template)" if r.template else str(r.channel)


def _address(user: SignedIn, phone: str | None) -> str:
    if not phone:
        return ""
    return phone if user.role in CHANGE else "hidden"


@router.post("/broadcast/preview", dependencies=[Depends(csrf)])
def preview(
    request: Request,
    form: FormData = Depends(form_of),
    user: SignedIn = Depends(changer()),
    ctx: Context = Depends(context),
):
    inputs = _inputs(form, _languages(ctx))
    now = datetime.now(UTC)
    try:
        group = inputs.group(ctx.settings.default_language)
        with ctx.db.transaction() as db:
            p = service.preview(
                db,
                group=group,
                texts=inputs.given,
                day=_today(ctx, now),
                now=now,
                settings=ctx.settings,
                configured=ctx.configured,
                again=inputs.again,
            )
    except BroadcastError as exc:
        return _compose(request, ctx, inputs, error=_message(exc), status_code=400)
    cells = Counter((r.language, _channel(r)) for r in p.to_send)
    channels = sorted(p.by_channel())
    table = [
        (language_name(code), [cells[(code, ch)] for ch in channels], n)
        for code, n in sorted(p.by_language().items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    later = p.later
    return render(
        request,
        "broadcast_preview.html",
        title=_("Broadcast: preview"),
        p=p,
        group=group_label(p.group),
        inputs=inputs,
        lines=_lines(p, ctx.settings.sms_fold),
        channels=channels,
        channel_totals=[p.by_channel()[ch] for ch in channels],
        table=table,
        unreachable=[(r.name, ", ".join(r.institutions), _address(user, r.phone), r.why_not) for r in p.unreachable],
        later=len(later),
        first_later=min((r.later.astimezone(UTC) for r in later if r.later is not None), default=None),
        cost=_money(p.price, p.segments),
        token=secrets.token_urlsafe(24),
    )


@router.post("/broadcast/send", dependencies=[Depends(csrf)])
def send(
    request: Request,
    form: FormData = Depends(form_of),
    user: SignedIn = Depends(changer()),
    ctx: Context = Depends(context),
):
    inputs = _inputs(form, _languages(ctx))
    token = form.get("confirmation")
    if not isinstance(token, str) or not broadcasts.TOKEN.fullmatch(token):
        raise HTTPException(status_code=400, detail=_("This confirmation is incomplete: preview the broadcast again."))
    now = datetime.now(UTC)
    try:
        group = inputs.group(ctx.settings.default_language)
        with ctx.work() as work:
            done = broadcasts.sent_with(work.session, token=token, username=user.username)
            if done is None:
                sent = service.send(
                    work.session,
                    group=group,
                    texts=inputs.given,
                    day=_today(ctx, now),
                    now=now,
                    settings=ctx.settings,
                    configured=ctx.configured,
                    created_by=user.username,
                    again=inputs.again,
                )
                for row in sent.queued:
                    work.send(row)  # the held ones the sweep releases at the end of their quiet hours
                audit.record(
                    work.session,
                    username=user.username,
                    action=broadcasts.SENT_ACTION,
                    now=now,
                    detail=broadcasts.detail(
                        broadcast_id=sent.broadcast.id,
                        group=sent.broadcast.group,
                        recipients=len(sent.queued) + len(sent.held),
                        token=token,
                    ),
                    client=client_of(request),
                )
                done, outcome = sent.broadcast.id, "sent"
            else:
                outcome = "repeat"
    except BroadcastError as exc:
        return _compose(request, ctx, inputs, error=_("Not sent: {reason}", reason=_message(exc)), status_code=400)
    return RedirectResponse(f"/admin/broadcast/{done}?done={outcome}", status_code=303)


def _page(value: str) -> int:
    return int(value) if value.isdigit() and 0 < int(value) < 1_000_000 else 1


@router.get("/broadcast/history")
def history(request: Request, page: str = "1", user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    with ctx.db.transaction() as db:
        found = broadcasts.history(db, page=_page(page))
    return render(
        request,
        "broadcast_history.html",
        title=_("Past broadcasts"),
        history=found,
        language_name=language_name,
        group_label=group_label,
    )


@router.get("/broadcast/{broadcast_id:int}")
def broadcast_state(
    request: Request,
    broadcast_id: int,
    done: str = "",
    user: SignedIn = Depends(reader()),
    ctx: Context = Depends(context),
):
    with ctx.db.transaction() as db:
        found = broadcasts.state(db, broadcast_id=broadcast_id, now=datetime.now(UTC))
    if found is None:
        raise HTTPException(status_code=404, detail=_("There is no broadcast {number}.", number=broadcast_id))
    notice = {
        "sent": _("Confirmed: the messages are queued and leave at each channel's pace."),
        "repeat": _("This confirmation had already been sent: nothing was sent again."),
    }.get(done, "")
    return render(
        request,
        "broadcast_state.html",
        title=_("Broadcast {number}", number=broadcast_id),
        notice=notice,
        s=found,
        group=group_label(found.broadcast.group),
        texts=[(code, language_name(code), text) for code, text in found.texts.items()],
    )
