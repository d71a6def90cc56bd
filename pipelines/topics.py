"""The topic matcher: compiles `[topics.<id>]` rule tables into one Aho-Corasick automaton and
tells, for a title and a text, which topics an article is about and why.

A rule table (see wirewatch/default_topics.toml for a commented example)::

    name = "Kuril Islands dispute"   # optional, defaults to the id
    threshold = 2.0                  # score needed to flag (> 0, default 1.0)
    title_weight = 2.0               # a title hit counts this many times (> 0, default 2.0)
    terms = { en = ["Kurils", { term = "Habomai", weight = 2.0 }], ru = ["Курил{ы,ах}"] }
    context = { en = [...] }         # optional: one of these must occur
    context_all = [{ en = [...] }, { en = [...] }]  # optional: each group must occur
    exclude = { en = [...] }         # optional: occurrences are masked before counting
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ahocorasick

from pipelines.textnorm import expand_braces, is_cjk, is_word_char, make_snippet, normalize
from pipelines.textnorm import normalize_term as _norm_form
from storage.records import MatchRecord
from wirewatch.errors import TopicRuleError

TERM, EXCLUDE, CONTEXT = 0, 1, 2
_TOPIC_KEYS = ("name", "threshold", "title_weight", "terms", "context", "context_all", "exclude")
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_LANG = re.compile(r"(any|[a-z]{2,3})\Z")
_FIELDS = ("title", "text")


@dataclass(frozen=True, slots=True)
class _Entry:
    """What one normalised form means for one topic."""

    topic: int
    role: int
    group: int
    label: str
    weight: float
    lang: str


@dataclass(frozen=True, slots=True)
class _Topic:
    """The scalar settings of one compiled topic."""

    id: str
    name: str
    threshold: float
    title_weight: float
    groups: int


_Hit = tuple[int, int, _Entry]


def _positive(tid: str, rule: str, value: Any) -> float:
    """A number > 0, or TopicRuleError naming the rule."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TopicRuleError(tid, rule, f"must be a number, got {type(value).__name__}")
    if not value > 0 or value == float("inf"):
        raise TopicRuleError(tid, rule, f"must be a finite number > 0, got {value}")
    return float(value)


def _item(tid: str, rule: str, item: Any, weights: bool) -> tuple[str, float]:
    """One list item: a plain string, or `{term, weight}` where weights are allowed."""
    if isinstance(item, str):
        return item, 1.0
    if not isinstance(item, Mapping):
        raise TopicRuleError(tid, rule, f"must be a string or a table, got {type(item).__name__}")
    if not weights:
        raise TopicRuleError(tid, rule, "weights apply only to terms; write a plain string")
    unknown = sorted(set(item) - {"term", "weight"})
    if unknown:
        raise TopicRuleError(tid, rule, f"unknown key {unknown[0]!r}; expected term, weight")
    term = item.get("term")
    if not isinstance(term, str):
        raise TopicRuleError(tid, rule, 'needs term = "..."')
    return term, _positive(tid, f"{rule}.weight", item.get("weight", 1.0))


def _lists(
    tid: str, rule: str, table: Any, weights: bool
) -> list[tuple[str, str, str, float, list[str]]]:
    """Parse a `{lang: [term, ...]}` table into (rule path, lang, label, weight, forms)."""
    if not isinstance(table, Mapping) or not table:
        raise TopicRuleError(tid, rule, "must be a non-empty table of language lists")
    out = []
    for lang, items in table.items():
        path = f"{rule}.{lang}"
        if not isinstance(lang, str) or not _LANG.match(lang):
            raise TopicRuleError(tid, path, "language key must be 'any' or an ISO 639 code")
        if not isinstance(items, list) or not items:
            raise TopicRuleError(tid, path, "must be a non-empty list")
        for n, raw in enumerate(items):
            item_path = f"{path}[{n}]"
            label, weight = _item(tid, item_path, raw, weights)
            try:
                forms = [_norm_form(f) for f in expand_braces(label)]
            except ValueError as err:
                raise TopicRuleError(tid, item_path, f"{label!r}: {err}") from err
            if not all(forms):
                raise TopicRuleError(tid, item_path, f"{label!r} yields an empty term")
            out.append((item_path, lang, label, weight, list(dict.fromkeys(forms))))
    return out


def _sections(tid: str, table: Mapping[str, Any]) -> list[tuple[str, int, int, Any]]:
    """(rule name, role, context group, language table) for each list section of a topic."""
    if "terms" not in table:
        raise TopicRuleError(tid, "terms", "missing; a topic needs at least one term")
    context_all = table.get("context_all", [])
    if not isinstance(context_all, list) or ("context_all" in table and not context_all):
        raise TopicRuleError(tid, "context_all", "must be a non-empty list of tables")
    sections = [("terms", TERM, 0, table["terms"])]
    if "exclude" in table:
        sections.append(("exclude", EXCLUDE, 0, table["exclude"]))
    groups = [("context", table["context"])] if "context" in table else []
    groups += [(f"context_all[{n}]", group) for n, group in enumerate(context_all)]
    return sections + [(rule, CONTEXT, g, group) for g, (rule, group) in enumerate(groups)]


def _parse_topic(tid: Any, table: Any, index: int) -> tuple[_Topic, list[tuple[str, _Entry]]]:
    """Validate one topic table; return its settings and its (form, entry) pairs."""
    if not isinstance(tid, str) or not _ID.match(tid):
        raise TopicRuleError(str(tid), "id", "must be lowercase letters, digits and _")
    if not isinstance(table, Mapping):
        raise TopicRuleError(tid, "table", "must be a table")
    unknown = sorted(set(table) - set(_TOPIC_KEYS))
    if unknown:
        raise TopicRuleError(tid, unknown[0], f"unknown key; expected one of {_TOPIC_KEYS}")
    name = table.get("name", tid)
    if not isinstance(name, str) or not name.strip():
        raise TopicRuleError(tid, "name", "must be a non-empty string")
    sections = _sections(tid, table)
    pairs: list[tuple[str, _Entry]] = []
    seen: dict[tuple[int, int, str, str], str] = {}
    for rule, role, group, section in sections:
        for path, lang, label, weight, forms in _lists(tid, rule, section, role == TERM):
            entry = _Entry(index, role, group, label, weight, lang)
            for form in forms:
                other = seen.setdefault((role, group, lang, form), path)
                if other != path:
                    raise TopicRuleError(tid, path, f"form {form!r} already comes from {other}")
                pairs.append((form, entry))
    topic = _Topic(
        tid,
        name.strip(),
        _positive(tid, "threshold", table.get("threshold", 1.0)),
        _positive(tid, "title_weight", table.get("title_weight", 2.0)),
        len({group for _, role, group, _ in sections if role == CONTEXT}),
    )
    return topic, pairs


def _plain(value: Any) -> Any:
    """A deep copy of a parsed TOML value made of plain dicts and lists (picklable)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def compile_topics(spec: Mapping[str, Mapping[str, Any]]) -> TopicMatcher:
    """Validate `{topic_id: rule table}` and build the matcher; raises TopicRuleError."""
    if not isinstance(spec, Mapping):
        raise TopicRuleError("*", "topics", "must be a table of topic tables")
    plain = _plain(spec)
    topics: list[_Topic] = []
    by_form: dict[str, list[_Entry]] = {}
    for index, (tid, table) in enumerate(plain.items()):
        topic, pairs = _parse_topic(tid, table, index)
        topics.append(topic)
        for form, entry in pairs:
            by_form.setdefault(form, []).append(entry)
    automaton = ahocorasick.Automaton()
    for form, entries in by_form.items():
        edges = (not is_cjk(form[0]), not is_cjk(form[-1]))
        automaton.add_word(form, (len(form), *edges, tuple(entries)))
    if by_form:
        automaton.make_automaton()
    return TopicMatcher(plain, tuple(topics), automaton if by_form else None)


def _longest_first(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits, taking the longest at each leftmost position."""
    chosen: list[_Hit] = []
    last_end = -1
    for hit in sorted(hits, key=lambda h: (h[0], h[0] - h[1])):
        if hit[0] >= last_end:
            chosen.append(hit)
            last_end = hit[1]
    return chosen


class TopicMatcher:
    """Compiled topic rules; `match` returns the topics an article passes, with evidence."""

    def __init__(self, spec: dict[str, Any], topics: tuple[_Topic, ...], automaton: Any) -> None:
        self._spec = spec
        self._topics = topics
        self._automaton = automaton

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as the spec: a worker process re-compiles it, which takes milliseconds."""
        return compile_topics, (self._spec,)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        """The ids of the compiled topics, in spec order."""
        return tuple(t.id for t in self._topics)

    def _scan(self, s: str, language: str | None) -> dict[int, list[_Hit]]:
        """All boundary-respecting hits in ``s``, by topic, in original offsets."""
        found: dict[int, list[_Hit]] = {}
        if self._automaton is None or not s:
            return found
        norm, omap = normalize(s)
        size = len(norm)
        for last, (length, left, right, entries) in self._automaton.iter(norm):
            start, end = last - length + 1, last + 1
            if left and start > 0 and is_word_char(norm[start - 1]):
                continue
            if right and end < size and is_word_char(norm[end]):
                continue
            if omap is not None:
                start, end = omap.start(start), omap.end(end)
            for entry in entries:
                if language is None or entry.lang in (language, "any"):
                    found.setdefault(entry.topic, []).append((start, end, entry))
        return found

    def match(self, title: str, text: str, *, language: str | None = None) -> list[MatchRecord]:
        """Topics whose score reaches the threshold and whose context is present.

        ``language`` (ISO 639-1), when known, limits the term lists to that language and
        "any"; by default every list applies.
        """
        lang = language.split("-")[0].split("_")[0].casefold() if language else None
        scans = (self._scan(title, lang), self._scan(text, lang))
        records = []
        for index in sorted(set(scans[0]) | set(scans[1])):
            hits = (scans[0].get(index, []), scans[1].get(index, []))
            record = self._judge(self._topics[index], hits, (title, text))
            if record is not None:
                records.append(record)
        return records

    def _judge(
        self, topic: _Topic, hits: tuple[list[_Hit], list[_Hit]], sources: tuple[str, str]
    ) -> MatchRecord | None:
        """Apply exclusions, context groups and the threshold to one topic's hits."""
        counted: list[tuple[str, _Hit]] = []
        groups_seen: set[int] = set()
        score = 0.0
        for field_name, field_hits in zip(_FIELDS, hits, strict=True):
            masks = [(s, e) for s, e, entry in field_hits if entry.role == EXCLUDE]
            kept = [h for h in field_hits if not any(h[0] < e and s < h[1] for s, e in masks)]
            groups_seen.update(h[2].group for h in kept if h[2].role == CONTEXT)
            factor = topic.title_weight if field_name == "title" else 1.0
            for hit in _longest_first([h for h in kept if h[2].role == TERM]):
                counted.append((field_name, hit))
                score += hit[2].weight * factor
        if len(groups_seen) < topic.groups or not counted or score < topic.threshold - 1e-9:
            return None
        terms: dict[str, int] = {}
        for _, (_, _, entry) in counted:
            terms[entry.label] = terms.get(entry.label, 0) + 1
        in_text = [(s, e) for f, (s, e, _) in counted if f == "text"]
        if in_text:
            snippet, snippet_hits = make_snippet(sources[1], in_text)
        else:
            snippet, snippet_hits = make_snippet(sources[0], [(s, e) for _, (s, e, _) in counted])
        return MatchRecord(
            topic=topic.id,
            score=round(score, 6),
            terms=terms,
            hits=[{"term": h[2].label, "field": f, "start": h[0], "end": h[1]} for f, h in counted],
            snippet=snippet,
            snippet_hits=snippet_hits,
        )
