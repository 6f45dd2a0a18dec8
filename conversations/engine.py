"""The conversation engine: routes one input to the waiting flow or to a command.

Pure: everything it knows comes in as arguments (the person view, the stored state, the text,
`now`), and everything it does comes out as an Outcome. It knows flows only through the Flow
protocol and the registry (conversations/flows.py): it names none of them.

One conversation waits at a time; when another would start, the rules are:
- a flow the bot starts (the weekly prompt) replaces a waiting one of its own kind; a
  `resumable` flow the person started (a report) waits under it and resumes, where it was, once
  the new one is over;
- a person-started flow's command (REPORT) while another flow is `busy` (the update's statuses
  are awaited) is answered with what to finish first; at a later step the answers are stored
  already, and the new flow starts;
- meeting answers are not a conversation: attendance.py says when one is taken, and it never
  ends the waiting conversation;
- commands (HELP, STATUS, LANG, AWAY/BACK, STOP/START) answer and leave it waiting;
- a waiting conversation expires after SESSION_TIMEOUT_HOURS with a short note."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from conversations import attendance, availability, commands, flows
from conversations.flow import Flow
from conversations.flows import flow_of
from conversations.i18n import T
from conversations.parse import command
from conversations.state import FlowState
from conversations.views import Outcome, PersonView, Reply

REPORT_TIMEOUT = timedelta(hours=72)


def handle_text(
    person: PersonView, state: FlowState | None, text: str, now: datetime, timeout: timedelta = REPORT_TIMEOUT
) -> Outcome:
    if state is not None and state.expired(now):
        # The expiry note was not sent yet (its timer had not run): it comes before the answer.
        outcome = _handle(person, None, text, now, timeout)
        outcome.replies.insert(0, Reply(expired_note(person, state)))
        return outcome
    outcome = _handle(person, state, text, now, timeout)
    then = state.then if state is not None else None
    if outcome.state is None and then is not None and not then.expired(now):
        # The flow that came in the middle of another is over: back to the one under it.
        outcome.state = then
        outcome.replies.append(Reply(flow_of(then).resume(person, then)))
    return outcome


def expired_note(person: PersonView, state: FlowState) -> str:
    """What the person is told when a waiting conversation expires."""
    return flow_of(state).expired_note(person, state)


def start(
    flow: Flow[Any], person: PersonView, state: FlowState | None, now: datetime, timeout: timedelta, token: str
) -> Outcome | None:
    """Open a flow the bot starts (replacing a waiting one); None when there is nothing to ask.
    A resumable conversation the person was in waits under it and resumes when it is over."""
    outcome = flow.start(person, now, timeout, token)
    if outcome is None or outcome.state is None:
        return outcome
    if state is not None and not state.expired(now) and flow_of(state).resumable and state.flow != flow.name:
        outcome.state = replace(outcome.state, then=state)
    return outcome


def _handle(person: PersonView, state: FlowState | None, text: str, now: datetime, timeout: timedelta) -> Outcome:
    t = T(person.language, person.fallback_language)
    flow = flow_of(state) if state is not None else None
    if command(text, person.language, ("help",)) == "help":
        body = flow.help_text(person, state) if flow and state else _menu(t, person)
        return Outcome(state=state, replies=[Reply(body)])
    reply = attendance.parse(person, text)
    if reply is not None and flow and state and flow.takes(state, text, person.language):
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
    if flow and state and flow.free_text(state):  # a note, a place, a description: taken as written
        return flow.handle(person, state, text, now)
    if commands.is_status(text, person.language):
        return Outcome(state=state, replies=[commands.status(person, state)])
    for command_outcome in (commands.language(person, text), availability.handle(person, text, now)):
        if command_outcome is not None:
            command_outcome.state = state
            return command_outcome
    started = _person_started(text, person.language)
    if started is not None:
        return _start_by_person(started, person, state, now, timeout)
    if flow and state:
        return flow.handle(person, state, text, now)
    return Outcome(state=None, replies=[Reply(_menu(t, person))])


def _person_started(text: str, language: str) -> Flow[Any] | None:
    """The registered flow whose command this message is (REPORT), if any."""
    started = {flow.command: flow for flow in flows.FLOWS if flow.command}
    found = command(text, language, tuple(started)) if started else None
    return started.get(found) if found else None


def _start_by_person(
    flow: Flow[Any], person: PersonView, state: FlowState | None, now: datetime, timeout: timedelta
) -> Outcome:
    if state is not None:
        busy = flow_of(state).busy(person, state)
        if busy is not None:
            return Outcome(state=state, replies=[Reply(busy)])
        then = state.then
        if then is not None and then.flow == flow.name and not then.expired(now):
            return Outcome(state=then, replies=[Reply(flow.resume(person, then))])
    outcome = flow.start(person, now, timeout)
    return outcome if outcome is not None else Outcome(state=state)


def _menu(t: T, person: PersonView) -> str:
    pending = attendance.pending_lines(person)
    if pending:
        return "\n".join(pending)
    # TRANSLATORS: {name}: the person's first name, e.g. "Amina". HELP: your language's help word. Sent by SMS: keep
    # it as short as the English.
    return t(
        "Hello {name}. Nothing is waiting for your answer now; your weekly message will come. Send HELP at any time.",
        name=person.name.split()[0],
    )


def unsupported(language: str, fallback: str = "en") -> Reply:
    t = T(language, fallback)
    # TRANSLATORS: Sent by SMS: keep it as short as the English.
    return Reply(t("Please reply with text; I cannot read stickers, photos, voice or locations."))
