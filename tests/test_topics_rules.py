"""The rule language: Russian dictionary forms, quotes, proximity, all/any/none groups,
field scope, explanations, and rules refused at load with topic, rule and problem named."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pipelines.morph import phrase_forms, word_forms
from pipelines.rules import term_forms
from pipelines.topics import compile_topics
from wirecore.errors import ConfigError, TopicRuleError
from wirewatch.config import load_config


def flagged(table: dict[str, Any], title: str, text: str) -> bool:
    """Whether a one-topic spec flags the document."""
    return bool(compile_topics({"t": table}).match(title, text))


# --- Russian forms -----------------------------------------------------------------------------


def test_tilde_word_gives_its_forms_but_not_other_words_forms() -> None:
    kept, homonyms = word_forms("Курилы")
    assert {"курилы", "курилах", "курилам", "курилами"} <= set(kept)
    assert "курил" in homonyms  # also "he smoked": never matched by a one-word term
    table = {"terms": {"ru": ["~Курилы"]}}
    assert flagged(table, "", "Туристы едут на Курилы, на Курилах тепло.")
    for text in ("Он курил на вокзале.", "Все курили.", "Курилка закрыта.", "Курильщики."):
        assert not flagged(table, "", text), text


def test_tilde_phrase_agrees_in_case_and_number() -> None:
    forms = set(phrase_forms(("~Малая", "~Курильская", "~гряда")))
    assert {"малой курильской гряды", "малую курильскую гряду", "малых курильских грядах"} <= forms
    assert "малого курильская гряда" not in forms
    assert "южных курил" in term_forms("~Южные ~Курилы")  # the phrase keeps the genitive
    assert term_forms("~Декларация 1956 года")[0] == "декларация 1956 года"
    assert "курило-камчатском желобе" in term_forms("~Курило-Камчатский ~жёлоб")


@pytest.mark.parametrize(
    ("term", "problem"),
    [
        ("~Kunashir", "only single Russian words"),
        ("~Хабомаи", "not in the Russian dictionary"),
        ('"peace treaty', "unbalanced quotes"),
        ("курил*", "wildcards are not supported"),
        ("re:(a+)+$", "regular expressions are not supported"),
        ("Kuril\\w+", "regular expressions are not supported"),
        ("(Kuril|Kurile)", "regular expressions are not supported"),
    ],
)
def test_bad_terms_are_refused(term: str, problem: str) -> None:
    with pytest.raises(TopicRuleError, match=problem) as info:
        compile_topics({"t": {"terms": {"en": ["ok", term]}}})
    assert info.value.rule == "terms.en[1]"


def test_quoted_phrase_matches_as_a_phrase() -> None:
    assert term_forms('"Kuril Islands"') == ["kuril islands"]
    assert flagged({"terms": {"en": ['"Kuril Islands"']}}, "", "The Kuril\nIslands.")
    assert not flagged({"terms": {"en": ['"Kuril Islands"']}}, "", "Kuril and other islands")


# --- proximity, groups, fields ---------------------------------------------------------------

NEAR = {
    "terms": {
        "en": [{"term": "peace treaty", "near": ["jp", "ru"], "within": 5}],
        "ja": [{"term": "平和条約", "near": ["jp"], "within_chars": 4}],
    },
    "groups": {"jp": {"en": ["Japan"], "ja": ["日露"]}, "ru": {"en": ["Russia"]}},
}


def test_near_within_words() -> None:
    assert flagged(NEAR, "", "Japan and Russia want a peace treaty.")
    far = "Japan and Russia met. " + "Other things were said at length. " * 3 + "A peace treaty."
    assert not flagged(NEAR, "", far)
    assert not flagged(NEAR, "", "Japan hopes for a peace treaty.")  # no Russia word near
    (ex,) = compile_topics({"t": NEAR}).explain("", far)
    assert ex.hits[0].note == "no 'jp' word within 5 words, in its sentence or the one before"
    assert ex.reasons == ["no term counted"]


def test_near_reaches_the_sentence_and_the_one_before() -> None:
    long_one = "Japan and Russia, after many long and winding talks, may yet sign a peace treaty."
    assert flagged(NEAR, "", long_one)
    before = "Japan and Russia met again on Monday. They discussed a peace treaty at length."
    assert flagged(NEAR, "", before)
    after = "They discussed a peace treaty at length over dinner. Then Japan and Russia met."
    assert not flagged(NEAR, "", after)
    two_back = "Japan and Russia met. It rained all day long there. They discussed a peace treaty."
    assert not flagged(NEAR, "", two_back)


def test_near_within_characters_for_cjk() -> None:
    assert flagged(NEAR, "", "日露平和条約の交渉")
    assert not flagged(NEAR, "", "日露の関係について。長い説明が続いた。その後にようやく平和条約")


def test_not_near_vetoes_a_hit() -> None:
    table = {
        "terms": {"en": [{"term": "peace treaty", "not_near": ["other"]}]},
        "groups": {"other": {"en": ["Armenia"]}},
    }
    assert flagged(table, "", "The peace treaty was signed.")
    assert not flagged(table, "", "Armenia signed the peace treaty.")
    far = "Armenia, after a long and winding series of talks, at last signed the peace treaty."
    assert not flagged(table, "", far)  # in the same sentence
    before = "Armenia was named. It was a long, long day, and at its very end the treaty "
    before += "was signed: a peace treaty."
    assert flagged(table, "", before)  # not_near looks no further back than its sentence


def test_all_any_none_groups() -> None:
    groups = {"a": {"en": ["alpha"]}, "b": {"en": ["beta"]}, "c": {"en": ["gamma"]}}
    base = {"terms": {"en": ["topic"]}, "groups": groups}
    assert flagged(base | {"all": ["a", "b"]}, "", "topic alpha beta")
    assert not flagged(base | {"all": ["a", "b"]}, "", "topic alpha")
    assert flagged(base | {"any": ["a", "b"]}, "", "topic beta")
    assert not flagged(base | {"any": ["a", "b"]}, "", "topic gamma")
    assert not flagged(base | {"none": ["c"]}, "", "topic gamma")
    (ex,) = compile_topics({"t": base | {"none": ["c"]}}).explain("", "topic gamma")
    assert ex.reasons == ["group 'c' (none) has 1 hit(s)"]


def test_field_scope_and_title_weight() -> None:
    table = {
        "threshold": 3.0,
        "title_weight": 3.0,
        "terms": {"en": [{"term": "x", "field": "title"}]},
    }
    assert flagged(table, "x", "")
    assert not flagged(table, "", "x x x x")
    (ex,) = compile_topics({"t": table}).explain("", "x")
    assert ex.hits[0].note == "counts only in the title"


def test_explain_lists_every_topic_with_a_reason() -> None:
    matcher = compile_topics({"a": {"terms": {"en": ["x"]}}, "b": {"terms": {"en": ["y"]}}})
    exs = matcher.explain("", "x")
    assert [(e.topic, e.passed) for e in exs] == [("a", True), ("b", False)]
    assert exs[0].record is not None and exs[0].record.terms == {"x": 1}
    assert exs[1].reasons == ["no term counted"]


# --- invalid rules ---------------------------------------------------------------------------

BAD = [
    ({"terms": {"en": ["x"]}, "near": ["a"]}, "near", "unknown operator"),
    ({"terms": {"en": [{"term": "x", "neer": ["a"]}]}}, "terms.en[0]", "unknown operator"),
    ({"terms": {"en": ["x"]}, "groups": {}}, "groups", "empty group"),
    ({"terms": {"en": ["x"]}, "groups": {"g": {}}}, "groups.g", "empty group"),
    ({"terms": {"en": ["x"]}, "groups": {"g": {"en": []}}}, "groups.g.en", "empty group"),
    ({"terms": {"en": ["x"]}, "all": []}, "all", "empty group"),
    ({"terms": {"en": ["x"]}, "any": ["missing"]}, "any[0]", "unknown group"),
    ({"terms": {"en": [{"term": "x", "near": []}]}}, "terms.en[0].near", "empty group"),
    ({"terms": {"en": [{"term": "x", "near": ["g"]}]}}, "terms.en[0].near", "unknown group"),
    (
        {"terms": {"en": [{"term": "x", "weight": float("nan")}]}},
        "terms.en[0].weight",
        "bad weight",
    ),
    ({"terms": {"en": [{"term": "x", "within": 2.5}]}}, "terms.en[0].within", "whole number"),
    ({"terms": {"en": [{"term": "x", "field": "body"}]}}, "terms.en[0].field", "must be one of"),
    ({"terms": {"en": ['"x']}}, "terms.en[0]", "unbalanced quotes"),
    ({"terms": {"en": ["x"]}, "within": 0}, "within", "> 0"),
]


@pytest.mark.parametrize(("table", "rule", "problem"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_invalid_rules_name_topic_rule_and_problem(
    table: dict[str, Any], rule: str, problem: str
) -> None:
    with pytest.raises(TopicRuleError) as info:
        compile_topics({"ok": {"terms": {"en": ["fine"]}}, "mytopic": table})
    assert (info.value.topic, info.value.rule) == ("mytopic", rule)
    assert problem in info.value.problem


def test_bad_rule_fails_at_config_load(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        '[topics.mine]\nterms = { en = ["Kuril"] }\n[topics.mine.groups]\ng = { en = [] }\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    message = str(info.value)
    assert str(path) in message and "'mine'" in message and "'groups.g.en'" in message
    assert "empty group" in message


def test_documented_examples_compile() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "topics.md").read_text("utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", docs, re.S)
    complete = [b for b in blocks if "terms" in b]
    assert len(complete) >= 4
    for block in complete:
        assert compile_topics(tomllib.loads(block)["topics"]).topic_ids
