"""The fault suite: the product in real processes (`nmirf serve`, `nmirf worker`, `nmirf sweep
--loop`) on a real PostgreSQL and Redis, with fake providers, each case doing one bad thing to it
and counting what came in, was acknowledged, stored, sent, duplicated and lost.

    .venv/bin/python -m bench.faults [--case NAME] [--quick]

Results of the last full run: docs/faults.md."""
