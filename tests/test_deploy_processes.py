"""deploy/compose.yaml's process layout, run without Docker: the same `nmirf` commands compose
runs (read from compose.yaml: the schema upgrade, two web processes, a worker, the sweep) as
processes on this machine, against the suite's PostgreSQL and Redis. A message posted to one
web process's simulator webhook is answered, and the answer is read from the other web process:
the processes share nothing but the database and Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import DEMO, service_url
from tests.test_deploy_files import of_kind, option

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PHONE = "+254700000001"  # Amina, in deploy/demo/roster.csv
DEADLINE_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nmirf(command: list[str]) -> list[str]:
    """compose's `nmirf ...` as this venv's console script (the image's is on its PATH)."""
    script = Path(sys.executable).parent / "nmirf"
    return [str(script), *command[1:]] if script.exists() else [sys.executable, "-m", "backend.cli", *command[1:]]


def on_port(command: list[str], port: int) -> list[str]:
    """A web command on this machine: loopback and a free port instead of 0.0.0.0:8000."""
    command = list(command)
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    return command


@pytest.fixture
def database():
    admin = service_url("TEST_POSTGRES_URL")
    name = f"nmirf_deploy_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(engine.url.set(database=name).render_as_string(hide_password=False))
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


class Processes:
    def __init__(self, env: dict[str, str], cwd: Path):
        self.env, self.cwd = env, cwd
        self.running: dict[str, subprocess.Popen] = {}

    def run(self, name: str, command: list[str], timeout: float = 45) -> None:
        done = subprocess.run(command, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{name}: {' '.join(command)} exited {done.returncode}\n{done.stderr[-3000:]}"

    def start(self, name: str, command: list[str]) -> None:
        log = open(self.cwd / f"{name}.log", "w")
        self.running[name] = subprocess.Popen(
            command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def logs(self) -> str:
        return "\n".join(
            f"----- {name} (exit {proc.poll()}) -----\n{(self.cwd / f'{name}.log').read_text()[-2000:]}"
            for name, proc in self.running.items()
        )

    def assert_running(self) -> None:
        dead = [name for name, proc in self.running.items() if proc.poll() is not None]
        assert not dead, f"{dead} exited\n{self.logs()}"

    def stop(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.running.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def wait_for(what: str, check, deadline: float, procs: Processes):
    last = None
    while time.monotonic() < deadline:
        procs.assert_running()
        try:
            last = check()
            if last:
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    pytest.fail(f"{what} within {DEADLINE_SECONDS} s (last: {last!r})\n{procs.logs()}")


def test_compose_layout_runs_as_processes(database, redis_url, tmp_path):
    deadline = time.monotonic() + DEADLINE_SECONDS
    (migrate,) = of_kind("db", "upgrade").values()
    web = list(of_kind("serve").values())
    (worker, *_) = of_kind("worker").values()
    (sweep,) = of_kind("sweep").values()
    assert len(web) == 2
    ports = [free_port(), free_port()]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "TELEGRAM_", "TWILIO_"))}
    env.update(
        DATABASE_URL=database,
        REDIS_URL=redis_url,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{ports[0]}",
        SIMULATOR_ENABLED="true",  # the one setting production never has: a pretend phone
        SWEEP_INTERVAL_SECONDS="1",
    )
    procs = Processes(env, tmp_path)  # cwd: a folder with no .env in it
    try:
        procs.run("migrate", nmirf(migrate))
        procs.run("import", nmirf(["nmirf", "import", "roster", str(DEMO / "roster.csv")]))
        for i, (command, port) in enumerate(zip(web, ports), 1):
            assert option(command, "--port") == "8000"
            procs.start(f"web-{i}", nmirf(on_port(command, port)))
        procs.start("worker", nmirf(worker))
        procs.start("sweep", nmirf(sweep))
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) for port in ports]

        for client in clients:
            wait_for(f"{client.base_url} ready", lambda c=client: c.get("/readyz").status_code == 200, deadline, procs)

        sent = clients[0].post("/webhooks/simulator", json={"from": PHONE, "text": "HELP", "id": uuid.uuid4().hex})
        assert sent.status_code == 200, sent.text

        def answered():
            return clients[1].get("/simulator/messages", params={"phone": PHONE, "after": 0}).json()["messages"]

        messages = wait_for("an answer, read from the other web process", answered, deadline, procs)
        assert messages[0]["text"].strip()

        for client in clients:
            ready = client.get("/readyz")
            assert ready.status_code == 200 and ready.json() == {"ready": True, "database": "ok", "redis": "ok"}
            assert client.get("/healthz").json() == {"ok": True}
        procs.assert_running()  # worker and sweep too: nothing fell over on the way
        for client in clients:
            client.close()
    finally:
        procs.stop()
    assert all(proc.poll() is not None for proc in procs.running.values())
