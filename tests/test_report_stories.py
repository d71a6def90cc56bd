"""Story grouping: one wire story republished by several outlets is one story."""

from __future__ import annotations

from reports.stories import StoryInput, jaccard, shingles, story_ids


def _item(url: str, title: str, snippet: str = "", language: str | None = "en") -> StoryInput:
    return StoryInput(url, title, snippet, language)


def test_republished_wire_story_is_one_story_and_others_are_not() -> None:
    items = [
        _item("https://a/1", "Japan protests Russian military drills on the Kuril Islands"),
        _item("https://b/1", "JAPAN PROTESTS RUSSIAN MILITARY DRILLS ON KURIL ISLANDS"),
        _item("https://c/1", "Lavrov: no peace treaty talks while sanctions last"),
        _item(
            "https://d/1",
            "Different headline",
            "Lavrov said on Friday that no talks on a peace "
            "treaty are possible while the sanctions last, TASS reported.",
        ),
        _item(
            "https://e/1",
            "Other headline",
            "Lavrov said on Friday that no talks on a peace "
            "treaty are possible while the sanctions last, TASS reported.",
        ),
    ]
    ids = story_ids(items)
    assert ids["https://a/1"] == ids["https://b/1"]
    assert ids["https://d/1"] == ids["https://e/1"]  # same wire text, rewritten headline
    assert len({ids["https://a/1"], ids["https://c/1"], ids["https://d/1"]}) == 3


def test_story_ids_do_not_depend_on_order_or_cross_languages() -> None:
    items = [
        _item("https://a/1", "Kuril Islands drills"),
        _item("https://b/1", "Kuril Islands drills", language="ru"),
        _item("https://c/1", "Kuril Islands drills!"),
    ]
    assert story_ids(items) == story_ids(list(reversed(items)))
    ids = story_ids(items)
    assert ids["https://a/1"] == ids["https://c/1"] != ids["https://b/1"]
    assert ids["https://a/1"].startswith("s-")


def test_shingles_and_jaccard() -> None:
    assert shingles("") == frozenset()
    assert shingles("Ab") == frozenset({"ab"})
    assert jaccard(shingles("北方領土で演習"), shingles("北方領土で演習")) == 1.0
    assert jaccard(frozenset(), shingles("abc")) == 0.0
