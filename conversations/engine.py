"""The conversation engine: routes one input to the open flow or to a command.

Pure: everything it knows comes in as arguments (the person view, the stored state, the text,
`now`), and everything it does comes out as an Outcome.

One conversation waits at a time; when another would start, the rules are:
- the weekly prompt replaces last week's update; a report being written waits under it and
  resumes, where it was, once the update is over;
- REPORT while the update's statuses are awaited asks to answer them first (at the note step
  the answers are stored already, and the report starts);
- meeting answers are not a conversation: attendance.py says when one is taken, and it never
  ends the waiting conversation;
- commands (HELP, STATUS, LANG, AWAY/BACK, STOP/START) answer and leave it waiting;
- a waiting conversation expires after SESSION_TIMEOUT_HOURS with a short note."""
from __future__ import annotations

from datetime import datetime, timedelta

from conversations import attendance, availability, commands, report, weekly
from conversations.i18n import T
from conversations.parse import command
from conversations.views import Outcome, PersonView, Reply

FLOWS = {weekly.FLOW: weekly, report.FLOW: report}


def _expired(state: dict | None, now: datetime) -> bool:
    return bool(state) and datetime.fromisoformat(state["expires_at"]) <= now


REPORT_TIMEOUT = timedelta(hours=72)


def handle_text(person: PersonView, state: dict | None, text: str, now: datetime,
                timeout: timedelta = REPORT_TIMEOUT) -> Outcome:
    if _expired(state, now):
        # The expiry note was not sent yet (its timer had not run): it comes before the answer.
        outcome = _handle(person, None, text, now, timeout)
        outcome.replies.insert(0, Reply(expired_note(person, state)))
        return outcome
    outcome = _handle(person, state, text, now, timeout)
    then = (state or {}).get("then")
    if outcome.state is None and then and not _expired(then, now):
        # The weekly update that came in the middle of a report is over: back to the report.
        outcome.state = then
        outcome.replies.append(Reply(report.resume(person, then)))
    return outcome


def expired_note(person: PersonView, state: dict) -> str:
    """What the person is told when a waiting conversation expires."""
    return FLOWS[state["flow"]].expired_note(person, state)


def _handle(person: PersonView, state: dict | None, text: str, now: datetime, timeout: timedelta) -> Outcome:
    t = T(person.language)
    flow = FLOWS.get(state["flow"]) if state else None
    if command(text, person.language, ("help",)) == "help":
        body = flow.help_text(person, state) if flow else _menu(t, person)
        return Outcome(state=state, replies=[Reply(body)])
    reply = attendance.parse(person, text)
    if reply is not None and flow and flow.takes(state, text, person.language):
        # A prompt never swallows an attendance answer (rules in conversations/attendance.py).
        if reply.meeting_id is None:
            return Outcome(state=state, replies=[attendance.ask_which(person, reply)])
        if not attendance.is_open(person, reply.meeting_id):
            reply = None  # "1 s": a status for action 1, not an answer to a meeting 1 nobody has
    if reply is not None:
        outcome = attendance.answer(person, reply)
        outcome.state = state
        if flow:
            outcome.replies.append(Reply(flow.waiting_note(person)))
        return outcome
    if flow and flow.free_text(state):  # a note, a place, a description: taken as written
        return flow.handle(person, state, text, now)
    if commands.is_status(text, person.language):
        return Outcome(state=state, replies=[commands.status(person, state)])
    for command_outcome in (commands.language(person, text), availability.handle(person, text, now)):
        if command_outcome is not None:
            command_outcome.state = state
            return command_outcome
    if command(text, person.language, ("report",)) == "report":
        if state and state["flow"] == weekly.FLOW and state["step"] == "statuses":
            # An open weekly update is never dropped silently: finish it first.
            return Outcome(state=state, replies=[Reply(t(
                "Please answer this week's update first (e.g. 1D 2P), then send REPORT."))])
        if state and state.get("then") and not _expired(state["then"], now):
            return Outcome(state=state["then"], replies=[Reply(report.resume(person, state["then"]))])
        return report.start(person, now, timeout)
    if flow:
        return flow.handle(person, state, text, now)
    return Outcome(state=None, replies=[Reply(_menu(t, person))])


def _menu(t: T, person: PersonView) -> str:
    pending = attendance.pending_lines(person)
    if pending:
        return "\n".join(pending)
    return t("Hello {name}. Nothing is waiting for your answer now; your weekly prompt will come. "
             "Send HELP at any time.", name=person.name.split()[0])


def start_weekly(person: PersonView, state: dict | None, now: datetime, timeout: timedelta,
                 token: str) -> Outcome | None:
    """Open this week's update (replacing an older weekly one); None when nothing is open. A
    report being written waits under it and resumes when the update is over."""
    outcome = weekly.start(person, now, timeout, token)
    if outcome is not None and state and state.get("flow") == report.FLOW and not _expired(state, now):
        outcome.state["then"] = state
    return outcome


def unsupported(language: str) -> Reply:
    t = T(language)
    return Reply(t("Please reply with text; I cannot read stickers, photos, voice or locations."))
