"""A throwaway PostgreSQL 15 and Redis for one run, started the way deploy/test.sh starts them:
free loopback ports, data under /tmp, PostgreSQL as the unprivileged system user (nmirf-pg, or
$NMIRF_PG_OS_USER) through runuser when run as root. Either can be stopped and started again
mid-run (the fault cases do); `Services` stops both on exit, whatever happened.

    with Services() as svc:
        url = svc.create_database("nmirf_case1")   # postgresql+psycopg://postgres@127.0.0.1:P/nmirf_case1
        svc.redis_url                              # redis://127.0.0.1:P/0
        svc.stop_postgres(); svc.start_postgres()
        svc.stop_redis(); svc.start_redis()        # Redis comes back empty (no persistence)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_DB_USER = "postgres"
PG_OS_USER = os.environ.get("NMIRF_PG_OS_USER", "nmirf-pg")
PG_CANDIDATES = ("/usr/local/bin", "/usr/lib/postgresql/15/bin")


class ServiceError(RuntimeError):
    pass


def free_port(start: int) -> int:
    for port in range(start, start + 200):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ServiceError(f"no free port from {start}")


def _pg_bin() -> Path:
    found = shutil.which("postgres")
    dirs = ([str(Path(found).resolve().parent)] if found else []) + list(PG_CANDIDATES)
    for d in dirs:
        p = Path(d)
        if all((p / name).exists() for name in ("postgres", "initdb", "pg_ctl")):
            return p
    raise ServiceError("PostgreSQL binaries (postgres, initdb, pg_ctl) not found")


def _is_root() -> bool:
    return os.geteuid() == 0


def _wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Services:
    def __init__(self, pg_port: int | None = None, redis_port: int | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="nmirf-faults-"))
        os.chmod(self.root, 0o755)
        self.pg_bin = _pg_bin()
        self.pg_data = self.root / "pg"
        self.pg_log = self.root / "postgres.log"
        self.redis_dir = self.root / "redis"
        self.redis_log = self.root / "redis.log"
        self.pg_port = pg_port or free_port(56432)
        self.redis_port = redis_port or free_port(6490)
        self._redis: subprocess.Popen | None = None
        self._pg_initialised = False

    # ---------------------------------------------------------------- lifecycle
    def __enter__(self) -> Services:
        try:
            self.start_redis()
            self.start_postgres()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.stop_redis()
        finally:
            try:
                self.stop_postgres()
            finally:
                shutil.rmtree(self.root, ignore_errors=True)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def postgres_url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{PG_DB_USER}@127.0.0.1:{self.pg_port}/{database}"

    # ---------------------------------------------------------------- redis
    def start_redis(self) -> None:
        if self._redis is not None and self._redis.poll() is None:
            return
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceError("redis-server not found")
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        # No persistence: a restarted Redis is empty, as after losing its memory.
        self._redis = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.redis_port), "--protected-mode", "yes"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.redis_dir), "--logfile", str(self.redis_log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not _wait_port(self.redis_port, 10):
            raise ServiceError(f"redis did not start on {self.redis_port}: see {self.redis_log}")

    def stop_redis(self, kill: bool = False) -> None:
        proc, self._redis = self._redis, None
        if proc is None or proc.poll() is not None:
            return
        (proc.kill if kill else proc.terminate)()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    # ---------------------------------------------------------------- postgres
    def _as_pg(self, *cmd: str, check: bool = True, timeout: float = 90) -> subprocess.CompletedProcess:
        argv = ["runuser", "-u", PG_OS_USER, "--", *cmd] if _is_root() else list(cmd)
        with open(self.pg_log, "ab") as log:
            done = subprocess.run(argv, cwd="/", stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=timeout)
        if check and done.returncode != 0:
            raise ServiceError(f"{' '.join(cmd[:2])} failed: see {self.pg_log}:\n{self.pg_log.read_text()[-2000:]}")
        return done

    def _init_postgres(self) -> None:
        self.pg_data.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.pg_log.touch()
        if _is_root():
            subprocess.run(["id", "-u", PG_OS_USER], check=True, capture_output=True)
            shutil.chown(self.pg_data, PG_OS_USER, PG_OS_USER)
            os.chmod(self.pg_log, 0o666)
        self._as_pg(
            str(self.pg_bin / "initdb"), "-D", str(self.pg_data), "-U", PG_DB_USER, "--auth=trust", "-E", "UTF8"
        )
        with open(self.pg_data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# --- throwaway fault-suite cluster (bench/faults/services.py) ---\n"
                f"listen_addresses = '127.0.0.1'\nport = {self.pg_port}\nunix_socket_directories = ''\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n"
            )
        self._pg_initialised = True

    def start_postgres(self) -> None:
        if not self._pg_initialised:
            self._init_postgres()
        if (self.pg_data / "postmaster.pid").exists() and _wait_port(self.pg_port, 0.2):
            return
        self._as_pg(str(self.pg_bin / "pg_ctl"), "start", "-D", str(self.pg_data), "-w", "-t", "60")

    def stop_postgres(self) -> None:
        if not self._pg_initialised or not (self.pg_data / "postmaster.pid").exists():
            return
        pg_ctl = str(self.pg_bin / "pg_ctl")
        if self._as_pg(pg_ctl, "stop", "-D", str(self.pg_data), "-m", "fast", "-w", "-t", "30", check=False).returncode:
            self._as_pg(pg_ctl, "stop", "-D", str(self.pg_data), "-m", "immediate", "-w", "-t", "10", check=False)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.pg_port, user=PG_DB_USER, dbname="postgres", autocommit=True, connect_timeout=10
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.postgres_url(name)


class ExternalServices:
    """Services someone else runs (deploy/test.sh: TEST_POSTGRES_URL, TEST_REDIS_URL): databases
    are created on that server; nothing is stopped or started."""

    def __init__(self, postgres_url: str, redis_url: str):
        self.admin_url, self.redis_url = postgres_url, redis_url

    def __enter__(self) -> ExternalServices:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def close(self) -> None:
        pass

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, make_url, text

        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)
