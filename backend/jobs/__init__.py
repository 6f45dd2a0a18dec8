"""Thin job entry points, run by RQ workers or the in-process thread (backend/wiring/dispatch.py
names them by dotted path): an id in, a service called, committed, what follows enqueued.
process.py handles an inbox row, send.py sends an outbox row, sweep.py re-enqueues what is
unfinished and runs due timers."""
