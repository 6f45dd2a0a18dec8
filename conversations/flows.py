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

BY_NAME: dict[str, Flow[Any]] = {flow.name: flow for flow in FLOWS}
STATE_TYPES: dict[str, type[FlowState]] = {flow.name: flow.state_type for flow in FLOWS}


def flow_of(state: FlowState) -> Flow[Any]:
    return BY_NAME[state.flow]


def load_state(raw: Mapping[str, Any] | None) -> FlowState | None:
    """A stored state (any version) as its flow's dataclass; None when nothing waits."""
    return load(raw, STATE_TYPES)


def dump_state(state: FlowState | None) -> dict[str, Any]:
    return dump(state)
