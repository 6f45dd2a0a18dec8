"""What every command group shares: building this process's running context."""

from __future__ import annotations

from backend.config import get_settings
from backend.wiring.context import Context, build_context, set_context


def make_ctx(run_jobs_here: bool = False) -> Context:
    ctx = build_context(get_settings())
    set_context(ctx)
    if run_jobs_here:
        ctx.dispatcher.start()
    return ctx


def finish_jobs(ctx: Context, timeout: float = 30) -> None:
    """In-process jobs (no Redis): wait until the ones this command queued are done."""
    wait_idle = getattr(ctx.dispatcher, "wait_idle", None)
    if wait_idle is not None:
        wait_idle(timeout)
        ctx.dispatcher.stop()
