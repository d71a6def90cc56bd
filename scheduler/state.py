"""What the service reads and writes in the database: run rows, report claims, schedule.

Every function takes an `Engine` and owns one short transaction, so a database that
disappears costs one failed call, never a half-written row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, create_engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import make_engine, normalize_url
from storage.models import CrawlRun, CrawlRunSource
from storage.models_service import ServiceReport, ServiceState
from storage.models_sources import SourceState

FIRST_LEADER_KEY = "first_leader_at"
"""service_state key: when a service first led the schedule on this database."""


def first_leader_at(engine: Engine) -> datetime:
    """When a service first led the schedule on this database (recorded now if never)."""
    now = datetime.now(UTC)
    values = {"key": FIRST_LEADER_KEY, "value": now.isoformat(), "updated_at": now}
    with engine.begin() as conn:
        conn.execute(_insert(engine, ServiceState).values(values).on_conflict_do_nothing())
        value = conn.execute(
            select(ServiceState.value).where(ServiceState.key == FIRST_LEADER_KEY)
        ).scalar_one()
    return datetime.fromisoformat(value)


def claim_report(engine: Engine, day: date) -> bool:
    """Claim the report of ``day``; False when it was claimed before (ran or is running)."""
    values = {"day": day.isoformat(), "started_at": datetime.now(UTC), "status": "running"}
    stmt = _insert(engine, ServiceReport).values(values).on_conflict_do_nothing()
    with engine.begin() as conn:
        claimed = conn.execute(stmt.returning(ServiceReport.day)).scalar()
    return claimed is not None


def report_claimed(engine: Engine, day: date) -> bool:
    """True when the report of ``day`` was claimed before."""
    with engine.connect() as conn:
        found = conn.execute(
            select(ServiceReport.day).where(ServiceReport.day == day.isoformat())
        ).scalar()
    return found is not None


def finish_report(engine: Engine, day: date, exit_code: int | None, error: str | None) -> None:
    """Record how the report of ``day`` ended; an interrupted one (no exit code) is released."""
    with engine.begin() as conn:
        if exit_code is None:
            conn.execute(delete(ServiceReport).where(ServiceReport.day == day.isoformat()))
            return
        values = {
            "status": "ok" if exit_code == 0 else "failed",
            "finished_at": datetime.now(UTC),
            "exit_code": exit_code,
            "error": error,
        }
        conn.execute(
            update(ServiceReport).where(ServiceReport.day == day.isoformat()).values(values)
        )


def _insert(engine: Engine, model: type) -> postgresql.Insert | sqlite.Insert:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def service_engine(url: str) -> Engine:
    """The service's own engine: like `make_engine`, but a dead PostgreSQL fails fast."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "postgresql":
        return make_engine(url)
    return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def last_successes(engine: Engine) -> dict[str, datetime]:
    """When the last ``ok`` or ``partial`` crawl of each source finished."""
    stmt = (
        select(CrawlRunSource.source, func.max(CrawlRun.finished_at))
        .join(CrawlRun, CrawlRun.id == CrawlRunSource.run_id)
        .where(CrawlRun.status.in_(("ok", "partial")))
        .group_by(CrawlRunSource.source)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return {source: _aware(at) for source, at in rows if at is not None}


def failures_in_a_row(engine: Engine) -> dict[str, int]:
    """Each polled source's count of consecutive failed polls."""
    stmt = select(SourceState.source, SourceState.consecutive_failures)
    with engine.connect() as conn:
        return {source: int(n or 0) for source, n in conn.execute(stmt)}
