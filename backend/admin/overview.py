"""The overview: this period at a glance (backend/reports/overview.py), with the response-rate
trend drawn here as a small inline SVG bar chart (no script, no external file)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Request

from backend.accounts.sessions import SignedIn
from backend.admin.guard import reader
from backend.admin.i18n import _
from backend.admin.web import render
from backend.deps import context
from backend.reports import overview as report
from backend.wiring.context import Context

router = APIRouter(prefix="/admin")

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 480, 170, 18, 22, 30
NUMBERS = re.compile(r"\+?\d[\d ().-]{5,}\d")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under the bar: the period's last part ("W49", "12")
    figure: str  # above it: "80%" or "—"
    text: str  # in words, for the table and the accessible description


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    base: float  # the y of the axis
    bars: tuple[Bar, ...]
    description: str
    grid: tuple[tuple[float, str], ...]  # (y, "50%") lines


def in_words(period: str, rate: report.Rate) -> str:
    if rate.percent is None:
        return _(
            "{period}: {answered} of {prompted} answered (no rounds prompted)",
            period=period,
            answered=rate.answered,
            prompted=rate.prompted,
        )
    return _(
        "{period}: {answered} of {prompted} answered ({percent}%)",
        period=period,
        answered=rate.answered,
        prompted=rate.prompted,
        percent=rate.percent,
    )


def chart(trend: tuple[report.PeriodRate, ...]) -> Chart:
    """Bar geometry for the last periods' response rates (0-100%)."""
    plot = HEIGHT - TOP - BOTTOM
    base = TOP + plot
    slot = (WIDTH - LEFT) / max(len(trend), 1)
    bars = []
    for i, p in enumerate(trend):
        share = (p.rate.percent or 0) / 100
        h = round(plot * share, 1)
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.15, 1),
                y=round(base - h, 1),
                width=round(slot * 0.7, 1),
                height=h,
                label=p.period.rsplit("-", 1)[-1],
                figure="—" if p.rate.percent is None else f"{p.rate.percent}%",
                text=in_words(p.period, p.rate),
            )
        )
    grid = tuple((round(base - plot * f, 1), f"{int(f * 100)}%") for f in (0.5, 1.0))
    description: str = _("No rounds yet.")
    for i, b in enumerate(bars):  # "period: 3 of 4 answered (75%); ..." in the reader's language
        description = b.text if i == 0 else _("{first}; {then}", first=description, then=b.text)
    return Chart(WIDTH, HEIGHT, base, tuple(bars), description, grid)


def _hidden(text: str | None) -> str | None:
    """A provider's reason may quote the number it failed on: not for viewers' eyes."""
    return NUMBERS.sub("(number hidden)", text) if text else text


def page_number(value: str) -> int:
    """?page=N, or a 400 page saying what is wrong."""
    if not value.isdecimal() or not 1 <= int(value) <= 100_000:
        raise HTTPException(status_code=400, detail=_("The page number must be a whole number from 1."))
    return int(value)


@router.get("/")
def overview(request: Request, page: str = "1", user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    number = page_number(page)
    with ctx.db.transaction() as db:
        data = report.overview(db, now=datetime.now(UTC), configured=ctx.configured, page=number)
    addresses = user.role in ("admin", "secretariat")
    alerts = [(a, a.reason if addresses else _hidden(a.reason)) for a in data.alerts]
    unreachable = [
        (u, u.problems if addresses else tuple(_hidden(p) or "" for p in u.problems)) for u in data.unreachable.items
    ]
    return render(
        request,
        "overview.html",
        title=_("Overview"),
        data=data,
        chart=chart(data.trend),
        alerts=alerts,
        unreachable=unreachable,
        page=number,
        per_page=report.LIMIT,
    )
