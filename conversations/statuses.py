"""An action's status as people read it: its label, and which actions are still open."""

from __future__ import annotations

from conversations.i18n import T
from conversations.views import ActionView, PersonView


def status_label(t: T, status: str) -> str:
    return {
        "completed": t("done"),
        "in_progress": t("in progress"),
        "not_started": t("not started"),
        "blocked": t("blocked"),
    }[status]


def open_actions(person: PersonView) -> list[ActionView]:
    return [a for a in person.actions if a.status != "completed"]
