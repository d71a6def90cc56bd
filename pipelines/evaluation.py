"""Scoring the topic rules against a labelled set: the logic of `wirewatch eval`.

A labelled set is JSON Lines or CSV, one document per line:

    id         optional; a name for the document in the error list (default: its line)
    lang       the language the document is scored under (en, ru, ja, ...)
    title      the headline (JSONL and CSV)
    text       the body, plain text; when its first line repeats the title it is dropped
    html       instead of title/text: a whole page, extracted as in a crawl
    topics     the expected topics: a JSON list, or in CSV a ";"- or ","-separated cell;
               every topic scored but not listed is expected NOT to flag
    <topic>    instead of ``topics``: true/false per topic (only the topics given are scored)
    ambiguous  true: the labels do not decide it; left out of precision and recall

Any other field is ignored. Every problem is a ConfigError naming the file and the line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.topics import Explanation, TopicMatcher
from wirecore.errors import ConfigError

_RESERVED = {"id", "lang", "title", "text", "html", "topics", "ambiguous", "url", "reason"}
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


@dataclass(frozen=True, slots=True)
class LabelledDoc:
    """One document of a labelled set and what it should flag."""

    ref: str  # id, or "line N"
    line: int
    lang: str
    title: str
    text: str
    html: bytes | None
    labels: dict[str, bool]  # topic -> expected
    ambiguous: bool = False


@dataclass(slots=True)
class Cell:
    """Counts of one topic in one language."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        """Share of flags that were expected (1.0 when nothing flagged)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of expected flags that were made (1.0 when none were expected)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass(slots=True)
class Mistake:
    """A document the rules judged wrongly for one topic, with the rule evidence."""

    doc: LabelledDoc
    topic: str
    kind: str  # "false positive" or "false negative"
    explanation: Explanation


@dataclass(slots=True)
class EvalResult:
    """Precision/recall per (topic, language) and every mistake."""

    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    mistakes: list[Mistake] = field(default_factory=list)
    scored: int = 0
    skipped: int = 0


def _fail(path: str, line: int, problem: str) -> ConfigError:
    return ConfigError(f"{path}: line {line}: {problem}")


def _flag(path: str, line: int, key: str, value: Any) -> bool:
    """A label value: a JSON boolean or a CSV true/false word."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in _TRUE | _FALSE:
        return value.strip().casefold() in _TRUE
    raise _fail(path, line, f"{key!r} must be true or false, got {value!r}")


def _labels(path: str, line: int, row: Mapping[str, Any], topics: Sequence[str]) -> dict[str, bool]:
    """The expected verdict per topic; an unknown topic or no label at all is an error."""
    raw = row.get("topics")
    if raw is not None and raw != "":
        listed = raw if isinstance(raw, list) else str(raw).replace(";", ",").split(",")
        names = [str(t).strip() for t in listed if str(t).strip()]
        for name in names:
            if name not in topics:
                raise _fail(path, line, f"unknown topic {name!r} (topics: {', '.join(topics)})")
        return {t: t in names for t in topics}
    labels: dict[str, bool] = {}
    for key, value in row.items():
        if key in _RESERVED or value is None or (isinstance(value, str) and not value):
            continue
        if not isinstance(value, bool | str):
            continue
        if key not in topics:
            if isinstance(value, bool):
                raise _fail(path, line, f"unknown topic {key!r} (topics: {', '.join(topics)})")
            continue
        labels[key] = _flag(path, line, key, value)
    if raw == "" and not labels:  # an empty CSV topics cell: expected to flag nothing
        return dict.fromkeys(topics, False)
    if not labels:
        raise _fail(path, line, "no labels: give 'topics' or a true/false field per topic")
    return labels


def _document(
    path: str, line: int, row: Any, topics: Sequence[str], languages: Iterable[str]
) -> LabelledDoc:
    """Validate one parsed line into a LabelledDoc."""
    if not isinstance(row, Mapping):
        raise _fail(path, line, "must be a JSON object")
    lang = str(row.get("lang") or "").strip().casefold()
    known = sorted(set(languages) - {"any"})
    open_ended = "any" in languages and re.fullmatch(r"[a-z]{2,3}", lang)
    if lang not in known and not open_ended:
        shown = repr(lang) if lang else "(none)"
        raise _fail(path, line, f"unknown language {shown} (known: {', '.join(known)})")
    html, title, text = row.get("html"), row.get("title") or "", row.get("text") or ""
    if not isinstance(title, str) or not isinstance(text, str):
        raise _fail(path, line, "'title' and 'text' must be strings")
    if html is not None and not isinstance(html, str):
        raise _fail(path, line, "'html' must be a string")
    if not (html or title.strip() or text.strip()):
        raise _fail(path, line, "no text: give 'title' and 'text', or 'html'")
    first, _, rest = text.partition("\n")
    if title and first.strip() == title.strip():
        text = rest
    ambiguous = _flag(path, line, "ambiguous", row.get("ambiguous") or False)
    return LabelledDoc(
        ref=str(row.get("id") or f"line {line}"),
        line=line,
        lang=lang,
        title=title.strip(),
        text=text.strip("\n"),
        html=html.encode("utf-8") if html else None,
        labels=_labels(path, line, row, topics),
        ambiguous=ambiguous,
    )


def _rows(path: Path, body: str) -> Iterable[tuple[int, Any]]:
    """(line number, parsed row) of a JSONL or CSV file."""
    if path.suffix.casefold() == ".csv":
        reader = csv.DictReader(io.StringIO(body))
        if not reader.fieldnames:
            raise _fail(str(path), 1, "empty CSV file: no header")
        for row in reader:
            yield reader.line_num, row
        return
    for number, raw in enumerate(body.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except json.JSONDecodeError as err:
            raise _fail(str(path), number, f"not valid JSON: {err.msg}") from err


def load_labelled(path: Path, topics: Sequence[str], languages: Iterable[str]) -> list[LabelledDoc]:
    """Read and validate a labelled set; ConfigError names the file and the bad line."""
    try:
        body = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {path}: {err}") from err
    langs = tuple(languages)
    try:
        docs = [_document(str(path), n, row, topics, langs) for n, row in _rows(path, body)]
    except csv.Error as err:
        raise ConfigError(f"{path}: not valid CSV: {err}") from err
    if not docs:
        raise ConfigError(f"{path}: no documents")
    return docs


Extractor = Callable[[bytes, str], tuple[str, str]]


def evaluate(
    matcher: TopicMatcher,
    docs: Sequence[LabelledDoc],
    extract: Extractor | None = None,
) -> EvalResult:
    """Run the rules over every document and count hits and misses per topic and language;
    only the matcher's topics are scored.

    ``extract(html, url) -> (title, text)`` turns an ``html`` document into what a crawl
    would match; it is needed only when a document has one.
    """
    result = EvalResult()
    wanted = set(matcher.topic_ids)
    for doc in docs:
        labels = {t: v for t, v in doc.labels.items() if t in wanted}
        if doc.ambiguous or not labels:
            result.skipped += doc.ambiguous
            continue
        result.scored += 1
        title, text = doc.title, doc.text
        if doc.html is not None:
            if extract is None:
                raise ConfigError(f"line {doc.line}: an 'html' document needs extraction")
            title, text = extract(doc.html, f"https://example.org/{doc.ref}")
        verdicts = {ex.topic: ex for ex in matcher.explain(title, text)}
        for topic, expected in labels.items():
            ex = verdicts[topic]
            cell = result.cells.setdefault((topic, doc.lang), Cell())
            if ex.passed and expected:
                cell.tp += 1
            elif ex.passed:
                cell.fp += 1
                result.mistakes.append(Mistake(doc, topic, "false positive", ex))
            elif expected:
                cell.fn += 1
                result.mistakes.append(Mistake(doc, topic, "false negative", ex))
            else:
                cell.tn += 1
    return result
