"""The registry of flows. To add one: a module implementing `conversations.flow.Flow` (with its
`<name>.mmd` diagram beside it), and one line in FLOWS below."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conversations import report, weekly
from conversations.flow import Flow
from conversations.state import FlowState, dump, load

FLOWS: tuple[Flow[Any], ...] = (
    weekly.FLOW,
    report.FLOW,
)


def flow_of(state: FlowState) -> Flow[Any]:
    """The registered flow a state belongs to."""
    return next(flow for flow in FLOWS if flow.name == state.flow)


def load_state(raw: Mapping[str, Any] | None) -> FlowState | None:
    """A stored state (any version) as its flow's dataclass; None when nothing waits (or its
    flow is no longer registered)."""
    return load(raw, {flow.name: flow.state_type for flow in FLOWS})


def dump_state(state: FlowState | None) -> dict[str, Any]:
    return dump(state)
