"""The topic matcher: compiles ``[topics.<id>]`` rule tables (pipelines/rules.py, described
in docs/topics.md) into one Aho-Corasick automaton and tells, for a title and a text, which
topics an article is about and why.

One pass of the automaton per field finds every term, exclusion and group form of every
topic at once; the rest (exclusion masks, proximity, groups, threshold) works on the hits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from pipelines.proximity import Sentences, longest_first, proximity
from pipelines.relevance import relevance
from pipelines.rules import EXCLUDE, GROUP, TERM, Entry, TopicRules, parse_topic
from pipelines.textnorm import is_cjk, is_word_char, make_snippet, normalize
from storage.records import MatchRecord
from wirecore.errors import TopicRuleError

_FIELDS = ("title", "text")
_Hit = tuple[int, int, Entry]


@dataclass(slots=True)
class HitReport:
    """One occurrence of a term, and whether and how much it counted."""

    term: str
    field: str
    start: int
    end: int
    weight: float  # what it added to the score (0 when it did not count)
    lang: str
    note: str = ""  # why it did not count


@dataclass(slots=True)
class Explanation:
    """Why one topic passed or failed on one document."""

    topic: str
    name: str
    score: float
    threshold: float
    passed: bool
    reasons: list[str] = field(default_factory=list)
    hits: list[HitReport] = field(default_factory=list)
    groups: dict[str, int] = field(default_factory=dict)
    record: MatchRecord | None = None
    relevance: str = ""  # "about" or "mentions" when passed
    relevance_why: str = ""


def _plain(value: Any) -> Any:
    """A deep copy of a parsed TOML value made of plain dicts and lists (picklable)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def compile_topics(spec: Mapping[str, Mapping[str, Any]]) -> TopicMatcher:
    """Validate ``{topic_id: rule table}`` and build the matcher; raises TopicRuleError."""
    if not isinstance(spec, Mapping):
        raise TopicRuleError("*", "topics", "must be a table of topic tables")
    plain = _plain(spec)
    topics: list[TopicRules] = []
    by_form: dict[str, list[Entry]] = {}
    for index, (tid, table) in enumerate(plain.items()):
        topic, pairs = parse_topic(tid, table, index)
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


class TopicMatcher:
    """Compiled topic rules; ``match`` returns the topics an article passes, with evidence."""

    def __init__(
        self, spec: dict[str, Any], topics: tuple[TopicRules, ...], automaton: Any
    ) -> None:
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

    @property
    def languages(self) -> tuple[str, ...]:
        """The language keys of the compiled term lists ("any" included when used)."""
        langs: set[str] = set()
        for table in self._spec.values():
            for key in ("terms", "exclude"):
                langs.update(table.get(key, {}))
        return tuple(sorted(langs))

    @property
    def form_count(self) -> int:
        """How many distinct normalised forms the automaton holds."""
        return len(self._automaton) if self._automaton is not None else 0

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

    def explain(
        self, title: str, text: str, *, language: str | None = None, all_topics: bool = True
    ) -> list[Explanation]:
        """For each topic (or only those with a term hit), the hits, the score and the verdict."""
        lang = language.split("-")[0].split("_")[0].casefold() if language else None
        scans = (self._scan(title, lang), self._scan(text, lang))
        if all_topics:
            wanted: list[int] = list(range(len(self._topics)))
        else:  # a topic without a term hit cannot pass: skip the bookkeeping
            wanted = sorted(
                i
                for i in set(scans[0]) | set(scans[1])
                if any(h[2].role == TERM for scan in scans for h in scan.get(i, ()))
            )
        out = []
        for index in wanted:
            hits = (scans[0].get(index, []), scans[1].get(index, []))
            out.append(self._judge(self._topics[index], hits, (title, text)))
        return out

    def match(self, title: str, text: str, *, language: str | None = None) -> list[MatchRecord]:
        """Topics whose score reaches the threshold and whose groups are satisfied.

        ``language`` (ISO 639-1), when known, limits the term lists to that language and
        "any"; by default every list applies.
        """
        found = self.explain(title, text, language=language, all_topics=False)
        return [e.record for e in found if e.record is not None]

    def _judge(
        self, topic: TopicRules, hits: tuple[list[_Hit], list[_Hit]], sources: tuple[str, str]
    ) -> Explanation:
        """Apply exclusions, proximity, groups and the threshold to one topic's hits."""
        ex = Explanation(topic.id, topic.name, 0.0, topic.threshold, False)
        ex.groups = dict.fromkeys(topic.group_names, 0)
        counted: list[tuple[str, _Hit]] = []
        for field_name, field_hits, s in zip(_FIELDS, hits, sources, strict=True):
            sentences = Sentences(s)
            masks = [(h[0], h[1], h[2].label) for h in field_hits if h[2].role == EXCLUDE]
            kept: list[_Hit] = []
            for h in field_hits:
                mask = next((m for m in masks if h[0] < m[1] and m[0] < h[1]), None)
                if h[2].role == EXCLUDE:
                    continue
                if mask is not None:
                    if h[2].role == TERM:
                        note = f"inside exclusion {mask[2]!r}"
                        ex.hits.append(HitReport(*self._where(h, field_name), 0.0, h[2].lang, note))
                    continue
                kept.append(h)
            groups: dict[int, list[_Hit]] = {}
            for h in kept:
                if h[2].role == GROUP:
                    groups.setdefault(h[2].group, []).append(h)
                    ex.groups[topic.group_names[h[2].group]] += 1
            factor = topic.title_weight if field_name == "title" else 1.0
            chosen, dropped = longest_first([h for h in kept if h[2].role == TERM])
            for h in dropped:
                ex.hits.append(
                    HitReport(*self._where(h, field_name), 0.0, h[2].lang, "inside a longer hit")
                )
            for h in chosen:
                scope = h[2].field
                note = "" if scope in ("both", field_name) else f"counts only in the {scope}"
                note = note or proximity(s, h, groups, topic.group_names, sentences)
                weight = 0.0 if note else h[2].weight * factor
                ex.hits.append(HitReport(*self._where(h, field_name), weight, h[2].lang, note))
                if not note:
                    counted.append((field_name, h))
                    ex.score += weight
        ex.score = round(ex.score, 6)
        ex.hits.sort(key=lambda r: (r.field != "title", r.start))
        ex.passed = self._verdict(topic, ex, bool(counted))
        if ex.passed:
            ex.relevance, ex.relevance_why = relevance([(f, h[0], h[2].label) for f, h in counted])
            ex.record = self._record(topic, ex.score, counted, sources, ex.relevance)
        return ex

    @staticmethod
    def _where(hit: _Hit, field_name: str) -> tuple[str, str, int, int]:
        return hit[2].label, field_name, hit[0], hit[1]

    @staticmethod
    def _verdict(topic: TopicRules, ex: Explanation, any_counted: bool) -> bool:
        """Fill ``ex.reasons``; True when the topic passes."""
        names, seen = topic.group_names, ex.groups
        for g in topic.all:
            if not seen[names[g]]:
                ex.reasons.append(f"group {names[g]!r} (all) has no hit")
        if topic.any and not any(seen[names[g]] for g in topic.any):
            listed = ", ".join(repr(names[g]) for g in topic.any)
            ex.reasons.append(f"none of the groups {listed} (any) has a hit")
        for g in topic.none:
            if seen[names[g]]:
                ex.reasons.append(f"group {names[g]!r} (none) has {seen[names[g]]} hit(s)")
        if not any_counted:
            ex.reasons.append("no term counted")
        elif ex.score < topic.threshold - 1e-9:
            ex.reasons.append(f"score {ex.score:g} is below the threshold {topic.threshold:g}")
        if ex.reasons:
            return False
        ex.reasons.append(f"score {ex.score:g} reaches the threshold {topic.threshold:g}")
        return True

    @staticmethod
    def _record(
        topic: TopicRules,
        score: float,
        counted: list[tuple[str, _Hit]],
        sources: tuple[str, str],
        level: str,
    ) -> MatchRecord:
        """The evidence stored with a flag."""
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
            score=score,
            terms=terms,
            hits=[
                {
                    "term": h[2].label,
                    "field": f,
                    "start": h[0],
                    "end": h[1],
                    "weight": h[2].weight * (topic.title_weight if f == "title" else 1.0),
                }
                for f, h in counted
            ],
            snippet=snippet,
            snippet_hits=snippet_hits,
            relevance=level,
        )
