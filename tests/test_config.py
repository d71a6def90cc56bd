"""Configuration: precedence, merging with the built-ins, and errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from wirecore.errors import ConfigError
from wirewatch.config import load_config
from wirewatch.durations import parse_duration

SOURCE = """
[[sources]]
name = "mock"
feeds = ["http://127.0.0.1:9/rss.xml"]
language = "en"
delay = 0.5
"""


def write(tmp_path: Path, text: str, name: str = "wirewatch.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert config.path is None
    assert config.data_dir == tmp_path / "xdg" / "wirewatch"
    assert config.database_url == f"sqlite:///{tmp_path / 'xdg' / 'wirewatch' / 'wirewatch.db'}"
    assert {"kuril", "peace_treaty"} <= set(config.topics)
    names = {s.name for s in config.sources}
    assert {"tass-en", "ria", "nhk-ja", "kyodo-en"} <= names
    langs = {s.language for s in config.sources}
    assert {"en", "ru", "ja"} <= langs


def test_precedence_flag_then_env_then_local_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, 'log_level = "WARNING"\n')
    env_file = write(tmp_path, 'log_level = "ERROR"\n', "env.toml")
    flag_file = write(tmp_path, 'log_level = "DEBUG"\n', "flag.toml")
    assert load_config(None, env={}).log_level == "WARNING"
    assert load_config(None, env={"WIREWATCH_CONFIG": str(env_file)}).log_level == "ERROR"
    assert load_config(flag_file, env={"WIREWATCH_CONFIG": str(env_file)}).log_level == "DEBUG"


def test_environment_overrides_database_url(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///file.db"\n')
    env = {"WIREWATCH_DATABASE_URL": "postgresql+psycopg://u@h/db"}
    assert load_config(path, env=env).database_url == "postgresql+psycopg://u@h/db"
    assert load_config(path, env={}).database_url == "sqlite:///file.db"


def test_user_source_is_added_and_builtin_can_be_overridden(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + '\n[[sources]]\nname = "tass-en"\nenabled = false\n')
    config = load_config(path, env={})
    assert config.source("mock").delay == 0.5
    assert config.source("mock").feeds == ("http://127.0.0.1:9/rss.xml",)
    tass = config.source("tass-en")
    assert tass.enabled is False
    assert tass.feeds  # the built-in fields survive the override


def test_builtin_sources_can_be_switched_off(tmp_path: Path) -> None:
    path = write(tmp_path, "builtin_sources = false\n" + SOURCE)
    assert [s.name for s in load_config(path, env={}).sources] == ["mock"]


def test_intervals_accept_durations(tmp_path: Path) -> None:
    path = write(tmp_path, "builtin_sources = false\n" + SOURCE + 'interval = "1h30m"\n')
    assert load_config(path, env={}).source("mock").interval == 5400.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("databse = 1\n", "databse: unknown key"),
        ("[crawl]\ntimout = 5\n", "crawl.timout: unknown key"),
        ("[crawl]\nconcurrency = 0\n", "crawl.concurrency: must be at least 1"),
        ("[crawl]\nobey_robots = 1\n", "crawl.obey_robots: must be true or false"),
        ('[report]\ntimezone = "Mars/Olympus"\n', "report.timezone: unknown time zone"),
        ('[report]\ntime = "7 am"\n', "report.time: expected HH:MM"),
        ('[database]\nurl = "nope"\n', "database.url: not a database URL"),
        (SOURCE + "delai = 1\n", "sources[mock].delai: unknown key"),
        (SOURCE + 'interval = "soon"\n', "sources[mock].interval: not a duration"),
        ('[[sources]]\nname = "x"\nfeeds = ["ftp://a/b"]\n', "not an http(s) URL"),
        ('[[sources]]\nname = "x"\n', "needs at least one feed or sitemap"),
        ('[[sources]]\nname = "Bad Name"\nfeeds = ["http://a/"]\n', "sources[Bad Name].name"),
        ("this is = not toml [", "not valid TOML"),
    ],
)
def test_errors_name_file_key_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml", env={})


def test_unknown_source_lookup_lists_known_ones(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "builtin_sources = false\n" + SOURCE), env={})
    with pytest.raises(ConfigError, match=r"unknown source 'nope' \(configured: mock\)"):
        config.source("nope")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("15m", 900.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("2d", 172800.0),
        ("45", 45.0),
        (" 2m ", 120.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "10x", "-5", "0", "1h-2m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
