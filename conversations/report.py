"""Community-level report, started by the person at any time with REPORT: which action or
recommendation cluster (of any institution they serve, as lead or substitute), where, what was
done, how many people were reached. Stored as a progress update marked community level, with its
locality. Diagram: report.mmd."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from conversations.budget import cut, fitted, place_limit
from conversations.hints import command_hint
from conversations.i18n import T
from conversations.parse import command, normalise
from conversations.state import FlowState
from conversations.views import SMS, CommunityReported, Outcome, PersonView, Reply, iso_period


@dataclass(frozen=True, kw_only=True)
class ReportState(FlowState):
    """Steps: `action` (which action or cluster), `where`, `what`, `reached`."""

    flow = "report"
    choices: tuple[tuple[str, int], ...] = ()  # (kind, id) offered, numbered from 1; kind: action, cluster
    action: int | None = None
    cluster: int | None = None
    locality: str = ""
    what: str = ""


def _choices(person: PersonView) -> list[tuple[str, int, str]]:
    """(kind, id, title): the person's actions, then the clusters they answer."""
    sms = person.medium == SMS
    return [("action", a.id, (a.short_title or a.title) if sms else a.title) for a in person.report_actions] + [
        ("cluster", c.id, c.name) for c in person.clusters
    ]


def _title(person: PersonView, state: ReportState) -> str:
    for kind, ident, title in _choices(person):
        if getattr(state, kind) == ident:
            return title
    return ""


def start(person: PersonView, now: datetime, timeout: timedelta, token: str = "") -> Outcome:
    t = T(person.language, person.fallback_language)
    choices = _choices(person)
    if not choices:
        return Outcome(
            state=None,
            replies=[
                Reply(
                    # TRANSLATORS: {mechanism}: what officials call the mechanism, e.g. "NMIRF" (up to 40 characters).
                    # Sent by SMS: keep it as short as the English.
                    t(
                        "You have no action to report on. Please ask your {mechanism} secretariat.",
                        mechanism=person.mechanism,
                    )
                )
            ],
        )
    state = ReportState(
        step="action", choices=tuple((kind, ident) for kind, ident, _ in choices), expires_at=now + timeout
    )
    if len(choices) == 1:
        kind, ident, _title_ = choices[0]
        state = _chosen(state, kind, ident)
    return Outcome(state=state, replies=[Reply(question(person, state))])


def _chosen(state: ReportState, kind: str, ident: int) -> ReportState:
    """The report is about this action or cluster; next: where."""
    if kind == "cluster":
        return replace(state, step="where", cluster=ident)
    return replace(state, step="where", action=ident)


def question(person: PersonView, state: ReportState, before: str = "") -> str:
    """What the report asks at its current step (after `before`, if given)."""
    t = T(person.language, person.fallback_language)
    step = state.step
    if step == "action":
        # TRANSLATORS: the numbered actions and themes are listed below it. Sent by SMS: keep it as short as the
        # English.
        head = before + t("Community report. Which action or theme? Reply with its number:")
        return fitted(
            lambda limit: "\n".join(
                [head]
                + [f"{n} {t.isolated(cut(title, limit))}" for n, (_kind, _id, title) in enumerate(_choices(person), 1)]
            ),
            person.medium,
        )
    if step == "where":
        # TRANSLATORS: Sent by SMS: keep it as short as the English.
        return before + t("Where was it done (village, ward or town)?")
    if step == "what":
        # TRANSLATORS: Sent by SMS: keep it as short as the English.
        return before + t("What was done? A short description, please.")
    # TRANSLATORS: SKIP: your language's skip word. Sent by SMS: keep it as short as the English.
    return before + t("How many people were reached? Reply with a number, or SKIP.")


def resume(person: PersonView, state: ReportState) -> str:
    """Back to a report that waited while the weekly update was answered."""
    t = T(person.language, person.fallback_language)
    if state.step == "action":  # its question starts with "Community report." already
        return question(person, state)
    # TRANSLATORS: the question of the report's current step follows it. Sent by SMS: keep it as short as the English.
    return question(person, state, before=t("Back to your community report.") + " ")


def _ask(person: PersonView, state: ReportState) -> Outcome:
    return Outcome(state=state, replies=[Reply(question(person, state))])


def handle(person: PersonView, state: ReportState, text: str, now: datetime) -> Outcome:
    t = T(person.language, person.fallback_language)
    if command(text, person.language, ("skip",)) and state.step != "reached":
        # TRANSLATORS: Sent by SMS: keep it as short as the English.
        return Outcome(state=None, replies=[Reply(t("Report cancelled."))])
    step, answer = state.step, text.strip()
    if step == "action":
        number = normalise(answer).strip(" .)#")
        choices = state.choices
        if not number.isdecimal() or not 1 <= int(number) <= len(choices):
            return Outcome(
                state=state,
                # TRANSLATORS: {last}: the last choice's number, e.g. 4. Sent by SMS: keep it as short as the English.
                replies=[Reply(t("Please reply with a number from 1 to {last}.", last=len(choices)))],
            )
        kind, ident = choices[int(number) - 1]
        return _ask(person, _chosen(state, kind, ident))
    if step in ("where", "what"):  # taken as written, whatever word it starts with
        nxt = (
            replace(state, locality=answer[:100], step="what")
            if step == "where"
            else replace(state, what=answer[:500], step="reached")
        )
        outcome = _ask(person, nxt)
        hint = command_hint(person, text)
        if hint is not None:
            outcome.replies.insert(0, hint)
        return outcome
    reached = None
    if not command(text, person.language, ("skip",)):
        digits = normalise(answer).replace(",", "").replace(" ", "")
        if not digits.isdecimal() or len(digits) > 9:
            # TRANSLATORS: Sent by SMS: keep it as short as the English.
            return Outcome(state=state, replies=[Reply(t("Please reply with a number, e.g. 250, or SKIP."))])
        reached = int(digits)
    event = CommunityReported(
        action_id=state.action,
        cluster_id=state.cluster,
        locality=state.locality,
        note=state.what,
        people_reached=reached,
        period=iso_period(now),
    )
    text = fitted(
        # TRANSLATORS: {title}: the action or theme reported on (shortened to fit); {place}: the place the person
        # gave, e.g. "Kondele ward". Sent by SMS: keep it as short as the English.
        lambda limit: t(
            "Thank you. Community report recorded for {title}, in {place}.",
            title=cut(_title(person, state), limit),
            place=cut(state.locality, place_limit(person.medium, 40)),
        ),
        person.medium,
    )
    return Outcome(state=None, replies=[Reply(text)], events=[event])


class ReportFlow:
    """The community report as a Flow (conversations/flow.py): the person starts it with REPORT."""

    name: str = "report"
    state_type: type[ReportState] = ReportState
    command: str | None = "report"
    resumable: bool = True

    def start(self, person: PersonView, now: datetime, timeout: timedelta, token: str = "") -> Outcome:
        return start(person, now, timeout, token)

    def handle(self, person: PersonView, state: ReportState, text: str, now: datetime) -> Outcome:
        return handle(person, state, text, now)

    def takes(self, state: ReportState, text: str, language: str) -> bool:
        return self.free_text(state)

    def free_text(self, state: ReportState) -> bool:
        return state.step in ("where", "what")

    def expired_note(self, person: PersonView, state: ReportState) -> str:
        t = T(person.language, person.fallback_language)
        # TRANSLATORS: REPORT: your language's report word. Sent by SMS: keep it as short as the English.
        return t("Your community report was not finished and has closed. Send REPORT for a new one.")

    def waiting_note(self, person: PersonView) -> str:
        t = T(person.language, person.fallback_language)
        # TRANSLATORS: Sent by SMS: keep it as short as the English.
        return t("Your community report is still open.")

    def status_line(self, person: PersonView, state: ReportState) -> str | None:
        return None

    def busy(self, person: PersonView, state: ReportState) -> str | None:
        return None

    def resume(self, person: PersonView, state: ReportState) -> str:
        return resume(person, state)

    def help_text(self, person: PersonView, state: ReportState) -> str:
        t = T(person.language, person.fallback_language)
        # TRANSLATORS: SKIP: your language's skip word. Sent by SMS: keep it as short as the English.
        return t("Community report: answer each question, or SKIP to drop it.")


FLOW = ReportFlow()
