"""The Flow protocol: what every conversation the engine can hold implements.

A flow is one conversation with steps that waits for the person's answers: the weekly update, a
community report. It keeps its state in a `FlowState` subclass and its texts in the catalogue. The
engine knows flows only through this protocol and the registry in `conversations/flows.py`; it
names none of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from conversations.state import FlowState
from conversations.views import Outcome, PersonView

S = TypeVar("S", bound=FlowState)


class Flow(Protocol[S]):
    name: str  # stored with the state: "weekly", "report"
    state_type: type[S]
    # The command meaning (keywords.txt) that starts it when the person sends it, e.g. "report";
    # None for a flow only the bot starts (the weekly prompt).
    command: str | None
    # Whether it may wait under a flow the bot starts (the weekly prompt) and resume after it.
    resumable: bool

    def start(self, person: PersonView, now: datetime, timeout: timedelta, token: str = "") -> Outcome | None:
        """The opening message and state; None when there is nothing to ask."""
        ...

    def handle(self, person: PersonView, state: S, text: str, now: datetime) -> Outcome:
        """The person's answer at the current step."""
        ...

    def takes(self, state: S, text: str, language: str) -> bool:
        """Could `text` be an answer at this step? (Then a bare YES/NO is not guessed to be a
        meeting's.)"""
        ...

    def free_text(self, state: S) -> bool:
        """True at a step that takes any text as written (a place, a description)."""
        ...

    def help_text(self, person: PersonView, state: S) -> str: ...

    def expired_note(self, person: PersonView, state: S) -> str:
        """What the person is told when the conversation expires unanswered."""
        ...

    def waiting_note(self, person: PersonView) -> str:
        """Said after an answer to something else (a meeting) while this flow waits."""
        ...

    def status_line(self, person: PersonView, state: S) -> str | None:
        """For STATUS: what this conversation waits for, if worth saying."""
        ...

    def busy(self, person: PersonView, state: S) -> str | None:
        """Why another flow may not start now (the statuses are awaited), or None."""
        ...

    def resume(self, person: PersonView, state: S) -> str:
        """Said when the conversation comes back after the one that waited over it."""
        ...
