"""Registry entries are validated: the packaged ones by this test, a user's at load time."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from wirecore.errors import ConfigError
from wirewatch.config import build_config, load_config
from wirewatch.config_sources import LANGUAGES, address_problem

FEED = 'feeds = ["https://news.example.com/rss"]\n'


def packaged() -> list[dict[str, object]]:
    text = resources.files("wirewatch").joinpath("default_sources.toml").read_text("utf-8")
    return list(tomllib.loads(text)["sources"])


def test_packaged_registry_is_valid_and_each_name_declared_once() -> None:
    entries = packaged()
    names = [str(e["name"]) for e in entries]
    assert len(names) == len(set(names))
    config = build_config({}, where="<defaults>", path=None, env={})
    assert [s.name for s in config.sources] == names
    for src in config.sources:
        for url in (*src.feeds, *src.listings, *src.sitemaps, src.homepage or ""):
            assert address_problem(url) is None, (src.name, url)
        assert src.language in LANGUAGES


def test_no_two_sources_poll_the_same_address() -> None:
    config = build_config({}, where="<defaults>", path=None, env={})
    seen: dict[str, str] = {}
    for src in config.sources:
        for url in (*src.feeds, *src.listings, *src.sitemaps):
            assert url not in seen, f"{url}: {seen.get(url)} and {src.name}"
            seen[url] = src.name


def test_a_user_override_of_a_builtin_keeps_its_other_fields(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[[sources]]\nname = "mid-ru"\nenabled = true\n', encoding="utf-8")
    src = load_config(path, env={}).source("mid-ru")
    assert src.enabled and src.feeds == ("https://mid.ru/ru/rss.php",)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('feeds = ["https://news example.com/rss"]\n', "sources[x].feeds: malformed URL"),
        ('feeds = ["https:///rss"]\n', "sources[x].feeds: malformed URL (no valid host)"),
        ('feeds = ["https://news..example.com/rss"]\n', "sources[x].feeds: malformed URL"),
        ('feeds = ["https://news.example.com:99999/"]\n', "sources[x].feeds: malformed URL"),
        ('listings = ["http://-x-.example/"]\nlink_pattern = "/a/"\n', "sources[x].listings"),
        (FEED + 'homepage = "news.example.com"\n', "sources[x].homepage: not an http(s) URL"),
        (FEED + 'language = "english"\n', "sources[x].language: unknown language 'english'"),
        (FEED + 'language = "xx"\n', "sources[x].language: unknown language 'xx'"),
        (FEED + 'timezone = "Asia/Kurils"\n', "sources[x].timezone: unknown time zone"),
        (FEED + 'discovery = "yes"\n', "sources[x].discovery: must be true or false"),
    ],
)
def test_bad_entry_is_one_line_error_naming_source_and_key(
    tmp_path: Path, entry: str, expected: str
) -> None:
    path = tmp_path / "w.toml"
    path.write_text(f'builtin_sources = false\n[[sources]]\nname = "x"\n{entry}', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_duplicate_name_in_one_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    twice = f'[[sources]]\nname = "tass-en"\n{FEED}'
    path.write_text(twice + twice, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sources\[tass-en\]\.name: duplicate name"):
        load_config(path, env={})


def test_an_override_with_a_bad_value_names_the_builtin_source(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[[sources]]\nname = "kyodo-en"\nlanguage = "jp"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sources\[kyodo-en\]\.language: unknown language 'jp'"):
        load_config(path, env={})


def test_config_command_reports_it_and_exits_2(tmp_path: Path) -> None:
    from tests.test_polling import cli

    path = tmp_path / "w.toml"
    path.write_text('[[sources]]\nname = "tass-en"\nfeeds = ["htp://tass.com/rss"]\n', "utf-8")
    proc = cli(path, "config", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"wirewatch: error: {path}: sources[tass-en].feeds: not an http(s) URL: 'htp://tass.com/rss'"
    ]
