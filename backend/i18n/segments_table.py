"""`nmirf i18n segments`: what each message kind costs by SMS in each language (docs/sms-segments.md).

Every message the bot can send by SMS, rendered through the engine (medium SMS) from a `Sample` of
values (`REALISTIC`, `LONGEST`; tests/test_sms_budget_property.py generates others), measured as
sent (conversations.budget.sms_text) against its budget (conversations.budget.budget, whose module
docstring states the rules)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.i18n.samples import LONGEST, REALISTIC, Sample
from bot.segments import count_segments, fold_to_gsm
from conversations import attendance, engine, escalation, hints, meetings, onboarding, subscription, weekly
from conversations import budget as budget_rules
from conversations import report as report_flow
from conversations.budget import NAME_FREE, budget, link_segments, sms_text
from conversations.i18n import available_languages
from conversations.parse import keywords
from conversations.state import FlowState
from conversations.statuses import open_actions
from conversations.views import ActionView, PersonView, iso_period

LETTERS = {"completed": "D", "in_progress": "P", "not_started": "N", "blocked": "B"}  # read in every language


@dataclass(frozen=True)
class Message:
    text: str
    items: int = 0  # how many short items it lists: actions, clusters, answers, numbers (rule 4)
    pending: int = 0  # how many lines it gives to things awaiting an answer: meetings, the weekly update (rule 4)
    names: tuple[str, ...] = ()  # the names it holds (rule 4)
    links: tuple[str, ...] = ()  # the links it holds, never cut (rule 6)


# A meeting's link of 90 characters: never cut by SMS (conversations/budget.py, rule 6).
LINK = "https://meet.example.org/nmirf/cluster-review/2026-12-03?pwd=Xy7kQ2mN9pL4rT6vW8zB1cD3fG5hJ"


def _person(language: str, sample: Sample, **changes) -> PersonView:
    person = PersonView(1, sample.name, language, "Africa/Nairobi", institution=sample.institution)
    lists = {"actions": sample.actions, "report_actions": sample.actions, "clusters": sample.clusters}
    return replace(person, **{**lists, **changes})


class _Talk:
    """One person's conversation with the engine, at the sample's time."""

    def __init__(self, person: PersonView, now: datetime):
        self.person, self.now = person, now

    def say(self, state: FlowState | None, text: str):
        return engine.handle_text(self.person, state, text, self.now)

    def texts(self, state: FlowState | None, text: str) -> list[str]:
        return [r.text for r in self.say(state, text).replies]


def messages(language: str, sample: Sample = REALISTIC) -> dict[str, Message]:
    """Every kind of message the bot sends by SMS, in `language`, rendered from `sample`."""
    p = _person(language, sample)
    talk = _Talk(p, sample.now)
    out: dict[str, Message] = {
        "help": Message(talk.texts(None, "HELP")[0], names=(sample.name.split()[0],)),  # the menu
        "unsupported": Message(engine.unsupported(language).text),
        "stop": Message(subscription.stopped(language).text),
        "start": Message(subscription.started(language).text),
        "not_registered": Message(onboarding.unknown_sender(language, "sms")[0].text),
        "lang": Message(talk.texts(None, f"LANG {language}")[0]),
        "lang_choices": Message(talk.texts(None, "LANG")[0], len(available_languages())),
        "away": Message(talk.texts(None, f"AWAY {sample.away.isoformat()}")[0]),
        "away_until_when": Message(talk.texts(None, "AWAY")[0]),
        "back": Message(talk.texts(None, "BACK")[0]),
        "command_hint": Message(_hint(p)),
    }
    out.update(_weekly(talk, sample))
    out.update(_status(language, sample))
    out.update(_report(language, sample))
    out.update(_attendance(language, sample))
    out.update(_rhythm(language, sample))
    out.update(_meetings(language, sample))
    return out


def _hint(p: PersonView) -> str:
    """A note that starts with the language's longest command phrase, taken as written."""
    phrases = [" ".join(ph) for meaning in hints.COMMANDS for ph in keywords(p.language).get(meaning, ())]
    reply = hints.command_hint(p, f"{max(phrases, key=len)} of the minister is planned after the cabinet meeting")
    assert reply is not None  # the phrase is a command word
    return reply.text


def _figures(numbers: list[int], actions: list[ActionView]) -> int:
    """How many figures an answer to these actions gives (one per action with an indicator)."""
    return sum(1 for n in numbers if actions[n - 1].indicator)


def _answer(sample: Sample, numbers: list[int], actions: list[ActionView]) -> str:
    """ "1D 1250 2P 3B": a status for each number (and the figure, for an action with an indicator)."""
    parts = []
    for n in numbers:
        status = sample.answers[(n - 1) % len(sample.answers)]
        figure = f" {sample.figure}" if actions[n - 1].indicator else ""
        parts.append(f"{n}{LETTERS[status]}{figure}")
    return " ".join(parts)


def _weekly(talk: _Talk, sample: Sample) -> dict[str, Message]:
    """The weekly update: the prompt, answers in parts and at once, corrections, the note, UNDO."""
    p = talk.person
    actions = open_actions(p)
    prompt = engine.start(weekly.FLOW, p, None, sample.now, timedelta(hours=72), "t")
    if prompt is None or prompt.state is None:  # no open action: no prompt
        return {}
    k = len(actions)
    state = prompt.state
    whole = talk.say(state, _answer(sample, list(range(1, k + 1)), actions))
    note = whole.state
    out = {
        "weekly_prompt": Message(prompt.replies[0].text, k),
        "correction": Message(talk.texts(state, "hello")[0]),
        "no_such_action": Message(talk.texts(state, " ".join(f"{n}D" for n in sample.wrong))[0], len(sample.wrong)),
        "nothing_to_undo": Message(talk.texts(state, "UNDO")[0]),
        "help_weekly": Message(talk.texts(state, "HELP")[0]),
        "report_busy": Message(talk.texts(state, "REPORT")[0]),
        "expired_weekly": Message(engine.expired_note(p, state)),
        "confirmation": Message(whole.replies[0].text, k + _figures(list(range(1, k + 1)), actions)),
        "undone": Message(talk.texts(note, "UNDO")[0], k),
        "help_note": Message(talk.texts(note, "HELP")[0]),
        "note_added": Message(talk.texts(note, "Cabinet meets in January")[0]),
        "no_note": Message(talk.texts(note, "SKIP")[0]),
    }
    if k > 1:
        half = list(range(1, k // 2 + 1))
        partial = talk.say(state, " ".join([_answer(sample, half, actions)] + [f"{n}P" for n in sample.wrong]))
        items = len(half) + _figures(half, actions) + len(sample.wrong)
        out["partial_echo"] = Message(partial.replies[0].text, items)
    return out


def _status(language: str, sample: Sample) -> dict[str, Message]:
    """STATUS with the weekly update waiting and the invitations pending; with nothing to do; the menu."""
    invited = _person(language, sample, invitations=sample.invitations)
    started = engine.start(weekly.FLOW, invited, None, sample.now, timedelta(hours=72), "t")
    state = started.state if started is not None else None
    pending = len([i for i in sample.invitations if i.status == "pending"])
    done = replace(invited, actions=tuple(replace(a, status="completed") for a in invited.actions))
    first = sample.name.split()[0]
    return {
        "status": Message(
            _Talk(invited, sample.now).texts(state, "STATUS")[0],
            len(open_actions(invited)),
            pending + (state is not None),
        ),
        "status_nothing_open": Message(_Talk(done, sample.now).texts(None, "STATUS")[0], pending=pending),
        "menu": Message(_Talk(_person(language, sample), sample.now).texts(None, "hello")[0], names=(first,)),
        "menu_invitations": Message(
            _Talk(invited, sample.now).texts(None, "hello")[0], pending=pending, names=() if pending else (first,)
        ),
    }


def _report(language: str, sample: Sample) -> dict[str, Message]:
    """REPORT: the choice, each question, its errors, the end, and a report waiting under the weekly update."""
    p = _person(language, sample)
    talk = _Talk(p, sample.now)
    nothing = _Talk(_person(language, sample, report_actions=(), clusters=()), sample.now)
    out = {"report_none": Message(nothing.texts(None, "REPORT")[0])}
    begun = talk.say(None, "REPORT")
    state = begun.state
    if not isinstance(state, report_flow.ReportState):  # nothing to report on
        return out
    if state.step == "action":
        out["report_choice"] = Message(begun.replies[0].text, len(state.choices))
        out["report_bad_choice"] = Message(talk.texts(state, "999")[0])
        state = talk.say(state, "1").state
    assert isinstance(state, report_flow.ReportState) and state.step == "where"  # the first choice is taken
    what = replace(state, step="what", locality=sample.place[:100])
    reached = replace(what, step="reached", what="Trained 40 village elders on birth registration")
    out.update(
        {
            "report_where": Message(report_flow.question(p, state)),
            "report_what": Message(report_flow.question(p, what)),
            "report_reached": Message(report_flow.question(p, reached)),
            "report_bad_number": Message(talk.texts(reached, "many")[0]),
            "report_cancelled": Message(talk.texts(state, "SKIP")[0]),
            "report_help": Message(talk.texts(state, "HELP")[0]),
            "report_done": Message(talk.texts(replace(reached, what="x" * 500), "1250")[0]),
            "report_resume": Message(report_flow.resume(p, reached)),
            "expired_report": Message(engine.expired_note(p, state)),
        }
    )
    if sample.invitations:  # a meeting answered while the report waits for its place
        invited = _Talk(_person(language, sample, invitations=sample.invitations[:1]), sample.now)
        out["report_still_open"] = Message(invited.texts(state, f"YES {sample.invitations[0].meeting_id}")[-1])
    return out


def _attendance(language: str, sample: Sample) -> dict[str, Message]:
    """The invitation (to the lead, to the substitute sent instead), each answer, and what is asked back."""
    if not sample.invitations:
        return {}
    meeting = sample.invitations[0]
    alone = replace(meeting, substitute=None)
    one = _Talk(_person(language, sample, invitations=(meeting,)), sample.now)
    lonely = _Talk(_person(language, sample, invitations=(alone,)), sample.now)
    every = _Talk(_person(language, sample, invitations=sample.invitations), sample.now)
    unknown = max(i.meeting_id for i in sample.invitations) + 1
    started = engine.start(weekly.FLOW, one.person, None, sample.now, timedelta(hours=72), "t")
    subs = (meeting.substitute,) if meeting.substitute else ()
    out = {
        "invitation": Message(attendance.invitation_text(one.person, meeting)),
        "invitation_substitute": Message(
            attendance.invitation_text(one.person, replace(meeting, sent_by=sample.lead)), names=(sample.lead,)
        ),
        "attendance_yes": Message(one.texts(None, "YES")[0]),
        "attendance_no": Message(one.texts(None, "NO")[0], names=subs),
        "attendance_no_alone": Message(lonely.texts(None, "NO")[0]),
        "attendance_sub": Message(one.texts(None, "SUB")[0], names=subs),
        "attendance_no_substitute": Message(lonely.texts(None, "SUB")[0]),
        "attendance_unknown_meeting": Message(every.texts(None, f"YES {unknown}")[0], pending=len(sample.invitations)),
    }
    choices = [i for i in sample.invitations if i.status == "pending"] or sample.invitations
    if len(choices) > 1:
        out["attendance_which"] = Message(every.texts(None, "YES")[0], pending=len(choices))
    if started is not None and started.state is not None:
        actions = open_actions(one.person)
        note = one.say(started.state, _answer(sample, list(range(1, len(actions) + 1)), actions)).state
        if note is not None and note.flow == "weekly" and note.step == "note":
            out["attendance_ask_which"] = Message(one.texts(note, "YES")[0])
        out["weekly_still_open"] = Message(one.texts(started.state, f"YES {meeting.meeting_id}")[-1])
    return out


def _rhythm(language: str, sample: Sample) -> dict[str, Message]:
    """The reporting rhythm: a monthly prompt, reminders, the notes to a substitute asked in the
    lead's place and stood down, the secretariat's alert and weekly digest (conversations/escalation.py)."""
    p = _person(language, sample)
    week = iso_period(sample.now.astimezone(ZoneInfo(p.timezone)))
    month = sample.now.astimezone(ZoneInfo(p.timezone)).strftime("%Y-%m")
    lead, institution = (sample.lead,), sample.institution
    waiting = list(sample.overdue)
    prompted = len(waiting) + 14
    out = {
        "reminder": Message(escalation.reminder(p, week)),
        "reminder_monthly": Message(escalation.reminder(p, month)),
        "cover_away": Message(
            escalation.cover_note(p, lead=sample.lead, institution=institution, away_until=sample.away), names=lead
        ),
        "cover_unanswered": Message(
            escalation.cover_note(p, lead=sample.lead, institution=institution, away_until=None), names=lead
        ),
        "stood_down": Message(escalation.stood_down(p, name=sample.lead, institution=institution), names=lead),
        "turnover": Message(
            escalation.turnover(p, name=sample.name, institution=institution, lead=sample.lead, substitutes=2),
            names=(sample.name, sample.lead),
        ),
        "turnover_no_substitute": Message(
            escalation.turnover(p, name=sample.name, institution=institution, lead=sample.lead, substitutes=0),
            names=(sample.name, sample.lead),
        ),
        "turnover_nobody_in_post": Message(
            escalation.turnover(p, name=sample.name, institution=institution, lead=None, substitutes=0),
            names=(sample.name,),
        ),
        "nobody_left": Message(escalation.nobody_left(p, institution=institution, period=week)),
        "nobody_left_monthly": Message(escalation.nobody_left(p, institution=institution, period=month)),
        "digest": Message(escalation.digest(p, answered=prompted, prompted=prompted, waiting=[])),
        "digest_overdue": Message(
            escalation.digest(p, answered=prompted - len(waiting), prompted=prompted, waiting=waiting),
            min(len(waiting), 10) + (len(waiting) > 10),  # ten names by SMS, then "+N"
        ),
    }
    monthly = engine.start(weekly.FLOW, p, None, sample.now, timedelta(hours=72), f"weekly:{month}")
    if monthly is not None:
        out["monthly_prompt"] = Message(monthly.replies[0].text, len(open_actions(p)))
    return out


def _meetings(language: str, sample: Sample) -> dict[str, Message]:
    """A meeting's other messages (conversations/meetings.py): the invitation to who replaces an
    invitee and to an observer, the follow-up, the reminder, a change, a cancellation, the agenda;
    and the secretariat's line on institutions with no substitute."""
    p = _person(language, sample)
    shown = min(len(sample.overdue), 10) + (len(sample.overdue) > 10)  # ten names by SMS, then "+N"
    out = {"no_substitute": Message(escalation.no_substitute(p, institutions=list(sample.overdue)), shown)}
    if not sample.invitations:
        return out
    first = sample.invitations[0]
    fields = {f: getattr(first, f) for f in ("meeting_id", "title", "starts_at", "place")}
    meeting = meetings.MeetingView(**fields, status="pending", substitute=first.substitute, agenda=sample.agenda)
    alone = replace(meeting, substitute=None, observer=True)
    confirmed = replace(meeting, status="confirmed")
    observer = _person(language, sample, invitations=(alone,))
    agenda = meetings.agenda(p, meeting)
    out.update(
        {
            "invitation_replacing": Message(
                attendance.invitation_text(p, replace(alone, observer=False, replaces=sample.lead)),
                names=(sample.lead,),
            ),
            "invitation_observer": Message(attendance.invitation_text(p, alone)),
            "status_observer": Message(
                _Talk(observer, sample.now).texts(None, "STATUS")[0], len(open_actions(observer)), 1
            ),
            "meeting_follow_up": Message(meetings.follow_up(p, meeting)),
            "meeting_follow_up_observer": Message(meetings.follow_up(p, alone)),
            "meeting_reminder": Message(meetings.reminder(p, confirmed)),
            "meeting_changed": Message(meetings.changed(p, meeting)),
            "meeting_changed_confirmed": Message(meetings.changed(p, confirmed)),
            "meeting_cancelled": Message(meetings.cancelled(p, meeting)),
            "agenda": Message(max(agenda, key=lambda text: count_segments(sms_text(text, language)).segments)),
            "agenda_none": Message(meetings.agenda(p, replace(meeting, agenda=()))[0]),
            "meeting_nobody_to_send": Message(
                meetings.nobody_to_send(p, meeting, institution=sample.institution, name=sample.lead),
                names=(sample.lead,),
            ),
            # a link is never cut: it may take the segments it needs of its own (rule 6)
            "invitation_link": Message(attendance.invitation_text(p, replace(meeting, place=LINK)), links=(LINK,)),
            "meeting_reminder_link": Message(meetings.reminder(p, replace(confirmed, place=LINK)), links=(LINK,)),
        }
    )
    return out


def measure(language: str, message: Message, fold: str = "punctuation") -> tuple[int, str, int, int]:
    """(characters, encoding, segments, budget) of the message as sent by SMS."""
    count = count_segments(sms_text(message.text, language, fold))
    long_names = sum(len(name) > NAME_FREE for name in message.names)
    links = sum(link_segments(link, count.encoding) for link in message.links)
    allowed = budget(language, count.encoding, message.items, message.pending, long_names, links)
    return count.characters, count.encoding, count.segments, allowed


FIELDS = ("kind", "language", "characters", "encoding", "segments", "budget", "folded_encoding", "folded_segments")


def table() -> list[dict]:
    rows = []
    for language in available_languages():
        longest = messages(language, LONGEST)
        for kind, message in messages(language).items():
            folded = count_segments(fold_to_gsm(message.text, accents=True))
            row = dict(zip(FIELDS, (kind, language, *measure(language, message), folded.encoding, folded.segments)))
            if kind in longest:
                _, row["longest_encoding"], row["longest_segments"], row["longest_budget"] = measure(
                    language, longest[kind]
                )
            rows.append(row)
    return rows


HEADER = """# What each message costs by SMS

Made with `.venv/bin/nmirf i18n segments > docs/sms-segments.md`: every message kind the bot can
send by SMS, rendered in every language through the engine (medium SMS), measured as sent with the
default `SMS_FOLD=punctuation`. GSM-7 carries 160 characters in one segment (153 a segment when
split), UCS-2 70 (67). *Realistic* values: three actions with 50-60 character titles, two
invitations, a 27-character name, four-digit figures and meeting numbers, a long place and meeting
title. *Longest*: ten actions with 80-character titles, three invitations, 60-character names,
letters outside GSM-7 (Ł, ğ, Ş) in names, titles and places, dates in August, seven-digit figures.
`tests/test_sms_budget_property.py` checks the same kinds over generated values (every month and
weekday, 0-10 actions with 1-200 character titles, 0-3 invitations, names of up to 60
characters, letters outside GSM-7, Arabic and Thai letters in the data).

The rules (from conversations/budget.py):

"""
COLUMNS = """
"budget": what these rules allow the row; "accents": its cost with `SMS_FOLD=accents`; "longest":
its cost with the longest values, and the budget they get.

"""


def render() -> str:
    lines = [
        HEADER
        + "1. "
        + (budget_rules.__doc__ or "").split("\n\n1. ", 1)[1]
        + "\n"
        + COLUMNS
        + "| kind | language | characters | encoding | segments | budget | accents | longest | longest budget |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table():
        longest = f"{r['longest_encoding']}, {r['longest_segments']}" if "longest_segments" in r else "-"
        lines.append(
            f"| {r['kind']} | {r['language']} | {r['characters']} | {r['encoding']} | {r['segments']} | "
            f"{r['budget']} | {r['folded_encoding']}, {r['folded_segments']} | {longest} | "
            f"{r.get('longest_budget', '-')} |"
        )
    return "\n".join(lines)
