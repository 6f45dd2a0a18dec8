"""conversations/flows.py and state.py: every flow implements the Flow protocol, keeps a diagram,
and stores its state as versioned JSON that older shapes upgrade to; a flow added to the registry
is reachable through the engine, which names none."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conversations import engine, flows, report, weekly
from conversations.state import VERSION, FlowState
from conversations.views import ActionView, ClusterView, Outcome, PersonView, Reply

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HERE = Path(flows.__file__).parent


def person(**changes) -> PersonView:
    values = dict(
        id=1,
        name="Amina Odhiambo",
        language="en",
        timezone="Africa/Nairobi",
        actions=(ActionView(101, "Draft the bill", "in_progress"), ActionView(102, "Train officers", "not_started")),
        report_actions=(ActionView(101, "Draft the bill", "in_progress"),),
        clusters=(ClusterView(7, "Rights of the child"),),
    )
    values.update(changes)
    return PersonView(**values)


def test_every_registered_flow_has_a_unique_name_its_state_type_and_a_diagram():
    """Flows are found by name; each keeps `<name>.mmd` beside its code."""
    names = [flow.name for flow in flows.FLOWS]
    assert len(names) == len(set(names)) and set(names) >= {"weekly", "report"}
    for flow in flows.FLOWS:
        assert flow.state_type.flow == flow.name
        lines = [line for line in (HERE / f"{flow.name}.mmd").read_text().splitlines() if not line.startswith("%%")]
        assert lines[0].startswith(("stateDiagram", "flowchart")), flow.name


def test_the_engine_names_no_flow():
    """Adding a flow never means editing the engine or the commands."""
    for module in ("engine.py", "commands.py"):
        source = (HERE / module).read_text()
        for flow in flows.FLOWS:
            assert f'"{flow.name}"' not in source and f"import {flow.name}" not in source, module


@pytest.mark.parametrize(
    "state",
    [
        weekly.WeeklyState(
            step="note",
            token="weekly:2026-W48",
            period="2026-W48",
            actions=(101, 102),
            answered={"1": "completed", "2": "blocked"},
            figures={"1": "12"},
            last={"2": None},
            expires_at=NOW + timedelta(hours=72),
        ),
        report.ReportState(
            step="what", choices=(("action", 101), ("cluster", 7)), cluster=7, locality="Kondele", expires_at=NOW
        ),
    ],
)
def test_states_survive_the_store(state):
    """What is stored is read back equal, with its version, through the one loader."""
    stored = flows.dump_state(state)
    assert stored["version"] == VERSION and stored["flow"] == state.flow
    assert flows.load_state(stored) == state


def test_a_report_waiting_under_the_weekly_update_is_stored_with_it():
    """The `then` chain is kept whole."""
    under = report.ReportState(step="where", action=101, choices=(("action", 101),), expires_at=NOW)
    over = weekly.WeeklyState(step="statuses", actions=(101,), expires_at=NOW, then=under)
    assert flows.load_state(flows.dump_state(over)) == over


def test_old_stored_shapes_are_upgraded_in_one_place():
    """A report stored before clusters existed kept its actions under "actions"; a weekly update
    stored before UNDO had no "figures" or "last"; neither had a version."""
    old_report = {"flow": "report", "step": "action", "actions": [101, 102], "expires_at": NOW.isoformat()}
    loaded = flows.load_state(old_report)
    assert loaded == report.ReportState(step="action", choices=(("action", 101), ("action", 102)), expires_at=NOW)
    old_weekly = {
        "flow": "weekly",
        "step": "statuses",
        "token": "weekly:2026-W48",
        "period": "2026-W48",
        "actions": [101, 102],
        "answered": {"1": "completed"},
        "expires_at": (NOW + timedelta(hours=72)).isoformat(),
        "then": old_report,
    }
    upgraded = flows.load_state(old_weekly)
    assert upgraded.figures == {} and upgraded.last == {} and upgraded.then == loaded
    out = engine.handle_text(person(), upgraded, "2B", NOW)  # and the conversation goes on
    assert out.events[0].action_id == 102 and out.state.step == "note"


def test_nothing_waits_for_a_flow_that_no_longer_exists():
    assert flows.load_state({"flow": "retired", "step": "x", "expires_at": NOW.isoformat()}) is None
    assert flows.load_state({}) is None and flows.load_state(None) is None


@dataclass(frozen=True, kw_only=True)
class EchoState(FlowState):
    flow = "echo"
    said: tuple[str, ...] = ()


class EchoFlow:
    """A flow a test registers with one line: started by a command word, repeats two answers."""

    name: str = "echo"
    state_type: type[EchoState] = EchoState
    command: str | None = "undo"  # any command meaning from keywords.txt
    resumable: bool = False

    def start(self, person, now, timeout, token=""):
        return Outcome(state=EchoState(step="first", expires_at=now + timeout), replies=[Reply("Say something.")])

    def handle(self, person, state, text, now):
        said = (*state.said, text)
        if len(said) == 2:
            return Outcome(state=None, replies=[Reply(" / ".join(said))])
        return Outcome(state=replace(state, said=said, step="second"), replies=[Reply("Once more.")])

    def takes(self, state, text, language):
        return True

    def free_text(self, state):
        return True

    def help_text(self, person, state):
        return "Echo help."

    def expired_note(self, person, state):
        return "Echo closed."

    def waiting_note(self, person):
        return "Echo waits."

    def status_line(self, person, state):
        return "Echo is waiting."

    def busy(self, person, state):
        return None

    def resume(self, person, state):
        return "Back to echo."


def test_a_flow_added_to_the_registry_is_reachable_through_the_engine(monkeypatch):
    """One module and one registry line: the engine starts it by its command, hands it the
    answers, helps with it, reports it in STATUS and stores its state."""
    monkeypatch.setattr(flows, "FLOWS", (*flows.FLOWS, EchoFlow()))
    p = person()
    out = engine.handle_text(p, None, "UNDO", NOW)
    assert out.replies[0].text == "Say something." and out.state.flow == "echo"
    assert engine.handle_text(p, out.state, "HELP", NOW).replies[0].text == "Echo help."
    assert flows.load_state(flows.dump_state(out.state)) == out.state
    out = engine.handle_text(p, out.state, "STATUS", NOW)  # free text here: taken as written
    out = engine.handle_text(p, out.state, "done", NOW)
    assert out.replies[0].text == "STATUS / done" and out.state is None
    assert engine.expired_note(p, EchoState(step="first", expires_at=NOW)) == "Echo closed."
