#!/usr/bin/env bash
# Run nmirf-bot on the embedded default and chat with it:   bash deploy/demo.sh [--as +254700000001]
#
# Creates .venv (Python 3.11+), installs the project, creates the SQLite database var/nmirf.db,
# loads the demo roster, recommendations and actions (deploy/demo/), starts the server with its
# jobs and sweep in one process (no Redis), sends this week's prompt to the demo focal point and
# opens a chat with the bot in this terminal, through the local simulator channel.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        PY="$candidate"
        break
    fi
done
[ -n "$PY" ] || { echo "nmirf-bot needs Python 3.11 or newer (python3.11 not found)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
    echo "[demo] creating .venv with $PY"
    "$PY" -m venv .venv
fi
if ! .venv/bin/python -c 'import backend.cli' >/dev/null 2>&1; then
    echo "[demo] installing nmirf-bot into .venv (a minute or two the first time)"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e . </dev/null
fi
export DATABASE_URL="${DATABASE_URL:-sqlite:///var/nmirf.db}"
echo "[demo] database: $DATABASE_URL"
exec .venv/bin/nmirf demo "$@"
