"""Rendering pages: one Jinja2 environment (autoescaped), the signed-in user and their CSRF
token in every template, and small helpers the templates share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True)


def _when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) + (" UTC" if fmt.endswith("%M") else "") if value else "—"


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


env.filters["when"] = _when
env.globals["percent"] = _percent


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    values.setdefault("title", "")

    def csrf_field() -> Markup:
        token = user.csrf_token if user else ""
        return Markup('<input type="hidden" name="csrf_token" value="%s">') % escape(token)

    html = env.get_template(template).render(request=request, user=user, csrf_field=csrf_field, **values)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def client_of(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run uvicorn with
    --proxy-headers so that this is the browser's)."""
    return request.client.host if request.client else ""
