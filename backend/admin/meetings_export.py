"""The attendance export: one CSV row per invitation, of one meeting or of all. Phone numbers
only for admin and secretariat; every cell that a spreadsheet would read as a formula is
quoted (OWASP's CSV injection advice)."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from backend.accounts.sessions import SignedIn
from backend.admin.guard import CHANGE, reader
from backend.admin.i18n import _
from backend.admin.meetings import number
from backend.deps import context
from backend.imports.csvfile import guard_cell
from backend.reports import meetings as reports
from backend.wiring.context import Context

router = APIRouter(prefix="/admin")

COLUMNS = ("meeting", "title", "starts", "institution", "person", "role", "answer", "answered_at")


def cell(value: object) -> str:
    """A cell a spreadsheet shows as text (backend/imports/csvfile.py `guard_cell`)."""
    return guard_cell("" if value is None else str(value))


def to_csv(rows: list[reports.AttendanceRow], *, phones: bool) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so that a spreadsheet reads the names as UTF-8 (Arabic, accents)
    writer = csv.writer(out)
    writer.writerow(COLUMNS + (("phone",) if phones else ()))
    for r in rows:
        answered = r.answered_at.strftime("%Y-%m-%d %H:%M UTC") if r.answered_at else ""
        values: tuple = (r.meeting_id, r.meeting, r.starts, r.institution, r.person, r.role, r.answer, answered)
        writer.writerow([cell(v) for v in values + ((r.phone,) if phones else ())])
    return out.getvalue()


@router.get("/exports/attendance.csv")
def attendance_csv(
    request: Request, meeting: str = "", user: SignedIn = Depends(reader()), ctx: Context = Depends(context)
):
    meeting_id = None
    if meeting.strip():
        meeting_id = number(meeting)
        if meeting_id is None:
            raise HTTPException(status_code=400, detail=_("meeting= takes a meeting's number, e.g. ?meeting=3."))
    phones = user.role in CHANGE
    with ctx.db.transaction() as db:
        if meeting_id is not None and not reports.exists(db, meeting_id=meeting_id):
            raise HTTPException(status_code=404, detail=_("There is no meeting {number}.", number=meeting_id))
        rows = reports.attendance(db, meeting_id=meeting_id, addresses=phones)
    name = f"attendance-{meeting_id}.csv" if meeting_id is not None else "attendance.csv"
    return Response(
        to_csv(rows, phones=phones),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
