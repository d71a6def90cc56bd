"""Tests of the topic matcher: rule validation, normalisation and offsets, the default topics
on hand-written labelled fixtures, snippets, and the real seed story when available."""

from __future__ import annotations

import os
import pickle
import random
import re
import tomllib
import unicodedata
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from pipelines.rules import term_forms
from pipelines.textnorm import SAFE_CLASS, expand_braces, make_snippet, normalize, normalize_term
from pipelines.topics import TopicMatcher, compile_topics
from storage.records import MatchRecord
from wirecore.errors import TopicRuleError

FIXTURES = Path(__file__).parent / "fixtures" / "topics"
DEFAULT_IDS = ("kuril", "peace_treaty")


def load_default_spec() -> dict[str, Any]:
    """The built-in topic tables, as the config loader would pass them."""
    with files("wirewatch").joinpath("default_topics.toml").open("rb") as fh:
        return tomllib.load(fh)["topics"]


@pytest.fixture(scope="module")
def matcher() -> TopicMatcher:
    """The default topics, compiled once for the module."""
    return compile_topics(load_default_spec())


def read_fixture(path: Path) -> tuple[set[str], str, str]:
    """(labels, title, text) of one hand-written fixture."""
    head, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    labels = {x.strip() for x in fields["labels"].split(",")} - {"-"}
    return labels, fields["title"], body


FIXTURE_FILES = sorted(FIXTURES.glob("*.txt"))


def forms_of(label: str) -> set[str]:
    """The normalised forms a rule term expands to."""
    return set(term_forms(label))


def check_record(record: MatchRecord, title: str, text: str) -> None:
    """Offsets point at the original strings; snippet hits point at the terms."""
    for hit in record.hits:
        source = title if hit["field"] == "title" else text
        surface = source[hit["start"] : hit["end"]]
        assert normalize_term(surface) in forms_of(hit["term"]), (hit, surface)
    assert record.snippet_hits
    for start, end in record.snippet_hits:
        piece = record.snippet[start:end]
        assert any(normalize_term(piece) in forms_of(t) for t in record.terms), piece
    assert len(record.snippet) <= 360


# --- the default topics on the labelled fixtures -------------------------------------------


def test_fixtures_cover_both_topics_and_negatives() -> None:
    labels = [read_fixture(p)[0] for p in FIXTURE_FILES]
    assert len(FIXTURE_FILES) >= 15
    for topic in DEFAULT_IDS:
        assert sum(topic in x for x in labels) >= 3
    assert sum(not x for x in labels) >= 6


@pytest.mark.parametrize("topic", DEFAULT_IDS)
def test_default_topics_precision_and_recall(matcher: TopicMatcher, topic: str) -> None:
    wrong = []
    tp = fp = fn = 0
    for path in FIXTURE_FILES:
        labels, title, text = read_fixture(path)
        flagged = topic in {r.topic for r in matcher.match(title, text)}
        tp += flagged and topic in labels
        fp += flagged and topic not in labels
        fn += not flagged and topic in labels
        if flagged != (topic in labels):
            wrong.append(path.name)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    assert (precision, recall) == (1.0, 1.0), wrong


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_offsets_and_snippets(matcher: TopicMatcher, path: Path) -> None:
    _, title, text = read_fixture(path)
    for record in matcher.match(title, text):
        check_record(record, title, text)
        assert record.score > 0
        assert sum(record.terms.values()) == len(record.hits)


def test_title_only_hit_uses_title_as_snippet(matcher: TopicMatcher) -> None:
    _, title, text = read_fixture(FIXTURES / "en_title_only.txt")
    (record,) = matcher.match(title, text)
    assert record.topic == "kuril"
    assert record.snippet == title
    assert [h["field"] for h in record.hits] == ["title"]
    assert record.score == 2.0  # weight 1 x title_weight 2
    assert record.relevance == "about"  # a title hit


def test_default_exclusions_mask_kuril_lake() -> None:
    spec = load_default_spec()
    spec["kuril"]["terms"]["en"].append("Kuril")  # a bare name that would hit the lake
    _, title, text = read_fixture(FIXTURES / "en_kuril_lake.txt")
    assert compile_topics(spec).match(title, text) == []
    del spec["kuril"]["exclude"]
    assert [r.topic for r in compile_topics(spec).match(title, text)] == ["kuril"]


def test_peace_treaty_needs_japan_and_russia(matcher: TopicMatcher) -> None:
    text = "Talks on a peace treaty resumed."
    assert matcher.match("", text) == []
    assert matcher.match("", text + " Japan said so.") == []
    assert matcher.match("", text + " Russia said so.") == []
    assert [r.topic for r in matcher.match("", text + " Japan and Russia agree.")] == [
        "peace_treaty"
    ]


def test_longest_overlapping_hit_wins(matcher: TopicMatcher) -> None:
    (record,) = matcher.match("", "Visits to the southern Kuril Islands resumed.")
    assert len(record.hits) == 1
    assert record.hits[0]["start"] == 14
    assert record.hits[0]["end"] == 14 + len("southern Kuril Islands")


def test_word_boundaries_latin_cyrillic_cjk(matcher: TopicMatcher) -> None:
    assert matcher.match("", "Kunashirskiy district, Iturupian.") == []
    assert matcher.match("", "Он курил на Курилахх.") == []
    (record,) = matcher.match("", "Kunashirは北方領土の一部だ。")
    assert record.terms == {"Kunashir{,i,e,a}": 1, "北方領土": 1}


def test_language_limits_term_lists(matcher: TopicMatcher) -> None:
    text = "Kunashir and Iturup."
    assert matcher.match("", text, language="ja") == []
    assert [r.topic for r in matcher.match("", text, language="en-GB")] == ["kuril"]


def test_seed_story_when_available(matcher: TopicMatcher) -> None:
    seed = os.environ.get("WIREWATCH_SEED")
    if not seed:
        pytest.skip("WIREWATCH_SEED is not set")
    path = next(Path(seed).glob("*.txt"))
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    title, text = lines[1], "\n".join(lines[2:])
    records = {r.topic: r for r in matcher.match(title, text)}
    assert set(records) == set(DEFAULT_IDS)
    for term in (
        "{South,Southern} Kuril{akh,ah,am,y}",
        "Kunashir{,i,e,a}",
        "Shikotan{,e,a}",
        "Iturup{,e,a}",
        "{Habomai,Khabomai}",
        "Kuril{s,es}",
    ):
        assert term in records["kuril"].terms
    assert records["peace_treaty"].terms["peace treat{y,ies}"] >= 5
    for record in records.values():
        check_record(record, title, text)


# --- normalisation and offsets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Straße… and ﬁne Kunashir", "Kunashir"),
        ("№ 5 … Шикотан", "Шикотан"),
        ("Ｓｈｉｋｏｔａｎ now", "Ｓｈｉｋｏｔａｎ"),
        ("Ｘ… Ｈａｂｏｍａｉ", "Ｈａｂｏｍａｉ"),
        ("ｶﾞｽ　と北方領土", "北方領土"),
        ("İstanbul and Iturup", "Iturup"),
        ("e\u0301te\u0301 on Kunashir", "Kunashir"),
    ],
)
def test_offsets_survive_length_changes(matcher: TopicMatcher, text: str, surface: str) -> None:
    (record,) = matcher.match("", text)
    hit = record.hits[0]
    assert text[hit["start"] : hit["end"]] == surface
    start, end = record.snippet_hits[0]
    assert record.snippet[start:end] == surface


def test_yo_spelling_matches_both_ways() -> None:
    spec = {"t": {"terms": {"ru": ["ёлка", "береза"]}}}
    (record,) = compile_topics(spec).match("", "Ёлка и берёза, елка и Береза.")
    assert record.terms == {"ёлка": 2, "береза": 2}


def test_safe_class_really_needs_no_normalisation() -> None:
    seconds = set()
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    safe = re.compile(f"[{SAFE_CLASS}]")
    for cp in range(0x10000):
        ch = chr(cp)
        if safe.match(ch):
            assert unicodedata.normalize("NFKC", ch) == ch, hex(cp)
            assert len(ch.casefold()) == 1, hex(cp)
            assert unicodedata.combining(ch) == 0, hex(cp)
            assert ch not in seconds, hex(cp)


def test_normalize_fast_path_has_no_map() -> None:
    assert normalize("Курилы, ЁЖ and Tokyo 北方領土") == ("курилы, еж and tokyo 北方領土", None)
    norm, omap = normalize("ｶﾞ Ｋ")
    assert norm == "ガ k"
    assert omap is not None
    assert (omap.start(2), omap.end(3)) == (3, 4)


# --- brace expansion and snippets ------------------------------------------------------------


def test_expand_braces() -> None:
    assert expand_braces("Курил{ы,ах}") == ["Курилы", "Курилах"]
    assert expand_braces("a{,b} c{d,e}") == ["a cd", "a ce", "ab cd", "ab ce"]
    assert expand_braces("plain") == ["plain"]


def test_snippet_cuts_at_boundaries() -> None:
    text = (
        ("Filler sentence number one is here. " * 10)
        + "The key word is here. "
        + ("Another filler sentence follows it. " * 10)
    )
    start = text.index("key")
    snippet, hits = make_snippet(text, [(start, start + 3)])
    assert snippet.startswith("…") and snippet.endswith("…")
    assert snippet[hits[0][0] : hits[0][1]] == "key"
    assert snippet[1] == snippet[1].upper()  # starts at a sentence
    assert 150 <= len(snippet) <= 300


def test_snippet_collapses_whitespace() -> None:
    text = "Kunashir\n\n  and   Iturup"
    snippet, hits = make_snippet(text, [(0, 8), (text.index("Iturup"), len(text))])
    assert snippet == "Kunashir and Iturup"
    assert [snippet[a:b] for a, b in hits] == ["Kunashir", "Iturup"]


# --- determinism, pickling, speed ------------------------------------------------------------


def test_compile_and_match_are_deterministic() -> None:
    docs = [read_fixture(p)[1:] for p in FIXTURE_FILES]
    first = [compile_topics(load_default_spec()).match(*d) for d in docs]
    second = [compile_topics(load_default_spec()).match(*d) for d in docs]
    assert first == second


def test_matcher_pickles_by_spec(matcher: TopicMatcher) -> None:
    clone = pickle.loads(pickle.dumps(matcher))
    assert clone.topic_ids == DEFAULT_IDS
    _, title, text = read_fixture(FIXTURES / "ru_both.txt")
    assert clone.match(title, text) == matcher.match(title, text)


def test_empty_spec_matches_nothing() -> None:
    assert compile_topics({}).match("Kunashir", "Kunashir") == []


# --- validation ------------------------------------------------------------------------------


def good() -> dict[str, Any]:
    """A valid topic table, placed before the broken one."""
    return {"threshold": 1.0, "terms": {"en": ["x"]}}


BAD_RULES = [
    ({"terms": {"en": ["x"]}, "colour": "red"}, "colour"),
    ({"terms": {}}, "terms"),
    ({"terms": {"en": []}}, "terms.en"),
    ({"terms": {"english": ["x"]}}, "terms.english"),
    ({"terms": {"en": [""]}}, "terms.en[0]"),
    ({"terms": {"en": ["x", "   "]}}, "terms.en[1]"),
    ({"terms": {"en": ["Курил{ы,ах"]}}, "terms.en[0]"),
    ({"terms": {"en": ["Курилы}"]}}, "terms.en[0]"),
    ({"terms": {"en": ["a{b{c}}"]}}, "terms.en[0]"),
    ({"terms": {"en": ["a{}"]}}, "terms.en[0]"),
    ({"terms": {"en": ["{,}"]}}, "terms.en[0]"),
    ({"terms": {"en": [{"term": "x", "weight": 0}]}}, "terms.en[0].weight"),
    ({"terms": {"en": [{"term": "x", "weight": -1.5}]}}, "terms.en[0].weight"),
    ({"terms": {"en": [{"term": "x", "weight": "2"}]}}, "terms.en[0].weight"),
    ({"terms": {"en": [{"term": "x", "wieght": 2}]}}, "terms.en[0]"),
    ({"terms": {"en": [{"weight": 2}]}}, "terms.en[0]"),
    ({"terms": {"en": [3]}}, "terms.en[0]"),
    ({"terms": {"en": ["Kuril", "kuril"]}}, "terms.en[1]"),
    ({"terms": {"en": ["x"]}, "threshold": 0}, "threshold"),
    ({"terms": {"en": ["x"]}, "threshold": -1}, "threshold"),
    ({"terms": {"en": ["x"]}, "threshold": True}, "threshold"),
    ({"terms": {"en": ["x"]}, "title_weight": 0}, "title_weight"),
    ({"terms": {"en": ["x"]}, "name": ""}, "name"),
    ({"name": "no terms"}, "terms"),
    ({"terms": {"en": ["x"]}, "context": {"en": []}}, "context.en"),
    ({"terms": {"en": ["x"]}, "context": {"en": [{"term": "y", "weight": 2}]}}, "context.en[0]"),
    ({"terms": {"en": ["x"]}, "context_all": []}, "context_all"),
    ({"terms": {"en": ["x"]}, "context_all": [{"en": ["{"]}]}, "context_all[0].en[0]"),
    ({"terms": {"en": ["x"]}, "exclude": {"ru": ["}"]}}, "exclude.ru[0]"),
]


@pytest.mark.parametrize(("table", "rule"), BAD_RULES, ids=str)
def test_invalid_rules_name_topic_and_rule(table: dict[str, Any], rule: str) -> None:
    with pytest.raises(TopicRuleError) as info:
        compile_topics({"good": good(), "mytopic": table})
    assert info.value.topic == "mytopic"
    assert info.value.rule == rule
    assert "'mytopic'" in str(info.value) and repr(rule) in str(info.value)


def test_invalid_topic_ids_and_tables() -> None:
    with pytest.raises(TopicRuleError, match="'Bad Id'"):
        compile_topics({"Bad Id": good()})
    with pytest.raises(TopicRuleError, match="must be a table"):
        compile_topics({"t": ["x"]})  # type: ignore[dict-item]


def test_brace_explosion_is_refused() -> None:
    group = "{" + ",".join("abcdefghij") + "}"
    with pytest.raises(TopicRuleError, match="limit"):
        compile_topics({"t": {"terms": {"en": [group * 3]}}})


def test_offsets_under_random_noise(matcher: TopicMatcher) -> None:
    rng = random.Random(20240123)
    noise = ["ß", "ﬁ", "…", "№", "\u00a0", "Ｋ", "ｶﾞ", "e\u0301", "İ", "ё", " ", "\n", "x", "北"]
    surfaces = ["Kunashir", "ШИКОТАН", "Ｈａｂｏｍａｉ", "北方領土", "Итурупе"]
    for _ in range(300):
        parts = [rng.choice(noise) for _ in range(rng.randint(0, 6))]
        surface = rng.choice(surfaces)
        text = "".join(parts) + " " + surface + " " + "".join(rng.choice(noise) for _ in range(3))
        records = matcher.match("", text)
        spans = [(h["start"], h["end"]) for r in records for h in r.hits]
        assert any(text[s:e] == surface for s, e in spans), (text, spans)
