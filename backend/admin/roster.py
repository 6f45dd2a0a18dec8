"""The roster page (institutions, their lead and substitutes, reachability), the roster CSV
import through the page (the same all-or-nothing importer as `nmirf import roster`), and the
roster CSV export (the importer's columns, so an export can be edited and imported again)."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from backend.accounts import audit
from backend.accounts.sessions import SignedIn
from backend.admin.guard import CHANGE, changer, csrf, reader
from backend.admin.i18n import _
from backend.admin.web import client_of, render
from backend.deps import context
from backend.imports.csvfile import ImportFailed, guard_cell
from backend.imports.roster import import_roster
from backend.reports import roster as report
from backend.roster.models import LEVELS
from backend.wiring.context import Context

router = APIRouter(prefix="/admin")

MAX_UPLOAD = 2 * 1024 * 1024  # the roster file itself
ENVELOPE = 64 * 1024  # the multipart framing and the CSRF field around it
TOO_LARGE = _(
    "The file is larger than 2 MB: split the roster into smaller files and import each. Nothing was imported."
)


def _page_number(value: str) -> int:
    return int(value) if value.isdigit() and 0 < len(value) < 7 else 1


@router.get("/roster")
def roster_page(
    request: Request,
    institution: str = "",
    level: str = "",
    region: str = "",
    person: str = "",
    page: str = "1",
    user: SignedIn = Depends(reader()),
    ctx: Context = Depends(context),
):
    if person and not person.isdigit():
        raise HTTPException(status_code=400, detail=_("person must be a person's number (from a link to the roster)"))
    if len(institution) > 40 or len(region) > 100:
        raise HTTPException(status_code=400, detail=_("That filter is longer than any institution or region."))
    try:
        with ctx.db.transaction() as db:
            view = report.roster(
                db,
                day=datetime.now(UTC).date(),
                institution=institution.strip(),
                level=level.strip(),
                region=region.strip(),
                person_id=int(person) if person else None,
                page=_page_number(page),
                addresses=user.role in CHANGE,
                configured=set(ctx.configured),
            )
    except report.FilterError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    filters = {"institution": institution, "level": level, "region": region, "person": person}
    return render(
        request,
        "roster.html",
        title=_("Roster"),
        view=view,
        filters=filters,
        query={k: v for k, v in filters.items() if v},
        levels=LEVELS,
        may_change=user.role in CHANGE,
        max_upload_mb=MAX_UPLOAD // (1024 * 1024),
        default_schedule=ctx.settings.reporting_schedule,
        default_escalation="reminders "
        + ",".join(f"{h:g}" for h in ctx.settings.reminder_delays_hours)
        + f" then {ctx.settings.escalation_delay_hours:g}",
    )


def bounded_upload(request: Request) -> None:
    """Refuse a body larger than the file limit allows before any of it is read (the form is
    parsed by the CSRF check next); a body sent in chunks, of unknown length, is refused too
    (a browser always gives a form's length)."""
    length = request.headers.get("content-length", "")
    if not length:
        if "chunked" in request.headers.get("transfer-encoding", "").lower():
            raise HTTPException(
                status_code=411, detail=_("Send the file from the import form (its length was not given).")
            )
        return  # no body at all
    if not length.isdigit() or int(length) > MAX_UPLOAD + ENVELOPE:
        raise HTTPException(status_code=413, detail=TOO_LARGE)


def _safe_name(filename: str | None) -> str:
    """The uploaded file's own name, for the report's `name:line:` (no path, plain characters)."""
    base = re.sub(r"[^\w.\- ]", "_", Path(filename or "").name)[:80].strip()
    return base if base.lower().endswith(".csv") else (base or "roster") + ".csv"


def _run_import(ctx: Context, data: bytes, name: str, username: str, client: str) -> dict[str, int]:
    """The CLI's import (backend/imports/roster.py) on the uploaded bytes, in one transaction with
    its audit entry; ImportFailed (nothing written) when any row is bad."""
    with tempfile.TemporaryDirectory(prefix="nmirf-roster-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        now = datetime.now(UTC)
        with ctx.db.transaction() as db:
            counts = import_roster(db, path)
            audit.record(
                db,
                username=username,
                action="roster_imported",
                now=now,
                detail=f"{name}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged",
                client=client,
            )
    return counts


@router.post("/roster/import", dependencies=[Depends(bounded_upload), Depends(csrf)])
async def roster_import(request: Request, user: SignedIn = Depends(changer()), ctx: Context = Depends(context)):
    form = await request.form()  # parsed once already, by the CSRF check
    try:
        return await _import_upload(request, form.get("file"), user, ctx)
    finally:
        await form.close()


async def _import_upload(request: Request, upload: object, user: SignedIn, ctx: Context):
    """At most MAX_UPLOAD bytes of the file read, then the import; its report or its counts."""

    def page(status_code: int = 200, **values):
        return render(
            request,
            "roster_import.html",
            status_code=status_code,
            title=_("Import the roster"),
            max_upload_mb=MAX_UPLOAD // (1024 * 1024),
            **values,
        )

    if not isinstance(upload, UploadFile) or not upload.filename:
        return page(400, error=_("Choose a roster CSV file to import."))
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return page(413, error=TOO_LARGE)
    name = _safe_name(upload.filename)
    try:
        counts = await run_in_threadpool(_run_import, ctx, data, name, user.username, client_of(request))
    except ImportFailed as exc:
        return page(400, name=name, problems=exc.problems)
    return page(name=name, counts=counts)


@router.get("/exports/roster.csv")
def roster_export(user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    """The roster in the importer's columns. A viewer's file has no phone or Telegram column
    (and says so in its name): it cannot be imported back, since the importer matches people on
    their phone. Cells that a spreadsheet would read as a formula are written behind an
    apostrophe, which the importer takes off again."""
    full = user.role in CHANGE
    columns = [c for c in report.EXPORT_COLUMNS if full or c not in report.ADDRESS_COLUMNS]
    with ctx.db.transaction() as db:
        rows = report.export_rows(db)
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark: spreadsheets then read the file as UTF-8 (names in any script)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([guard_cell(row.values[c]) for c in columns])
    filename = "roster.csv" if full else "roster-without-phone-numbers.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
