"""Which process owns a crawl run, and closing the runs whose process is gone.

A ``crawl_runs`` row is ``running`` while its crawl lives. A crawl killed with SIGKILL
(or its machine) never finishes its row, so each row records its owner
(``host:pid:start``: the host name with its PID namespace, the pid, and the process's
start time in clock ticks, so a reused pid is not mistaken for the crawl) and a
heartbeat the crawl refreshes while it runs. ``close_lost_runs`` closes as ``failed``
(a ``RunFailure`` of kind ``lost``, stored as the error ``lost: ...``) every running row
whose owner on this host is gone, and every row with no sign of life for ``stale_after``
(an owner on another host or PID namespace, or none recorded). Functions take a
``Session`` and never commit.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from storage import models
from wirecore.outcomes import FailureKind, RunFailure, RunStatus

_RUNS = cast(Table, models.CrawlRun.__table__)

STALE_AFTER = timedelta(hours=1)
"""A running row with neither a live owner on this host nor a heartbeat for this long is lost."""

HEARTBEAT_EVERY = 60.0
"""Seconds between a crawl's heartbeats."""


class LostRun(NamedTuple):
    """A running crawl run closed as failed because its process is gone, and why."""

    run_id: int
    failure: RunFailure


def _start_ticks(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if not fields or fields[0] in ("Z", "X"):  # a zombie is gone, only not yet reaped
        return None
    return fields[19] if len(fields) > 19 else "?"


def _host() -> str:
    """This host's name and PID namespace: pids are only comparable within one namespace
    (two containers may share a host name but not their pids)."""
    try:
        namespace = str(Path("/proc/self/ns/pid").readlink()).partition("[")[2].rstrip("]")
    except OSError:
        namespace = ""
    name = socket.gethostname().replace(":", "_")
    return f"{name}/{namespace}" if namespace else name


def process_owner(pid: int | None = None) -> str:
    """``host:pid:start`` of this process (or of ``pid`` in this PID namespace)."""
    pid = os.getpid() if pid is None else pid
    return f"{_host()}:{pid}:{_start_ticks(pid) or '?'}"


def owner_alive(owner: str) -> bool | None:
    """Whether the process an owner string names still runs; None if it cannot be told here."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    host, pid, start = parts[0], int(parts[1]), parts[2]
    if host != _host():
        return None
    if Path("/proc/self/stat").exists():
        now = _start_ticks(pid)
        return now is not None and (start in ("?", now) or now == "?")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def claim_run(session: Session, run_id: int, now: datetime, owner: str | None = None) -> None:
    """Record this process (or ``owner``) as the one running ``run_id``, alive at ``now``."""
    values = {"owner": owner or process_owner(), "heartbeat_at": now}
    session.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(values))


def heartbeat(session: Session, run_id: int, now: datetime) -> None:
    """Note that the crawl of ``run_id`` is alive at ``now``."""
    session.execute(
        update(_RUNS)
        .where(_RUNS.c.id == run_id, _RUNS.c.status == RunStatus.RUNNING)
        .values(heartbeat_at=now)
    )


def close_lost_runs(
    session: Session,
    now: datetime,
    *,
    is_alive: Callable[[str], bool | None] = owner_alive,
    stale_after: timedelta = STALE_AFTER,
) -> list[LostRun]:
    """Close every running crawl run whose process is gone; returns each with its failure.

    A run whose owner ``is_alive`` says is gone is lost at once; one whose owner cannot be
    judged from here (another host, none recorded) is lost when its last heartbeat (or its
    start) is older than ``stale_after``.
    """
    rows = session.execute(
        select(_RUNS.c.id, _RUNS.c.owner, _RUNS.c.heartbeat_at, _RUNS.c.started_at).where(
            _RUNS.c.status == RunStatus.RUNNING
        )
    ).all()
    closed: list[LostRun] = []
    for run_id, owner, beat, started in rows:
        alive = is_alive(owner) if owner else None
        last = beat or started
        if alive is False:
            detail = f"process {owner} is gone"
        elif alive is None and last is not None and last < now - stale_after:
            detail = f"no sign of life since {last.isoformat(timespec='seconds')}"
        else:
            continue
        failure = RunFailure(FailureKind.LOST, detail)
        session.execute(
            update(_RUNS)
            .where(_RUNS.c.id == run_id, _RUNS.c.status == RunStatus.RUNNING)
            .values(status=RunStatus.FAILED, finished_at=now, error=str(failure))
        )
        closed.append(LostRun(run_id, failure))
    return closed
