"""`nmirf worker` and `nmirf sweep --loop` ride out a lost Redis: they log the outage once, wait
with backoff, reconnect, and never exit."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int, tmp_path) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: run the suite with `bash deploy/test.sh`")
        pytest.skip("redis-server is not installed")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("redis-server did not start")


def test_worker_and_sweep_survive_redis_going_away(tmp_path):
    port = free_port()
    redis = start_redis(port, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/n.db",
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        SWEEP_INTERVAL_SECONDS="0.2",
        PYTHONPATH=str(ROOT),
    )
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    logs = {name: open(tmp_path / f"{name}.log", "w+") for name in ("worker", "sweep")}
    procs = {
        "worker": subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
        "sweep": subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "sweep", "--loop"],
            cwd=ROOT,
            env=env,
            stdout=logs["sweep"],
            stderr=subprocess.STDOUT,
        ),
    }
    try:
        from redis import Redis

        client = Redis(port=port)
        deadline = time.monotonic() + 60  # both up: the sweep said so, the worker registered
        while not ("sweeping every" in (tmp_path / "sweep.log").read_text() and client.smembers("rq:workers")):
            assert time.monotonic() < deadline, "worker or sweep did not start"
            assert all(p.poll() is None for p in procs.values())
            time.sleep(0.1)
        client.close()
        time.sleep(0.5)
        redis.kill()
        redis.wait()
        time.sleep(4)  # several sweep intervals and worker polls without Redis
        for name, proc in procs.items():
            assert proc.poll() is None, f"{name} exited during the outage: {(tmp_path / f'{name}.log').read_text()}"
        redis = start_redis(port, tmp_path)  # Redis is back, empty
        time.sleep(4)
        for name, proc in procs.items():
            assert proc.poll() is None, f"{name} exited after the outage"
        sweep_log = (tmp_path / "sweep.log").read_text()
        worker_log = (tmp_path / "worker.log").read_text()
        assert sweep_log.count("unreachable") == 1, (sweep_log, worker_log)  # logged once per outage, not per try
        assert "reachable again" in sweep_log
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.kill()
