"""The web application, and in the embedded default also the worker and the sweep."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from backend.admin.routes import mount as mount_admin
from backend.inbox import routes, simulator
from backend.jobs.sweep import sweep
from backend.wiring.context import Context, Outage, outage_errors, set_context

log = logging.getLogger(__name__)


class Sweeper:
    """Runs the sweep every `interval` seconds in a background thread."""

    def __init__(self, ctx: Context, interval: float):
        self.ctx, self.interval = ctx, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        outage, errors = Outage("database"), outage_errors()
        while not self._stop.wait(self.interval):
            try:
                sweep(self.ctx, datetime.now(UTC))
            except errors as exc:  # logged once per outage; tried again next time
                outage.failed(exc)
                continue
            except Exception:  # noqa: BLE001 - a sweep that fails is tried again next time
                log.exception("sweep failed")
                continue
            outage.recovered()


def create_app(ctx: Context, *, run_jobs: bool = False) -> FastAPI:
    """`run_jobs`: also run the job thread and the sweep here (embedded default, no Redis)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        set_context(ctx)
        sweeper = None
        if run_jobs:
            ctx.dispatcher.start()
            sweeper = Sweeper(ctx, ctx.settings.sweep_interval_seconds)
            sweeper.start()
        try:
            yield
        finally:
            if sweeper:
                sweeper.stop()
                ctx.dispatcher.stop()

    # No open /docs or /openapi.json: the API's own documentation is at /api/docs, for
    # signed-in users.
    app = FastAPI(title="nmirf-bot", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.include_router(routes.router(ctx.channels))
    if "simulator" in ctx.channels:  # SIMULATOR_ENABLED: otherwise its routes do not exist
        app.include_router(simulator.router)
    mount_admin(app, ctx)

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    return app
