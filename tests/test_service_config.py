"""The ``[service]`` table: parsing, defaults, environment overrides, and the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wirecore.errors import ConfigError
from wirewatch.config import build_config
from wirewatch.config_service import ENV_OVERRIDES, ServiceConfig, parse_service

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_defaults_bind_loopback_and_run_two_crawls() -> None:
    config = build_config({"builtin_sources": False}, where="t", path=None, env={})
    assert config.service == ServiceConfig()
    assert config.service.health_host == "127.0.0.1"
    assert config.service.health_port == 0
    assert config.service.max_concurrent_crawls == 2
    assert config.service.timeout_for(60) == 600  # at least ten minutes
    assert config.service.timeout_for(3600) == 3 * 3600


def test_durations_numbers_and_environment() -> None:
    svc = parse_service(
        {"crawl_timeout": "90s", "stop_grace": 5, "leader_poll": "1.5s", "max_backoff": "2h"},
        "t",
        {"WIREWATCH_HEALTH_PORT": "9100", "WIREWATCH_HEALTH_HOST": "0.0.0.0"},
    )
    assert (svc.crawl_timeout, svc.stop_grace, svc.leader_poll) == (90.0, 5.0, 1.5)
    assert svc.max_backoff == 7200.0
    assert (svc.health_host, svc.health_port) == ("0.0.0.0", 9100)
    assert svc.timeout_for(1) == 90.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"health_port": 70000}, "service.health_port: must be a whole number within 0..65535"),
        ({"health_port": True}, "service.health_port: must be a whole number"),
        ({"health_host": ""}, "service.health_host: must be a host name or address"),
        ({"stop_grace": "0s"}, "service.stop_grace: duration must be positive"),
        ({"leader_poll": -1}, "service.leader_poll: must be positive"),
        ({"memory_limit": 1.5}, "service.memory_limit: must be a whole number"),
        ({"workers": 3}, "service.workers: unknown key"),
    ],
)
def test_errors_name_file_and_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"cfg.toml: {message}")):
        build_config(
            {"builtin_sources": False, "service": data}, where="cfg.toml", path=None, env={}
        )


def test_service_table_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match="service: must be a table"):
        build_config({"builtin_sources": False, "service": 3}, where="c", path=None, env={})


def test_every_service_key_and_variable_is_documented() -> None:
    block = README.split("## Running as a service", 1)[1].split("[service]", 1)[1]
    for key in ServiceConfig.__slots__:
        assert re.search(rf"^{key} = ", block, re.M), f"[service] {key} is not documented"
    for var in ENV_OVERRIDES:
        assert f"`{var}`" in README, f"{var} is not documented"
    entrypoint = (Path(__file__).resolve().parents[1] / "docker-entrypoint.sh").read_text()
    for var in set(re.findall(r"WIREWATCH_[A-Z_]+", entrypoint)):
        assert f"`{var}`" in README, f"{var} (docker-entrypoint.sh) is not documented"
