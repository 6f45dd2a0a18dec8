"""The weekly progress update: one prompt listing the person's open actions, answered in one
short message (`1D 2P`) or one action at a time, an optional note, and a confirmation that
echoes what was stored. Diagram: weekly.mmd."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conversations.budget import fitted, title_of
from conversations.hints import command_hint
from conversations.i18n import T
from conversations.parse import command, parse_statuses
from conversations.state import FlowState
from conversations.statuses import choice, example, legend, letter, open_actions, status_label
from conversations.views import (
    Event,
    NoteAdded,
    Outcome,
    PersonView,
    ProgressReported,
    ProgressRetracted,
    Reply,
    iso_period,
)
from conversations.writing import day_month, items, listing, period_name, period_start


@dataclass(frozen=True, kw_only=True)
class WeeklyState(FlowState):
    """Steps: `statuses` (until every action is answered), then `note`. Answers are keyed by
    the action's number in the prompt (as text, the way they are stored)."""

    flow = "weekly"
    token: str = ""  # which prompt opened it, e.g. "weekly:2026-W48"
    period: str = ""  # the ISO week the answers are recorded for
    actions: tuple[int, ...] = ()  # action ids, in the prompt's order
    answered: dict[str, str] = field(default_factory=dict)  # number -> status
    figures: dict[str, str] = field(default_factory=dict)  # number -> indicator figure
    last: dict[str, str | None] = field(default_factory=dict)  # what UNDO restores: number -> status before

    def action_ids(self) -> tuple[int, ...]:
        return self.actions


def _legend(t: T) -> str:
    # TRANSLATORS: the last line of the weekly message. {example}: an answer such as "1D 2P"; {legend} explains the
    # status letters: "D done, P in progress, N not started, B blocked". Sent by SMS: keep it as short as the English.
    return t("Reply e.g. {example} ({legend})", example=example(t.language), legend=legend(t))


def start(person: PersonView, now: datetime, timeout: timedelta, token: str = "") -> Outcome | None:
    """The period's prompt, or None when the person has no open action. The token names the
    period ("weekly:2026-W49", "weekly:2026-12" for a monthly schedule); without one, the ISO week
    of `now` in the person's time zone."""
    actions = open_actions(person)
    if not actions:
        return None
    t = T(person.language, person.fallback_language)
    local = now.astimezone(ZoneInfo(person.timezone))
    period = token.removeprefix("weekly:") if token.startswith("weekly:") else iso_period(local)
    start_day = period_start(period) or (local - timedelta(days=local.weekday())).date()
    if start_day.day == 1 and not period.count("W"):
        # TRANSLATORS: the first line of a monthly update. {period}: e.g. "December 2026". Sent by SMS.
        header = t("Update for {period}:", period=period_name(t, period))
    else:
        # TRANSLATORS: the first line of the weekly message. {date}: its Monday, e.g. "23 Nov". Sent by SMS: keep it
        # as short as the English.
        header = t("Week of {date}:", date=day_month(start_day, person.language))
    text = fitted(
        lambda limit: "\n".join(
            [header] + [f"{n} {t.isolated(title_of(a, limit))}" for n, a in enumerate(actions, 1)] + [_legend(t)]
        ),
        person.medium,
    )
    state = WeeklyState(
        step="statuses",
        token=token,
        period=period,
        actions=tuple(a.id for a in actions),
        expires_at=now + timeout,
    )
    return Outcome(state=state, replies=[Reply(text)])


def _echo(t: T, state: WeeklyState, numbers: list[int]) -> str:
    figures = state.figures
    return items(
        t,
        (
            f"{n} {status_label(t, state.answered[str(n)])}" + (f" ({figures[str(n)]})" if str(n) in figures else "")
            for n in numbers
        ),
    )


def _remaining(state: WeeklyState) -> list[int]:
    return [n for n in range(1, len(state.actions) + 1) if str(n) not in state.answered]


def handle(person: PersonView, state: WeeklyState, text: str, now: datetime) -> Outcome:
    t = T(person.language, person.fallback_language)
    items = parse_statuses(text, person.language)
    titles = {a.id: a for a in person.actions}
    count = len(state.actions)
    if command(text, person.language, ("undo",)):
        return _undo(t, person, state)
    if state.step == "note":
        if command(text, person.language, ("skip",)):
            # TRANSLATORS: Sent by SMS: keep it as short as the English.
            return Outcome(state=None, replies=[Reply(t("No note. Thank you."))])
        # Once every action is answered, only numbered statuses are corrections:
        # "done, sent to cabinet" is a note.
        if any(item.number is None for item in items):
            items = []

    if not items:
        if state.step == "note" and text.strip():
            note = text.strip()[:500]
            ids = tuple(state.actions[int(n) - 1] for n in sorted(state.answered, key=int))
            hint = command_hint(person, text)
            return Outcome(
                state=None,
                # TRANSLATORS: Sent by SMS: keep it as short as the English.
                replies=[Reply(t("Note added. Thank you."))] + ([hint] if hint else []),
                events=[NoteAdded(action_ids=ids, period=state.period, note=note)],
            )
        return Outcome(
            state=state,
            replies=[
                Reply(
                    # TRANSLATORS: {example}: an answer, e.g. "1D 2P"; {legend}: e.g. "D done, P in progress, N not
                    # started, B blocked". Sent by SMS: keep it as short as the English.
                    t(
                        "Sorry, I did not understand. Reply with action number and status, e.g. {example}. {legend}.",
                        example=example(person.language, count),
                        legend=legend(t),
                    )
                )
            ],
        )

    answered, figures = dict(state.answered), dict(state.figures)
    state = replace(state, answered=answered, figures=figures)
    reported: dict[int, ProgressReported] = {}  # one answer per action and message: the last one
    recorded: list[int] = []
    wrong: list[str] = []
    previous: dict[str, str | None] = {}
    for item in items:
        number = item.number
        if number is None:  # a bare status answers the first open action (one at a time)
            left = _remaining(state)
            number = left[0] if left else (1 if count == 1 else None)
            if number is None:
                wrong.append("?")
                continue
        if not 1 <= number <= count:
            wrong.append(str(number))
            continue
        action_id = state.actions[number - 1]
        action = titles.get(action_id)
        figure = item.figure if action is not None and action.indicator else None
        note = item.note
        if item.figure is not None and figure is None:
            note = f"{item.figure} {note}".strip()
        reported.pop(number, None)
        reported[number] = ProgressReported(
            action_id=action_id,
            status=item.status,
            period=state.period,
            note=note[:500] or None,
            indicator_value=figure,
        )
        previous.setdefault(str(number), answered.get(str(number)))
        answered[str(number)] = item.status
        if figure is not None:
            figures[str(number)] = f"{figure.normalize():f}"
        else:
            figures.pop(str(number), None)
        if number in recorded:
            recorded.remove(number)
        recorded.append(number)
    events: list[Event] = list(reported.values())

    lines = []
    if wrong:
        missing = listing(t, wrong)
        lines.append(
            # TRANSLATORS: {numbers}: the numbers given that are no action, e.g. "5" or "5, 7"; {last}: the last
            # action's number, e.g. 3. Sent by SMS: keep it as short as the English.
            t.n(
                "There is no action {numbers}; your actions are numbered 1 to {last}.",
                "There are no actions {numbers}; your actions are numbered 1 to {last}.",
                len(wrong),
                numbers=missing,
                last=count,
            )
        )
    left = _remaining(state)
    ask_next = None
    if recorded and left:
        # TRANSLATORS: {items}: what was recorded, e.g. "1 done; 2 in progress (40)". Sent by SMS: keep it as short as
        # the English.
        lines.append(t("Recorded: {items}.", items=_echo(t, state, recorded)))
        nxt = left[0]
        action = titles.get(state.actions[nxt - 1])
        # TRANSLATORS: {number}: the next action's number, e.g. 2; {title}: its title (shortened to fit); {letters}:
        # the choice of status letters, e.g. "D/P/N/B". Sent by SMS: keep it as short as the English.
        ask_next = lambda limit: t(  # noqa: E731
            "Now action {number} {title}: {letters}?",
            number=nxt,
            title=title_of(action, limit) if action else "",
            letters=choice(t),
        )
    elif recorded:
        state = replace(state, step="note")
        lines.append(
            # TRANSLATORS: {period}: e.g. "the week of 23 Nov"; {items}: e.g. "1 done; 2 blocked". Sent by SMS: keep
            # it as short as the English.
            t(
                "Thank you. Recorded for {period}: {items}.",
                period=period_name(t, state.period),
                items=_echo(t, state, _sorted_answered(state)),
            )
        )
        # TRANSLATORS: SKIP: your language's skip word. Sent by SMS: keep it as short as the English.
        lines.append(t("To add a note, reply with it now (or SKIP)."))
    elif left:
        lines.append(_legend(t))
    if recorded:  # what UNDO takes back: this message's answers, and what stood before them
        state = replace(state, last={str(n): previous[str(n)] for n in recorded})
    text = fitted(lambda limit: " ".join(lines + [ask_next(limit)]), person.medium) if ask_next else " ".join(lines)
    return Outcome(state=state, replies=[Reply(text)], events=events)


def _undo(t: T, person: PersonView, state: WeeklyState) -> Outcome:
    """Take back the answers of the last message in this update."""
    last = state.last
    if not last:
        # TRANSLATORS: Sent by SMS: keep it as short as the English.
        return Outcome(state=state, replies=[Reply(t("There is nothing to undo."))])
    answered, figures = dict(state.answered), dict(state.figures)
    for number, before in last.items():
        figures.pop(number, None)
        if before is None:
            answered.pop(number, None)
        else:
            answered[number] = before
    numbers = sorted(int(n) for n in last)
    state = replace(state, answered=answered, figures=figures, last={}, step="statuses")
    event = ProgressRetracted(action_ids=tuple(state.actions[n - 1] for n in numbers), period=state.period)
    again = f"{numbers[0]}{letter(person.language, 'in_progress')}"
    return Outcome(
        state=state,
        events=[event],
        replies=[
            Reply(
                # TRANSLATORS: {numbers}: the actions whose answer was taken back, e.g. "1, 2"; {example}: e.g. "1P".
                # Sent by SMS: keep it as short as the English.
                t(
                    "Undone: {numbers}. Send the right status, e.g. {example}.",
                    numbers=listing(t, map(str, numbers)),
                    example=again,
                )
            )
        ],
    )


def _sorted_answered(state: WeeklyState) -> list[int]:
    return sorted(int(n) for n in state.answered)


class WeeklyFlow:
    """The weekly update as a Flow (conversations/flow.py). Only the bot starts it."""

    name: str = "weekly"
    state_type: type[WeeklyState] = WeeklyState
    command: str | None = None
    resumable: bool = False

    def start(self, person: PersonView, now: datetime, timeout: timedelta, token: str = "") -> Outcome | None:
        return start(person, now, timeout, token)

    def handle(self, person: PersonView, state: WeeklyState, text: str, now: datetime) -> Outcome:
        return handle(person, state, text, now)

    def takes(self, state: WeeklyState, text: str, language: str) -> bool:
        return state.step == "note" or bool(parse_statuses(text, language))

    def free_text(self, state: WeeklyState) -> bool:
        return False  # the note step also takes corrections (2B), STATUS and the other commands

    def expired_note(self, person: PersonView, state: WeeklyState) -> str:
        t = T(person.language, person.fallback_language)
        # TRANSLATORS: {period}: e.g. "the week of 23 Nov". Sent by SMS: keep it as short as the English.
        return t(
            "Your update for {period} has closed; what you sent is saved. The next one comes next week.",
            period=period_name(t, state.period),
        )

    def waiting_note(self, person: PersonView) -> str:
        t = T(person.language, person.fallback_language)
        # TRANSLATORS: Sent by SMS: keep it as short as the English.
        return t("Your weekly update is still open.")

    def status_line(self, person: PersonView, state: WeeklyState) -> str | None:
        t = T(person.language, person.fallback_language)
        if state.step != "statuses":
            return None
        # TRANSLATORS: a line of STATUS. {example}: e.g. "1D 2P". Sent by SMS: keep it as short as the English.
        return t("This week's update is waiting: reply e.g. {example}.", example=example(person.language))

    def busy(self, person: PersonView, state: WeeklyState) -> str | None:
        # An open weekly update is never dropped silently: finish it first.
        t = T(person.language, person.fallback_language)
        if state.step != "statuses":
            return None
        # TRANSLATORS: {example}: e.g. "1D 2P". REPORT: your language's report word. Sent by SMS: keep it as short as
        # the English.
        return t(
            "Please answer this week's update first (e.g. {example}), then send REPORT.",
            example=example(person.language),
        )

    def resume(self, person: PersonView, state: WeeklyState) -> str:
        return self.help_text(person, state)

    def help_text(self, person: PersonView, state: WeeklyState) -> str:
        t = T(person.language, person.fallback_language)
        if state.step == "note":
            # TRANSLATORS: SKIP: your language's skip word; 2B: action 2 blocked, with your language's letter for
            # blocked. Sent by SMS: keep it as short as the English.
            return t(
                "Reply with a short note to add it to this week's update, SKIP for none, "
                "or send another status to correct one, e.g. 2B."
            )
        # TRANSLATORS: {example}: e.g. "1D 2P"; {legend}: e.g. "D done, P in progress, N not started, B blocked".
        # UNDO: your language's undo word. Sent by SMS: keep it as short as the English.
        return t(
            "Reply number+status, e.g. {example} ({legend}), a note after it if you wish. "
            "UNDO takes back your last answer.",
            example=example(person.language),
            legend=legend(t),
        )


FLOW = WeeklyFlow()
