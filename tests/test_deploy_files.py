"""The Docker files in deploy/ are for users; no Docker engine runs here, so check what can be
checked: every file the image copies exists, and every command compose runs is a real command."""

import re
import shlex
from pathlib import Path

import yaml

from backend.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def test_dockerfile_copies_existing_paths():
    """The image build would not fail on a missing path."""
    for line in (ROOT / "deploy" / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, _dest = shlex.split(line)[1:]
            for src in sources:
                assert (ROOT / src).exists(), f"Dockerfile copies {src}, which does not exist"


def test_compose_commands_are_nmirf_commands():
    """Each service runs a command the `nmirf` CLI accepts."""
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    parser = build_parser()
    cmd = re.search(r"CMD \[(.*)\]", (ROOT / "deploy" / "Dockerfile").read_text()).group(1)
    commands = [[c.strip().strip('"') for c in cmd.split(",")]]
    commands += [
        svc["command"] for svc in compose["services"].values() if "command" in svc and svc["command"][0] == "nmirf"
    ]
    assert len(commands) == 3
    for command in commands:
        parser.parse_args(command[1:])
