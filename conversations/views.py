"""What the engine sees of the world (read-only views built by the backend), what it is given,
and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from bot.message import ReplyButton
from conversations.state import FlowState

STATUSES = ("not_started", "in_progress", "completed", "blocked")

# What carries the message: an SMS (segment budgets, short titles) or a chat app (Telegram,
# WhatsApp, the simulator: full titles, within the app's own limit).
SMS, CHAT = "sms", "chat"


@dataclass(frozen=True)
class ActionView:
    id: int
    title: str  # in full, in the person's language when the secretariat gave one
    status: str  # latest reported status
    indicator: str | None = None  # name of the figure to report, if the action has one
    short_title: str | None = None  # what SMS lists show, when the secretariat gave one


@dataclass(frozen=True)
class ClusterView:
    """A thematic group of recommendations a community report may be about."""

    id: int
    name: str


@dataclass(frozen=True)
class InvitationView:
    """An invitation to a meeting that has not started yet."""

    meeting_id: int  # the number the person quotes: "YES 12"
    title: str
    starts_at: datetime  # aware
    place: str
    status: str  # pending, confirmed or declined
    substitute: str | None = None  # who would go in their place (SUB), if anyone can
    sent_by: str | None = None  # the lead who sent this person in their place


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    language: str
    timezone: str
    fallback_language: str = "en"  # the deployment's DEFAULT_LANGUAGE: where a missing translation falls back
    mechanism: str = "NMIRF"  # the deployment's MECHANISM_NAME: what messages call the mechanism
    medium: str = SMS  # SMS or CHAT: what the replies will be carried by
    institution: str = ""
    actions: tuple[ActionView, ...] = ()  # what they report on weekly (as today's lead)
    invitations: tuple[InvitationView, ...] = ()
    # What a community report may be about: the actions of every institution they serve (lead or
    # substitute), and the recommendation clusters of those actions.
    report_actions: tuple[ActionView, ...] = ()
    clusters: tuple[ClusterView, ...] = ()


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[ReplyButton, ...] = ()


@dataclass(frozen=True)
class ProgressReported:
    """Store a progress update."""

    action_id: int
    status: str
    period: str
    note: str | None = None
    indicator_value: Decimal | None = None


@dataclass(frozen=True)
class NoteAdded:
    """Attach a note to this period's latest update of each action."""

    action_ids: tuple[int, ...]
    period: str
    note: str


@dataclass(frozen=True)
class ProgressRetracted:
    """UNDO: withdraw this period's latest update by this person on each action."""

    action_ids: tuple[int, ...]
    period: str


@dataclass(frozen=True)
class LanguageChanged:
    """The person chose another language (LANG)."""

    language: str


@dataclass(frozen=True)
class AvailabilityChanged:
    """AWAY until a date (inclusive), or BACK (None)."""

    until: date | None


@dataclass(frozen=True)
class CommunityReported:
    """A community-level report (REPORT): stored as a progress update marked community level,
    on an action or on a recommendation cluster."""

    action_id: int | None
    locality: str
    note: str
    people_reached: int | None
    period: str
    cluster_id: int | None = None


@dataclass(frozen=True)
class AttendanceAnswered:
    """The answer to a meeting invitation: confirmed, declined, or delegated to the substitute."""

    meeting_id: int
    answer: str


Event = (
    ProgressReported
    | ProgressRetracted
    | NoteAdded
    | LanguageChanged
    | AvailabilityChanged
    | CommunityReported
    | AttendanceAnswered
)


@dataclass
class Outcome:
    """What handling one input produced: the new session state (None: no open conversation),
    replies to send, and domain events to store, all in one transaction."""

    state: FlowState | None
    replies: list[Reply] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def iso_period(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"
