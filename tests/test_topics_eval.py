"""Quality gate of the default topics on the hand-written evaluation pages.

Each page goes through extraction (decoding, trafilatura) and the matcher, as in a crawl.
The floors below only ever move up: raise them when the rules get better, never lower them
to make a rule change pass.
"""

from __future__ import annotations

import gzip
import json
import os
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pipelines.extraction import extract_article
from pipelines.topics import TopicMatcher, compile_topics
from storage.queries import ArticleFilter, find_articles
from storage.writes import ensure_sources, store_articles
from tests.conftest import article
from tests.test_topics import DEFAULT_IDS, load_default_spec

EVAL = Path(__file__).parent / "fixtures" / "topics_eval"
LANGUAGES = ("en", "ru", "ja")
# (topic, language) -> (precision floor, recall floor). Only move these up.
FLOORS: dict[tuple[str, str], tuple[float, float]] = {
    (topic, lang): (1.0, 1.0) for topic in DEFAULT_IDS for lang in LANGUAGES
}
KINDS = ("positive", "stem", "namesake", "other_treaty", "boilerplate")


def eval_pages() -> list[dict[str, Any]]:
    """The [[page]] entries of labels.toml."""
    with (EVAL / "labels.toml").open("rb") as fh:
        return list(tomllib.load(fh)["page"])


def flag_page(matcher: TopicMatcher, body: bytes, url: str) -> set[str]:
    """The topics a crawled page would be flagged with."""
    ex = extract_article(body, url, content_type="text/html")
    return {r.topic for r in matcher.match(ex.title, ex.text)}


@pytest.fixture(scope="module")
def results() -> list[tuple[dict[str, Any], set[str]]]:
    """Each evaluation page with the topics it was flagged with."""
    matcher = compile_topics(load_default_spec())
    out = []
    for page in eval_pages():
        body = (EVAL / page["file"]).read_bytes()
        out.append((page, flag_page(matcher, body, f"https://example.org/{page['file']}")))
    return out


def scores(
    results: list[tuple[dict[str, Any], set[str]]], topic: str, lang: str
) -> tuple[float, float, list[str]]:
    """Precision, recall and the wrongly judged pages of one topic in one language."""
    tp = fp = fn = 0
    wrong = []
    for page, flagged in results:
        if page["language"] != lang:
            continue
        truth, got = topic in page["labels"], topic in flagged
        tp += truth and got
        fp += got and not truth
        fn += truth and not got
        if truth != got:
            wrong.append(page["file"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, wrong


def test_eval_set_covers_every_kind() -> None:
    pages = eval_pages()
    kinds = Counter((p["language"], p["kind"]) for p in pages)
    for lang in LANGUAGES:
        assert kinds[(lang, "positive")] >= 5, lang
        assert kinds[(lang, "boilerplate")] >= 1, lang
        assert kinds[(lang, "other_treaty")] >= 2, lang
        assert kinds[(lang, "namesake")] + kinds[(lang, "stem")] >= 2, lang
        for topic in DEFAULT_IDS:
            assert sum(topic in p["labels"] for p in pages if p["language"] == lang) >= 2
    assert {p["kind"] for p in pages} == set(KINDS)
    encodings = {p["encoding"] for p in pages}
    assert {"windows-1251", "koi8-r", "shift_jis", "euc-jp", "iso-8859-1"} <= encodings
    for page in pages:
        raw = (EVAL / page["file"]).read_bytes()
        assert raw.decode(page["encoding"])  # the label says how the file is encoded


@pytest.mark.parametrize(("topic", "lang"), sorted(FLOORS), ids=lambda x: str(x))
def test_quality_floor(
    results: list[tuple[dict[str, Any], set[str]]], topic: str, lang: str
) -> None:
    precision, recall, wrong = scores(results, topic, lang)
    floor_p, floor_r = FLOORS[(topic, lang)]
    assert precision >= floor_p and recall >= floor_r, (precision, recall, wrong)


def test_boilerplate_never_flags(results: list[tuple[dict[str, Any], set[str]]]) -> None:
    flagged = [p["file"] for p, got in results if p["kind"] == "boilerplate" and got]
    assert flagged == []


def test_stored_and_queried_as_a_user_would(session: Session) -> None:
    matcher = compile_topics(load_default_spec())
    records = []
    for page in eval_pages():
        url = f"https://example.org/{page['file']}"
        ex = extract_article((EVAL / page["file"]).read_bytes(), url, content_type="text/html")
        matches = tuple(matcher.match(ex.title, ex.text))
        records.append(article(url, title=ex.title, text_=ex.text, matches=matches))
    ensure_sources(session, {"wire-a": None})
    store_articles(session, None, records)
    session.commit()
    for topic in DEFAULT_IDS:
        found = find_articles(session, ArticleFilter(topics=(topic,), limit=None))
        want = {f"https://example.org/{p['file']}" for p in eval_pages() if topic in p["labels"]}
        assert {row.url for row in found} == want
        assert all(row.snippet for row in found)


@pytest.mark.corpus
def test_yomiuri_sidebar_page_stays_unflagged() -> None:
    corpus = os.environ.get("WIREWATCH_CORPUS")
    if not corpus:
        pytest.skip("WIREWATCH_CORPUS is not set")
    path = Path(corpus) / "pages" / "fundus" / "jp" / "YomiuriShimbun_2024_12_03.html.gz"
    body = gzip.decompress(path.read_bytes())
    assert "北方領土".encode() in body or "北方領土".encode("shift_jis") in body
    matcher = compile_topics(load_default_spec())
    assert (
        flag_page(matcher, body, "https://www.yomiuri.co.jp/politics/20241203-OYT1T50001/") == set()
    )


# The hand-written wire copy (wire.jsonl, same format as `wirewatch eval`) and the real-world
# development set (WIREWATCH_REALWORLD, kept outside the repository). Only move these up.
WIRE = EVAL / "wire.jsonl"
WIRE_FLOORS = dict.fromkeys(FLOORS, (1.0, 1.0))
REALWORLD_FLOORS = dict.fromkeys(FLOORS, (1.0, 1.0))
WIRE_KINDS = {
    "en": {"single", "unnamed", "northern", "artefact", "upper", "proximity", "seismic",
           "namesake", "other_treaty", "both", "background"},
    "ru": {"single", "unnamed", "northern", "upper", "proximity", "seismic", "stem",
           "namesake", "other_treaty", "both", "background"},
    "ja": {"single", "unnamed", "northern", "artefact", "seismic", "stem", "namesake",
           "other_treaty", "both", "background"},
}  # fmt: skip


def gate(path: Path, floors: dict[tuple[str, str], tuple[float, float]]) -> list[str]:
    """The cells below their floors, each with the mistakes of that cell and their evidence."""
    from pipelines.evaluation import evaluate, load_labelled
    from wirewatch.cli_eval import mistake_dict

    matcher = compile_topics(load_default_spec())
    docs = load_labelled(path, matcher.topic_ids, matcher.languages)
    result = evaluate(matcher, docs)
    failing = []
    for (topic, lang), (floor_p, floor_r) in sorted(floors.items()):
        cell = result.cells[(topic, lang)]
        if cell.precision < floor_p or cell.recall < floor_r:
            wrong = [
                mistake_dict(m) for m in result.mistakes if (m.topic, m.doc.lang) == (topic, lang)
            ]
            failing.append(f"{topic} [{lang}] P {cell.precision:.3f} R {cell.recall:.3f}: {wrong}")
    return failing


def test_wire_set_covers_every_kind() -> None:
    rows = [json.loads(line) for line in WIRE.read_text(encoding="utf-8").splitlines()]
    for lang, kinds in WIRE_KINDS.items():
        assert kinds <= {r["kind"] for r in rows if r["lang"] == lang}, lang
        for topic in DEFAULT_IDS:
            labelled = [r for r in rows if r["lang"] == lang]
            assert sum(topic in r["topics"] for r in labelled) >= 4, (lang, topic)
            assert sum(topic not in r["topics"] for r in labelled) >= 10, (lang, topic)


def test_quality_gate_on_the_wire_set() -> None:
    assert gate(WIRE, WIRE_FLOORS) == []


def test_quality_gate_on_the_real_world_set() -> None:
    root = os.environ.get("WIREWATCH_REALWORLD")
    if not root:
        pytest.skip("WIREWATCH_REALWORLD is not set")
    assert gate(Path(root) / "texts.jsonl", REALWORLD_FLOORS) == []


def test_gate_lists_the_mistakes_when_a_rule_change_breaks_it(tmp_path: Path) -> None:
    broken = tmp_path / "wire.jsonl"
    row = {"id": "x", "lang": "en", "title": "Kuril tea", "text": "", "topics": ["kuril"]}
    broken.write_text(json.dumps(row) + "\n", encoding="utf-8")
    (failing,) = gate(broken, {("kuril", "en"): (1.0, 1.0)})
    assert failing.startswith("kuril [en] P 1.000 R 0.000: [{'id': 'x'")
    assert "'error': 'false negative'" in failing and "no term counted" in failing
