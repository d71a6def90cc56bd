"""Migrations, schema check, engines and the import boundary of `storage`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from storage import migrate
from storage.db import make_engine, ping
from storage.errors import StorageError

ROOT = Path(__file__).resolve().parents[1]


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _has_fulltext(engine: Engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'articles_fts%'")
            ).scalar_one()
            return found >= 4  # the table and its three triggers (plus shadow tables)
        columns = {c["name"] for c in inspect(conn).get_columns("articles")}
        return "search_vector" in columns


def test_upgrade_check_downgrade_roundtrip(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate.current(engine) is None
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head() is not None
        assert {"sources", "crawl_runs", "articles", "topic_matches"} <= _tables(engine)
        assert _has_fulltext(engine)
        migrate.check(engine)  # models and migrations agree, full-text objects ignored

        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        assert _tables(engine) <= {"alembic_version"}

        migrate.upgrade(engine)
        migrate.check(engine)
    finally:
        engine.dispose()


def test_check_reports_drift_in_one_line(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE sources ADD COLUMN stray INTEGER"))
    with pytest.raises(StorageError) as info:
        migrate.check(engine)
    message = str(info.value)
    assert "differs from the models" in message
    assert "stray" in message
    assert "\n" not in message


def test_check_refuses_unmigrated_database(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(StorageError, match="not up to date"):
            migrate.check(engine)
    finally:
        engine.dispose()


def test_alembic_cli_with_x_url_and_env_var(db_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WIREWATCH_DATABASE_URL"}
    alembic = [sys.executable, "-m", "alembic", "-c", "alembic.ini"]
    up = subprocess.run(
        [*alembic, "-x", f"url={db_url}", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert up.returncode == 0, up.stderr
    check = subprocess.run(
        [*alembic, "check"],
        cwd=ROOT,
        env=env | {"WIREWATCH_DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    engine = make_engine(db_url)
    try:
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()


def test_sqlite_engine_creates_directory_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "w.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        ping(engine)
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")
            }
        assert path.exists()
        assert pragma == {
            "foreign_keys": 1,
            "journal_mode": "wal",
            "synchronous": 1,
            "busy_timeout": 30000,
        }
    finally:
        engine.dispose()


def test_plain_postgresql_url_uses_psycopg() -> None:
    engine = make_engine("postgresql://user:pw@127.0.0.1/db")
    try:
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


def test_unreachable_database_is_one_line_without_password() -> None:
    engine = make_engine("postgresql://wire:s3cret@127.0.0.1:1/nowhere?connect_timeout=2")
    try:
        with pytest.raises(StorageError) as info:
            ping(engine)
    finally:
        engine.dispose()
    message = str(info.value)
    assert message.startswith("database unreachable: postgresql+psycopg://wire:***@127.0.0.1:1/")
    assert "s3cret" not in message
    assert "\n" not in message


def test_commands_name_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    """Every command that opens a session pings first: the error says which database."""
    from click.testing import CliRunner

    from wirewatch.cli import cli

    config = tmp_path / "w.toml"
    config.write_text(
        'builtin_sources = false\n[database]\nurl = "postgresql://wire:s3cret@127.0.0.1:1/'
        'nowhere?connect_timeout=2"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "sources"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "wirewatch: error: database unreachable: postgresql+psycopg://wire:***@127.0.0.1:1/"
    )
    assert "s3cret" not in result.output and result.stderr.count("\n") == 1


def test_unsupported_url_is_refused() -> None:
    with pytest.raises(StorageError, match="unsupported database URL: mysql://u:\\*\\*\\*@h/d"):
        make_engine("mysql://u:pw@h/d")


def test_storage_imports_no_other_project_package_and_builds_nothing() -> None:
    code = (
        "import sys, storage.db, storage.models, storage.migrate, storage.writes, "
        "storage.queries, storage.errors\n"
        "others = {'wirewatch', 'pipelines', 'scrapers', 'scheduler', 'reports'}\n"
        "print(sorted(others & {m.split('.')[0] for m in sys.modules}))\n"
        "import gc, sqlalchemy\n"
        "print(sum(isinstance(o, sqlalchemy.Engine) for o in gc.get_objects()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split("\n")[:2] == ["[]", "0"]
