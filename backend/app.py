"""The web application, and in the embedded default also the worker and the sweep."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from backend.admin.routes import mount as mount_admin
from backend.db import schema_revisions
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
        """Liveness: the process answers. No credential, and it says nothing about the data."""
        return {"ok": True}

    @app.get("/readyz")
    def readyz():
        """Readiness: the database answers and its schema is current, and Redis answers when
        there is one. 503 naming what is not ready, so a load balancer sends traffic elsewhere."""
        checks: dict[str, str] = {}
        try:
            current, head = schema_revisions(ctx.db)
            checks["database"] = (
                "ok" if current == head else f"schema at {current}, code needs {head}: run nmirf db upgrade"
            )
        except outage_errors() as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        if ctx.settings.redis_url:
            try:
                from redis import Redis

                client = Redis.from_url(ctx.settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
                try:
                    client.ping()
                finally:
                    client.close()
                checks["redis"] = "ok"
            except outage_errors() as exc:
                checks["redis"] = f"unreachable ({type(exc).__name__})"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)

    return app
