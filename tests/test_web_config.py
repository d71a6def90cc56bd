"""The ``[web]`` table, `wirewatch serve`'s refusals, read-only access and the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import make_engine
from storage.migrate import upgrade
from web.db import readonly_engine
from wirecore.errors import ConfigError
from wirewatch.cli import cli
from wirewatch.config import build_config
from wirewatch.config_web import ENV_OVERRIDES, WebConfig, is_loopback, parse_web

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SECRETS = ("WIREWATCH_WEB_TOKEN", "WIREWATCH_WEB_PASSWORD")


def test_defaults_bind_loopback_and_stay_off() -> None:
    config = build_config({"builtin_sources": False}, where="t", path=None, env={})
    assert config.web == WebConfig()
    assert (config.web.host, config.web.port, config.web.enabled) == ("127.0.0.1", 8081, False)
    assert not config.web.auth_required


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org"])
def test_a_public_address_needs_credentials(host: str) -> None:
    with pytest.raises(ConfigError, match=r"c\.toml: web\.host: .* is not a loopback address"):
        parse_web({"host": host}, "c.toml", {})
    with_token = parse_web({"host": host}, "c.toml", {"WIREWATCH_WEB_TOKEN": "s3cret"})
    assert with_token.auth_required and with_token.token == "s3cret"
    basic = parse_web({"host": host, "username": "desk"}, "c", {"WIREWATCH_WEB_PASSWORD": "pw"})
    assert basic.auth_required and (basic.username, basic.password) == ("desk", "pw")


def test_environment_overrides() -> None:
    web = parse_web(
        {"port": 9000}, "c", {"WIREWATCH_WEB_PORT": "9100", "WIREWATCH_WEB_HOST": "::1"}
    )
    assert (web.host, web.port) == ("::1", 9100)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"port": 0}, "web.port: must be a whole number within 1..65535"),
        ({"port": "80"}, "web.port: must be a whole number within 1..65535"),
        ({"enabled": "yes"}, "web.enabled: must be true or false"),
        ({"page_size": 1000}, "web.page_size: must be a whole number within 1..500"),
        ({"host": ""}, "web.host: must be a non-empty string"),
        ({"username": "desk"}, "web.username: set WIREWATCH_WEB_PASSWORD as well"),
        ({"tokn": "x"}, "web.tokn: unknown key"),
    ],
)
def test_errors_name_file_and_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"cfg.toml: {message}")):
        build_config({"builtin_sources": False, "web": data}, where="cfg.toml", path=None, env={})


def test_serve_refuses_a_public_host_without_credentials(tmp_path: Path, monkeypatch) -> None:
    for var in SECRETS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    cfg = tmp_path / "w.toml"
    cfg.write_text("builtin_sources = false\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(cfg), "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert result.output.startswith("wirewatch: error: --host 0.0.0.0 is not a loopback address")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "w.db").exists()  # refused before touching the database


def test_the_site_engine_cannot_write(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    readonly = readonly_engine(db_url)
    try:
        with readonly.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 0
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"), readonly.connect() as conn:
            conn.execute(text("INSERT INTO sources (name, created_at) VALUES ('x', '2026-01-01')"))
            conn.commit()
    finally:
        readonly.dispose()


def test_every_web_key_and_variable_is_documented() -> None:
    block = README.split("[web]", 1)[1]
    for key in ("host", "port", "enabled", "username", "page_size"):
        assert re.search(rf"^{key} = ", block, re.M), f"[web] {key} is not documented"
    for var in (*ENV_OVERRIDES, *SECRETS):
        assert f"`{var}`" in README, f"{var} is not documented"
