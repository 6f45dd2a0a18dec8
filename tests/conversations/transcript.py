"""A chat transcript over the pure engine, so flow tests read like the conversation they check:

chat = Chat(person, now)
chat.prompt()              # the weekly prompt text (None when nothing is open)
chat.say("1D 2P")          # the bot's answer text
chat.events                # every domain event so far
"""

from __future__ import annotations

from datetime import datetime, timedelta

from conversations import engine, weekly
from conversations.state import FlowState
from conversations.views import Event, Outcome, PersonView

TIMEOUT = timedelta(days=3)


class Chat:
    def __init__(self, person: PersonView, now: datetime, *, timeout: timedelta = TIMEOUT, token: str = "tok-1"):
        self.person = person
        self.now = now
        self.timeout = timeout
        self.token = token
        self.state: FlowState | None = None
        self.events: list[Event] = []
        self.outcomes: list[Outcome] = []
        self.lines: list[tuple[str, str]] = []  # ("person" | "bot", text), for failure output

    def _apply(self, outcome: Outcome) -> str:
        self.outcomes.append(outcome)
        self.state = outcome.state
        self.events.extend(outcome.events)
        text = "\n".join(r.text for r in outcome.replies)
        self.lines.append(("bot", text))
        return text

    @property
    def last(self) -> Outcome:
        return self.outcomes[-1]

    @property
    def last_events(self) -> list[Event]:
        return self.outcomes[-1].events if self.outcomes else []

    def prompt(self) -> str | None:
        """Start this week's update; the prompt text, or None when the engine sends nothing."""
        outcome = engine.start(weekly.FLOW, self.person, self.state, self.now, self.timeout, self.token)
        if outcome is None:
            self.lines.append(("bot", "<no prompt>"))
            return None
        return self._apply(outcome)

    def say(self, text: str, *, at: datetime | None = None) -> str:
        """The person sends `text` (at `at`, default the chat's clock); the bot's reply, joined."""
        if at is not None:
            self.now = at
        self.lines.append(("person", text))
        return self._apply(engine.handle_text(self.person, self.state, text, self.now))

    def later(self, delta: timedelta) -> None:
        self.now = self.now + delta

    def transcript(self) -> str:
        return "\n".join(f"{who:>6}: {text}" for who, text in self.lines)

    def __repr__(self) -> str:  # shown by pytest when an assertion on the chat fails
        return f"Chat(\n{self.transcript()}\n)"
