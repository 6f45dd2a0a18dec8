"""Community-level report, started by the person at any time with REPORT: which action or
recommendation cluster (of any institution they serve, as lead or substitute), where, what was
done, how many people were reached. Stored as a progress update marked community level, with its
locality. Diagram: report.mmd."""
from __future__ import annotations

from datetime import datetime, timedelta

from conversations.i18n import T
from conversations.parse import command, normalise
from conversations.views import CommunityReported, Outcome, PersonView, Reply, iso_period
from conversations.budget import cut, fitted

FLOW = "report"


def _choices(person: PersonView) -> list[tuple[str, int, str]]:
    """(kind, id, title): the person's actions, then the clusters they answer."""
    return ([("action", a.id, a.title) for a in person.report_actions]
            + [("cluster", c.id, c.name) for c in person.clusters])


def _title(person: PersonView, state: dict) -> str:
    for kind, ident, title in _choices(person):
        if state.get(kind) == ident:
            return title
    return ""


def start(person: PersonView, now: datetime, timeout: timedelta) -> Outcome:
    t = T(person.language)
    choices = _choices(person)
    if not choices:
        return Outcome(state=None, replies=[Reply(t("You have no action to report on. Please ask your NMIRF secretariat."))])
    state = {"flow": FLOW, "step": "action", "choices": [[kind, ident] for kind, ident, _ in choices],
             "expires_at": (now + timeout).isoformat()}
    if len(choices) == 1:
        kind, ident, _title_ = choices[0]
        state = {**state, kind: ident, "step": "where"}
    return Outcome(state=state, replies=[Reply(question(person, state))])


def question(person: PersonView, state: dict, before: str = "") -> str:
    """What the report asks at its current step (after `before`, if given)."""
    t = T(person.language)
    step = state["step"]
    if step == "action":
        head = before + t("Community report. Which action or theme? Reply with its number:")
        return fitted(lambda limit: "\n".join(
            [head] + [f"{n} {cut(title, limit)}" for n, (_kind, _id, title) in enumerate(_choices(person), 1)]))
    if step == "where":
        return before + t("Where was it done (village, ward or town)?")
    if step == "what":
        return before + t("What was done? A short description, please.")
    return before + t("How many people were reached? Reply with a number, or SKIP.")


def resume(person: PersonView, state: dict) -> str:
    """Back to a report that waited while the weekly update was answered."""
    t = T(person.language)
    if state["step"] == "action":  # its question starts with "Community report." already
        return question(person, state)
    return question(person, state, before=t("Back to your community report.") + " ")


def _ask(person: PersonView, state: dict) -> Outcome:
    return Outcome(state=state, replies=[Reply(question(person, state))])


def handle(person: PersonView, state: dict, text: str, now: datetime) -> Outcome:
    t = T(person.language)
    if command(text, person.language, ("skip",)) and state["step"] != "reached":
        return Outcome(state=None, replies=[Reply(t("Report cancelled."))])
    step, answer = state["step"], text.strip()
    if step == "action":
        number = normalise(answer).strip(" .)#")
        # (a report started before clusters were offered kept its action ids under "actions")
        choices = state.get("choices") or [["action", ident] for ident in state.get("actions", ())]
        if not number.isdecimal() or not 1 <= int(number) <= len(choices):
            return Outcome(state=state, replies=[Reply(t("Please reply with a number from 1 to {last}.",
                                                         last=len(choices)))])
        kind, ident = choices[int(number) - 1]
        return _ask(person, {**state, kind: ident, "step": "where"})
    if step == "where":
        return _ask(person, {**state, "locality": answer[:100], "step": "what"})
    if step == "what":
        return _ask(person, {**state, "what": answer[:500], "step": "reached"})
    reached = None
    if not command(text, person.language, ("skip",)):
        digits = normalise(answer).replace(",", "").replace(" ", "")
        if not digits.isdecimal() or len(digits) > 9:
            return Outcome(state=state, replies=[Reply(t("Please reply with a number, e.g. 250, or SKIP."))])
        reached = int(digits)
    event = CommunityReported(action_id=state.get("action"), cluster_id=state.get("cluster"),
                              locality=state["locality"], note=state["what"], people_reached=reached,
                              period=iso_period(now))
    text = fitted(lambda limit: t("Thank you. Community report recorded for {title}, in {place}.",
                                  title=cut(_title(person, state), limit), place=cut(state["locality"], 40)))
    return Outcome(state=None, replies=[Reply(text)], events=[event])


def takes(state: dict, text: str, language: str) -> bool:
    return free_text(state)


def expired_note(person: PersonView, state: dict) -> str:
    t = T(person.language)
    return t("Your community report was not finished and has closed. "
             "Send REPORT to start again.")


def waiting_note(person: PersonView) -> str:
    t = T(person.language)
    return t("Your community report is still open.")


def free_text(state: dict) -> bool:
    return state["step"] in ("where", "what")


def help_text(person: PersonView, state: dict) -> str:
    t = T(person.language)
    return t("Community report: answer each question, or SKIP to cancel.")
