"""Fault-test helpers: a throw-away PostgreSQL server and Redis of the test's own, the app under gunicorn, and a
way to find (and kill) the gunicorn worker that is inside a given database transaction.

The machine's shared PostgreSQL (5432) and Redis (6379) are never touched: every server here runs from a
temporary folder on a free port and is removed afterwards. When a binary is missing the tests are skipped with
the reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("LMS_FAULT_PG_BIN", "/usr/local/bin"))
REDIS_SERVER = os.environ.get("LMS_FAULT_REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
PASSWORD = "Fault-test-pass-42"
# Cheap password hashing in the served app as in the test process, so sign-ins do not rehash (and write).
CHEAP_ARGON2 = {"LMS_ARGON2_MEMORY_KIB": "1024", "LMS_ARGON2_TIME_COST": "1", "LMS_ARGON2_PARALLELISM": "1"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.fault)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float = 15.0, step: float = 0.05, what: str = "condition"):
    """Poll ``check`` until it returns something true; that value, or AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


# --- PostgreSQL ------------------------------------------------------------------------------------------------


class LocalPostgres:
    """A PostgreSQL cluster in a temporary folder: trust authentication, TCP on 127.0.0.1:<free port>, its unix
    socket in the folder. initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` user."""

    def __init__(self) -> None:
        for name in ("initdb", "pg_ctl"):
            if not (PG_BIN / name).exists():
                pytest.skip(f"PostgreSQL's {name} is not at {PG_BIN} (set LMS_FAULT_PG_BIN to its folder)")
        self.run_as: list[str] = []
        self.folder = Path(tempfile.mkdtemp(prefix="lms-fault-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to run a PostgreSQL server")
            if not shutil.which("runuser"):
                pytest.skip("running as root and runuser is missing (initdb refuses root)")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.data = self.folder / "data"
        self.port = free_port()

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.run_as, *args], capture_output=True, text=True, check=check, timeout=60)

    def start(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        # fsync off: these servers hold throw-away data and are only ever shut down cleanly.
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        result = self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options,
            "-w", "-t", "30", action, *extra, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl {action} failed: {result.stderr or result.stdout}\n{log}")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server is back when this returns."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        from sqlalchemy import create_engine, text

        name = f"lms_fault_{uuid.uuid4().hex[:10]}"
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def local_postgres() -> Iterator[LocalPostgres]:
    server = LocalPostgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- Redis ------------------------------------------------------------------------------------------------------


class LocalRedis:
    """A redis-server on a free port without persistence; :meth:`kill` takes it away at once (SIGKILL)."""

    def __init__(self) -> None:
        if not Path(REDIS_SERVER).exists():
            pytest.skip(f"redis-server is not installed (looked for {REDIS_SERVER})")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, what="redis-server to answer")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def local_redis() -> Iterator[LocalRedis]:
    server = LocalRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


# --- the app on gunicorn ---------------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc: psutil is not a dependency)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 is the parent pid; the command name (field 2) is in parentheses and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in (Path("/proc") / str(pid) / "fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    return inodes


def _inode_of_local_port(port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port:
                    return parts[9]
    return None


class Gunicorn:
    """``gunicorn -w 2 wsgi:app`` (no --preload) on a free loopback port, with the app's settings in ``env``."""

    def __init__(self, folder: Path, env: dict[str, str], workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = folder / "gunicorn.log"
        command = [
            sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
            "--timeout", "60", "--graceful-timeout", "2", "--log-level", "warning", "--chdir", str(ROOT), "wsgi:app",
        ]  # fmt: skip
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, env={**os.environ, **env}, stdout=self._log, stderr=self._log)
        self.wait_ready()

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until every worker is up again (the master replaces a killed one) and /healthz answers."""
        import requests

        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.log()[-3000:]}")
            if len(self.worker_pids()) < self.workers:
                return False
            try:
                return requests.get(self.base + "/healthz", timeout=2).status_code in (200, 503)
            except requests.RequestException:
                return False

        wait_for(ready, timeout=timeout, step=0.1, what=f"gunicorn on {self.base}")

    def worker_with_local_port(self, port: int) -> int | None:
        """The worker holding the TCP connection whose local port is ``port`` (its database connection)."""
        inode = _inode_of_local_port(port)
        if inode is None:
            return None
        return next((pid for pid in self.worker_pids() if inode in _socket_inodes(pid)), None)

    def kill_worker(self, pid: int) -> None:
        """kill -9 the worker; the master notices and starts a new one."""
        assert pid in self.worker_pids(), f"{pid} is not a worker of this gunicorn"
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: pid not in self.worker_pids(), what=f"worker {pid} to be gone")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


def app_env(database_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """The served app's environment: its database, an instance folder of its own, development cookies (plain
    http on loopback), cheap hashing, and no job runner hidden in Redis unless the test asks."""
    instance = folder / "instance"
    instance.mkdir(exist_ok=True)
    return {
        "LMS_DATABASE_URL": database_url,
        "LMS_INSTANCE_PATH": str(instance),
        "LMS_SECRET_KEY": "fault-test-secret",
        "LMS_ENV": "development",
        "LMS_BASE_URL": "http://lms.test",
        "LMS_LOGIN_RATE_LIMIT": "1000 per minute",
        "COURSES_MEDIA_DIR": str(folder / "media"),
        **CHEAP_ARGON2,
        **extra,
    }


@contextlib.contextmanager
def served(database_url: str, **extra_env: str) -> Iterator[Gunicorn]:
    folder = Path(tempfile.mkdtemp(prefix="lms-fault-app-"))
    server = Gunicorn(folder, app_env(database_url, folder, **extra_env))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def waiting_backend_port(engine, timeout: float = 15.0) -> int:
    """The client port of the (one) connection of this database that waits for a lock: the served app's request
    that ran into the row the test holds."""
    from sqlalchemy import text

    def find():
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND client_port IS NOT NULL"
                )
            ).scalar()

    return wait_for(find, timeout=timeout, what="a request to wait for the row the test holds")
