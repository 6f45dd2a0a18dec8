"""The values the SMS cost table renders messages with: a realistic sample and the longest one
(tests/test_sms_budget_property.py generates others)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from conversations.views import ActionView, ClusterView, InvitationView


@dataclass(frozen=True)
class Sample:
    """The values the messages are rendered with."""

    now: datetime
    name: str  # the person's full name
    actions: tuple[ActionView, ...]
    invitations: tuple[InvitationView, ...]  # the first one's substitute answers SUB
    clusters: tuple[ClusterView, ...]
    answers: tuple[str, ...]  # a status per action, as answered (cycled)
    figure: str  # given for each action with an indicator
    lead: str  # the lead who sends this person in their place
    place: str  # where a community report's work was done
    away: date  # AWAY until
    wrong: tuple[int, ...]  # numbers given that are no action
    institution: str = "KNCHR"  # its short name
    overdue: tuple[str, ...] = ("MOJ", "NPS", "KNBS")  # institutions the secretariat's digest still awaits
    agenda: tuple[str, ...] = (  # the first invitation's meeting's agenda (AGENDA)
        "Opening and adoption of the agenda",
        "Progress on the CRC recommendations",
        "Any other business",
    )


def _action(n: int, title: str, indicator: str | None = None, status: str = "in_progress") -> ActionView:
    return ActionView(n, title, status, indicator)


REALISTIC = Sample(
    now=datetime(2026, 12, 28, 9, 0, tzinfo=UTC),
    name="Maximiliana Wanjiru-Achieng",
    actions=(
        _action(1, "Draft the Children Protection Bill and submit it to Cabinet"),
        _action(2, "Run a birth registration campaign in ten counties", "Children registered", "not_started"),
        _action(3, "Train police officers on investigating GBV cases", "Officers trained", "blocked"),
    ),
    invitations=(
        InvitationView(
            1234,
            "Review of the disability rights cluster recommendations",
            datetime(2026, 12, 30, 7, 0, tzinfo=UTC),
            "Sheria House, 4th floor, conference room B",
            "pending",
            "Maximiliana Wanjiru-Achieng",
        ),
        InvitationView(
            1240,
            "Children's rights cluster: progress on the CRC recommendations",
            datetime(2026, 12, 31, 7, 0, tzinfo=UTC),
            "Online",
            "pending",
        ),
    ),
    clusters=(ClusterView(9, "Rights of persons with disabilities and older persons"),),
    answers=("completed", "in_progress", "not_started", "blocked"),
    figure="1250",
    lead="Maximiliana Wanjiru-Achieng",
    place="Kakamega North Sub-County, Shinyalu Ward",
    away=date(2026, 12, 31),
    wrong=(5,),
)
LONG_NAME = "Łukasz Ğündoğdu-Wanjiru Achieng Nyambura Otieno-Kamau Odhi"  # 60 characters
LONGEST = replace(
    REALISTIC,
    now=datetime(2026, 8, 10, 9, 0, tzinfo=UTC),  # août, agosto, Agosti...
    name=LONG_NAME,
    actions=tuple(
        _action(n, f"Ensure access to justice for survivors in Muğla and Łódź, phase {n} of the plan", "People")
        for n in range(1, 11)
    ),
    invitations=tuple(
        replace(i, meeting_id=9990 + n, place="Muğla Şehir Salonu, Łódź, sala 4", substitute=LONG_NAME)
        for n, i in enumerate(REALISTIC.invitations + REALISTIC.invitations[:1])
    ),
    figure="1250000",
    lead=LONG_NAME,
    place="Ğündoğdu village, Łódź ward, Kakamega North",
    away=date(2026, 9, 30),
    wrong=(11, 12, 13),
    institution="MINGENDER-KE",
    overdue=tuple(f"MINGENDER-{n:02}" for n in range(12)),  # more than the ten the digest names by SMS
    agenda=tuple(f"Item {n}: review of the recommendations on access to justice in Muğla and Łódź" for n in range(8)),
)
