"""FastAPI dependencies."""

from __future__ import annotations

from fastapi import Request

from backend.wiring.context import Context


def context(request: Request) -> Context:
    return request.app.state.ctx
