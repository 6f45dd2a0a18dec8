"""The running context and what it is built from: `context.py` (Context, `ctx.work()`, and the
process's current context), `dispatch.py` (RQ on Redis or a thread in this process),
`pacing.py` (the providers' rate limits, shared through Redis). Everything else in the back end
sits above this package; nothing here imports it back."""
