"""The admin pages' weight as a browser on a slow connection gets them: each page's HTML, its
stylesheet and any script it links, as the server sends them with `Accept-Encoding: gzip`, plus
the response headers. The same measurement as tests/admin/test_page_weight.py (which fails a
page at 60 KB), on the same data: the demo roster and catalogue, a meeting with invitations, a
broadcast, progress updates and a page of messages, in a fresh SQLite database.

    .venv/bin/python bench/page_weight.py

Prints a Markdown table (sizes in KB of 1,000 bytes) for bench/README.md.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from backend.migrations import upgrade
    from tests.admin.test_page_weight import LIMIT, measure, table

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/weight.db"
        upgrade(url)
        weights = measure(url)
    heaviest = max(weights, key=lambda w: w.total)
    print(f"Measured {datetime.now(UTC):%Y-%m-%d}; limit {LIMIT / 1000:.0f} KB per page.\n")
    print(table(weights))
    print(f"\nHeaviest: `{heaviest.page}` as {heaviest.role}, {heaviest.total / 1000:.1f} KB.")
    return 1 if heaviest.total >= LIMIT else 0


if __name__ == "__main__":
    raise SystemExit(main())
