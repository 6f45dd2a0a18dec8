"""The image installs the project's wheel (deploy/Dockerfile), not the source tree: what the code
reads beside itself (migrations, the SDG data, the admin templates and stylesheet) must be in the
wheel, and the catalogues are found through NMIRF_LOCALES_DIR as the image sets it. Built and
installed here into a folder of its own, the way the image does it, without Docker."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import DEMO, ROOT

CHECK = r"""
import sys
from pathlib import Path

site, demo = Path(sys.argv[1]), sys.argv[2]
import backend, conversations
assert Path(backend.__file__).is_relative_to(site), backend.__file__
assert Path(conversations.__file__).is_relative_to(site), conversations.__file__

from backend.cli import main
assert main(["db", "upgrade"]) == 0
assert main(["import", "roster", demo]) == 0

from conversations.i18n import available_languages, translations
assert {"ar", "fr", "th"} <= set(available_languages()), available_languages()
msgid = sys.argv[3]
assert translations("fr").gettext(msgid) != msgid, "the French catalogue is not found"

from fastapi.testclient import TestClient
from backend.app import create_app
from backend.cli.common import make_ctx

client = TestClient(create_app(make_ctx()))
page = client.get("/admin/login")
assert page.status_code == 200 and "<form" in page.text, page.status_code
assert client.get("/admin/static/style.css").status_code == 200
assert client.get("/readyz").json()["ready"] is True
print("ok")
"""


def a_french_msgid() -> str:
    """A message of the catalogue that has a French translation."""
    po = (ROOT / "locales" / "fr" / "LC_MESSAGES" / "messages.po").read_text()
    for msgid, msgstr in re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', po, re.M):
        if msgid != msgstr and "\\" not in msgid:
            return msgid
    raise AssertionError("no translated one-line message in the French catalogue")


def build_context(into: Path) -> Path:
    """What the Dockerfile's build stage copies, copied (no build/ or egg-info of the checkout)."""
    stage = (ROOT / "deploy" / "Dockerfile").read_text().split("\nFROM ")[1]  # the first stage
    for line in stage.splitlines():
        if line.startswith("COPY "):
            *sources, _dest = shlex.split(line)[1:]
            for src in sources:
                if (ROOT / src).is_dir():
                    shutil.copytree(ROOT / src, into / src, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(ROOT / src, into / src)
    return into


def test_the_wheel_the_image_installs_runs(tmp_path):
    wheels, site, work, src = (tmp_path / d for d in ("wheels", "site", "work", "src"))
    work.mkdir()
    src.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--wheel-dir", str(wheels), str(build_context(src))],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("nmirf_bot-*.whl")
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)], capture_output=True, text=True, timeout=120
    )
    assert installed.returncode == 0, installed.stderr[-3000:]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "NMIRF_", "PYTHON"))}
    env.update(
        PYTHONPATH=str(site),  # before this venv's editable install of the source tree
        NMIRF_LOCALES_DIR=str(ROOT / "locales"),  # the image: /app/locales
        PYTHAINLP_DATA=str(work / "pythainlp-data"),
        DATABASE_URL=f"sqlite:///{work}/nmirf.db",
    )
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(site), str(DEMO / "roster.csv"), a_french_msgid()],
        cwd=work,  # not the checkout: nothing is imported from it
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stdout[-2000:] + done.stderr[-3000:]
    assert not list(Path(site).glob("locales")), "the catalogues are not in the wheel: NMIRF_LOCALES_DIR finds them"
