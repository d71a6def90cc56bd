"""Helpers for the service tests (no tests here): config files, a `wirewatch run` process,
reading runs back from SQLite or PostgreSQL, a TCP proxy that can cut the database."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SITE = Path(__file__).parent / "fixtures" / "mockwire"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(
    path: Path,
    db_url: str,
    sources: list[dict[str, Any]],
    service: dict[str, Any] | None = None,
    report: dict[str, Any] | None = None,
    cluster: dict[str, Any] | None = None,
) -> Path:
    """A config file with only these sources, fast crawl settings and a [service] table."""
    lines = [
        "builtin_sources = false",
        f'data_dir = "{path.parent}"',
        "[database]",
        f"url = {json.dumps(db_url)}",
        "[crawl]",
        "timeout = 3",
        "retries = 0",
        "max_age_days = 100000",
        "extract_in_process = true",
        "[service]",
    ]
    defaults = {"leader_poll": 1, "stop_grace": 10, "memory_limit": 0}
    lines += [f"{k} = {json.dumps(v)}" for k, v in {**defaults, **(service or {})}.items()]
    if cluster:
        lines.append("[cluster]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in cluster.items()]
    if report:
        lines.append("[report]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in report.items()]
    for src in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in {"delay": 0, **src}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class ServiceProcess:
    """`wirewatch run` (or ``command``) as a real child process, its output in a file."""

    def __init__(
        self,
        config: Path,
        log: Path,
        *args: str,
        command: str = "run",
        env: dict[str, str] | None = None,
    ) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        env = clean | (env or {})
        self.log_path = log
        self.out = log.open("w", encoding="utf-8")
        cmd = [sys.executable, "-m", "wirewatch", "--config", str(config), *args, command]
        self.proc = subprocess.Popen(
            cmd, stdout=self.out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL
        )

    @property
    def log(self) -> str:
        """Everything the service (and its children) printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, what: Callable[[], Any], timeout: float, message: str) -> Any:
        """Poll ``what`` until truthy; fail with ``message`` and the log on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = what()
            if value:
                return value
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited ({self.proc.returncode}):\n{self.log}")
            time.sleep(0.3)
        raise AssertionError(f"{message} (within {timeout:.0f}s)\n{self.log[-6000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, float]:
        """Signal the service; return its exit code and how long it took to exit."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL the service and its children (used in cleanup)."""
        if self.proc.poll() is None:
            for pid in child_pids(self.proc.pid):
                _kill(pid)
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.out.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def query(db_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the test database ([] while its tables do not exist yet)."""
    engine = create_engine(make_url(db_url).set(drivername=_driver(db_url)))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    except Exception as err:  # tables not created yet
        if "no such table" in str(err) or "does not exist" in str(err):
            return []
        raise
    finally:
        engine.dispose()


def _driver(url: str) -> str:
    name = make_url(url).drivername
    return "postgresql+psycopg" if name in ("postgresql", "postgres") else name


RUNS_SQL = (
    "SELECT r.id, s.source, r.status, r.started_at, r.finished_at, r.error "
    "FROM crawl_runs r JOIN crawl_run_sources s ON s.run_id = r.id ORDER BY r.id"
)


def runs(db_url: str, source: str | None = None) -> list[tuple[Any, ...]]:
    """(id, source, status, started_at, finished_at, error) of every crawl run."""
    return [r for r in query(db_url, RUNS_SQL) if source is None or r[1] == source]


def finished(db_url: str, source: str | None = None) -> list[tuple[Any, ...]]:
    """The crawl runs that ended."""
    return [r for r in runs(db_url, source) if r[2] != "running"]


def http_get(url: str) -> tuple[int, str]:
    """Status and body of a GET (errors included); (0, reason) while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError as err:
        return 0, str(err)


class TcpProxy:
    """A loopback TCP proxy to ``target`` that can cut every connection and refuse new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.open = threading.Event()
        self.open.set()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every connection and refuse new ones (the database 'disappears')."""
        self.open.clear()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()

    def restore(self) -> None:
        """Accept and forward connections again."""
        self.open.set()

    def close(self) -> None:
        """Stop the proxy."""
        self.cut()
        self.closed.set()
        self.listener.close()
