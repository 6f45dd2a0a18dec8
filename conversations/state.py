"""A waiting conversation's state: one frozen dataclass per flow, stored as versioned JSON.

Every flow's state shares `step`, `expires_at` and `then` (a person-started conversation that
waits under a bot-started one and resumes after it). The flow's own fields are declared on its
subclass (`WeeklyState`, `ReportState`, ...), each with a default.

`dump` writes `{"version": VERSION, "flow": ..., <fields>}`; `load` reads any shape ever stored,
upgrading older ones in `_upgrade` (the only place that knows them), and gives None for a
conversation of a flow that no longer exists. JSON lists come back as tuples.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

VERSION = 2


@dataclass(frozen=True, kw_only=True)
class FlowState:
    flow: ClassVar[str] = ""
    step: str
    expires_at: datetime  # aware
    then: FlowState | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def action_ids(self) -> tuple[int, ...]:
        """Actions this conversation refers to (their titles are needed even if no longer assigned)."""
        return ()


def dump(state: FlowState | None) -> dict[str, Any]:
    """The JSON-ready form of a state ({} for none)."""
    if state is None:
        return {}
    out: dict[str, Any] = {"version": VERSION, "flow": state.flow}
    for f in dataclasses.fields(state):
        value = getattr(state, f.name)
        if f.name == "expires_at":
            value = value.isoformat()
        elif f.name == "then":
            value = dump(value) or None
        out[f.name] = _jsonable(value)
    return out


def load(raw: Mapping[str, Any] | None, types: Mapping[str, type[FlowState]]) -> FlowState | None:
    """The state stored as `raw` (any version), as the dataclass of its flow."""
    if not raw:
        return None
    data = _upgrade(dict(raw))
    cls = types.get(data.get("flow", ""))
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: _tuples(v) for k, v in data.items() if k in names and k not in ("expires_at", "then")}
    then = load(data.get("then"), types) if data.get("then") else None
    return cls(**values, expires_at=datetime.fromisoformat(data["expires_at"]), then=then)


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Older stored shapes, made current. Version 1 had no `version` key; its report kept the
    action ids it offered under `actions` (before clusters could be offered too)."""
    if data.get("version", 1) < 2:
        if data.get("flow") == "report" and "choices" not in data:
            data["choices"] = [["action", ident] for ident in data.get("actions", ())]
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value
