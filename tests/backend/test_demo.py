"""The README's first promise: `nmirf demo` (what deploy/demo.sh runs) brings up the product on
SQLite with no Redis, and a newcomer answers a weekly prompt through the simulator and sees the
update stored."""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading

import httpx

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nmirf(*args, env, **kw):
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def test_demo_chat_records_an_update(tmp_path):
    """Answering the demo prompt in the terminal chat stores progress visible in `nmirf progress list`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "TELEGRAM_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/demo.db", PYTHONPATH=str(ROOT), SWEEP_INTERVAL_SECONDS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "demo", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()

    def expect(fragment: str, timeout: float = 60) -> str:
        seen = []
        while True:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {fragment!r} in demo output:\n{''.join(seen)}") from None
            seen.append(line)
            if fragment in line:
                return line

    try:
        admin = expect("Admin view:")  # "Admin view: URL  user: demo  password: P  (shown once)"
        url, password = admin.split()[2], admin.split("password:")[1].split()[0]
        with httpx.Client(base_url=url.rsplit("/admin/", 1)[0]) as browser:
            page = browser.get("/admin/login").text  # the form carries its own token (and cookie)
            token = re.search(r'name="login_token" value="([^"]+)"', page).group(1)
            signed = browser.post(
                "/admin/login",
                data={"username": "demo", "password": password, "login_token": token},
                follow_redirects=True,
            )
            assert signed.status_code == 200 and "<h1>Overview</h1>" in signed.text
        expect("Week of")
        expect("Reply e.g. 1D 2P")
        expect("Meeting 1: Rights of the child cluster review")  # the demo's invitation
        proc.stdin.write("hello\n")
        proc.stdin.flush()
        expect("Sorry, I did not understand")
        proc.stdin.write("1P bill with legal drafters 2D\n")
        proc.stdin.flush()
        assert "1 in progress; 2 done" in expect("Thank you. Recorded for")
        proc.stdin.write("yes\n")
        proc.stdin.flush()
        expect("Did you mean meeting 1? If so, reply YES 1.")  # the note step could take "yes"
        proc.stdin.write("yes 1\n")
        proc.stdin.flush()
        expect("Thank you: you will attend meeting 1,")
        proc.stdin.write("/quit\n")
        proc.stdin.flush()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    listing = nmirf("progress", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "MOJ-1    in_progress Amina Yusuf - bill with legal drafters" in listing.stdout
    assert "MOJ-2    completed   Amina Yusuf" in listing.stdout
