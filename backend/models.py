"""Every table, imported in one place so that metadata (and Alembic) sees them all."""

from backend.accounts.models import AdminUser, ApiToken, AuditEntry, WebSession  # noqa: F401
from backend.broadcast.models import Broadcast  # noqa: F401
from backend.catalog.models import Action, Cluster, Recommendation, SdgGoal, SdgTarget  # noqa: F401
from backend.db import Base  # noqa: F401
from backend.inbox.models import InboxMessage  # noqa: F401
from backend.meetings.models import Invitation, Meeting  # noqa: F401
from backend.outbox.models import AddressState, OutboxMessage  # noqa: F401
from backend.progress.models import ProgressUpdate  # noqa: F401
from backend.progress.rounds import ReportingRound, RoundStep  # noqa: F401
from backend.roster.models import FocalPoint, Institution, Person  # noqa: F401
from backend.sessions.models import ConversationSession, Fire  # noqa: F401
