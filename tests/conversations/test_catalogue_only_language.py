"""A language CLDR has no data for (Marshallese, `mh`) works from its catalogue alone: its
messages, its keywords, its own name in the LANG list, and dates written as neutral numbers.

The catalogue is made here, in a copy of locales/, and the bot is run in a child process that
reads that copy (NMIRF_LOCALES_DIR), as a deployment adding its own language would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[2]

# A few messages in Marshallese; the rest of the catalogue falls back to English.
MARSHALLESE = {
    "(name of this language)": "Kajin M̧ajeļ",
    "Week of {date}:": "Wiik in {date}:",
    "Language set to {language}.": "Kajin eo: {language}.",
}
KEYWORDS = """completed: dedo, emooj
in_progress: ijino
lang: kajin
away: ejelok
"""

SCRIPT = r"""
import json, sys
from datetime import UTC, datetime, timedelta
from conversations import engine, weekly
from conversations.i18n import available_languages
from conversations.parse import parse_statuses
from conversations.views import CHAT, ActionView, InvitationView, PersonView
from conversations.attendance import when

now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
p = PersonView(id=1, name="Kino", language="mh", timezone="Pacific/Majuro",
               actions=(ActionView(1, "Birth registration campaign", "in_progress"),))
prompt = engine.start(weekly.FLOW, p, None, now, timedelta(hours=72), token="weekly:2026-W49")
answer = engine.handle_text(p, prompt.state, "1 dedo", now)
away = engine.handle_text(p, None, "ejelok 15/12", now)
lang = engine.handle_text(PersonView(id=1, name="Kino", language="en", timezone="UTC", medium=CHAT), None, "LANG", now)
switch = engine.handle_text(p, None, "kajin mh", now)
meeting = InvitationView(1, "Review", datetime(2026, 12, 3, 22, 0, tzinfo=UTC), "Majuro", "pending")
print(json.dumps({
    "languages": available_languages(),
    "prompt": prompt.replies[0].text,
    "answer": [type(e).__name__ for e in answer.events],
    "status": parse_statuses("1 emooj", "mh")[0].status,
    "away": away.replies[0].text,
    "lang": lang.replies[0].text,
    "switch": switch.replies[0].text,
    "when": when(p, meeting),
}))
"""


def _catalogue(tree: Path) -> None:
    mh = Catalog(locale=None, project="nmirf-bot")
    for source, translation in MARSHALLESE.items():
        mh.add(source, translation)
    out = tree / "mh" / "LC_MESSAGES" / "messages.po"
    out.parent.mkdir(parents=True)
    with out.open("wb") as fh:
        write_po(fh, mh)
    (tree / "mh" / "keywords.txt").write_text(KEYWORDS, encoding="utf-8")


def test_a_language_without_cldr_data_works_from_its_catalogue(tmp_path):
    tree = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", tree)
    _catalogue(tree)
    env = {**os.environ, "NMIRF_LOCALES_DIR": str(tree)}
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert "mh" in out["languages"]
    # The week's Monday in the person's time zone, as numbers: no month name to take from CLDR.
    assert out["prompt"].startswith("Wiik in 30/11:")
    assert out["answer"] == ["ProgressReported"] and out["status"] == "completed"
    assert "2026-12-15" in out["away"]  # "Noted: you are away until 2026-12-15..."
    assert "mh (Kajin M̧ajeļ)" in out["lang"]
    assert out["switch"] == "Kajin eo: Kajin M̧ajeļ."
    assert out["when"] == "2026-12-04 10:00"  # Majuro is UTC+12
