"""`nmirf simulate week`: the newcomer's view of the rhythm, from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_simulated_week_shows_prompts_reminders_a_substitute_and_an_alert():
    run = subprocess.run(
        [sys.executable, "-m", "backend.cli", "simulate", "week"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    # Prompts at 09:00 local in three time zones.
    for zone in ("Africa/Nairobi", "Africa/Casablanca", "America/Asuncion"):
        assert f"Mon 09:00 {zone}" in out
    assert "Amina Yusuf [reminder]" in out and out.count("Amina Yusuf [reminder]") == 2
    assert "Peter Otieno [cover_note]: You cover for Amina Yusuf (MOJ)" in out
    assert "Peter Otieno [stand_down]" in out
    assert "Secretariat desk [alert]: Alert: nobody at NPS" in out
    assert "MOJ 2026" in out and "answered (answer from Amina Yusuf)" in out
    # A meeting: announced, confirmed by Amina and reminded; Grace silent, Samuel invited in her place.
    assert "Amina Yusuf [meeting_reminder]" in out
    assert "Samuel Kiprop [invitation]" in out and "in place of Grace Wanjiru" in out
    assert "Secretariat desk [digest]" in out
    # Grace answered on Monday: never reminded.
    assert "Grace Wanjiru [reminder]" not in out
