"""The topic rule language: validates one ``[topics.<id>]`` table and turns it into the
normalised forms the matcher's automaton holds, each with what it means for the topic.

Every problem is a TopicRuleError naming the topic, the rule (a path such as
``terms.ru[3].weight``) and the problem. docs/topics.md describes the language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.morph import MorphError, phrase_forms, word_forms
from pipelines.textnorm import expand_braces, normalize_term
from wirecore.errors import TopicRuleError

TERM, EXCLUDE, GROUP = 0, 1, 2
TOPIC_KEYS = (
    "name",
    "threshold",
    "title_weight",
    "within",
    "within_chars",
    "terms",
    "groups",
    "all",
    "any",
    "none",
    "exclude",
    "context",
    "context_all",
)
ITEM_KEYS = ("term", "weight", "field", "near", "not_near", "within", "within_chars")
FIELDS = ("title", "text", "both")
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_LANG = re.compile(r"(any|[a-z]{2,3})\Z")
_REGEX_HINT = re.compile(r"^(re:|/.*/$)|\\[bdswBDSW]|\(\?|[\[\]()|^$+]")


@dataclass(frozen=True, slots=True)
class Entry:
    """What one normalised form means for one topic."""

    topic: int
    role: int  # TERM, EXCLUDE or GROUP
    group: int  # index into TopicRules.group_names (GROUP only)
    label: str  # the term as written in the rule
    weight: float
    lang: str
    field: str  # "title", "text" or "both"
    near: tuple[int, ...]  # groups that must have a hit close to this one
    not_near: tuple[int, ...]  # groups that must have no hit close to this one
    within: int  # words
    within_chars: int  # characters, when either side is CJK


@dataclass(frozen=True, slots=True)
class TopicRules:
    """The scalar settings and group logic of one compiled topic."""

    id: str
    name: str
    threshold: float
    title_weight: float
    group_names: tuple[str, ...]
    all: tuple[int, ...]
    any: tuple[int, ...]
    none: tuple[int, ...]


def _positive(tid: str, rule: str, value: Any, integer: bool = False) -> float:
    """A finite number > 0 (an integer if asked), or TopicRuleError naming the rule."""
    kind = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kind):
        want = "a whole number" if integer else "a number"
        raise TopicRuleError(tid, rule, f"bad weight or limit: must be {want}, got {value!r}")
    if not value > 0 or value == float("inf"):
        raise TopicRuleError(tid, rule, f"bad weight or limit: must be > 0, got {value}")
    return float(value)


def term_forms(label: str) -> list[str]:
    """The normalised forms a rule term stands for; ValueError says what is wrong with it."""
    if label.count('"') % 2:
        raise ValueError("unbalanced quotes")
    if "*" in label or "?" in label:
        raise ValueError("wildcards are not supported: write ~word (Russian) or {endings}")
    if _REGEX_HINT.search(label):
        raise ValueError(
            "regular expressions are not supported (they can run away); "
            "use {alternatives} and ~word"
        )
    text = label.replace('"', "")
    forms: list[str] = []
    for expanded in expand_braces(text):
        words = tuple(expanded.split())
        try:
            if len(words) > 1 and any(w.startswith("~") for w in words):
                forms += [normalize_term(f) for f in phrase_forms(words)]
            elif words and words[0].startswith("~"):
                forms += [normalize_term(f) for f in word_forms(words[0][1:])[0]]
            else:
                forms.append(normalize_term(expanded))
        except MorphError as err:
            raise ValueError(str(err)) from err
    if not forms or not all(forms):
        raise ValueError("yields an empty term")
    return list(dict.fromkeys(forms))


def _item(tid: str, path: str, raw: Any, role: int, ctx: _Context) -> tuple[str, dict[str, Any]]:
    """One list item: a string, or (terms only) a table with options."""
    if isinstance(raw, str):
        return raw, {}
    if not isinstance(raw, Mapping):
        raise TopicRuleError(tid, path, f"must be a string or a table, got {type(raw).__name__}")
    if role != TERM:
        raise TopicRuleError(tid, path, "options apply only to terms; write a plain string")
    unknown = sorted(set(raw) - set(ITEM_KEYS))
    if unknown:
        raise TopicRuleError(tid, path, f"unknown operator {unknown[0]!r}; expected {ITEM_KEYS}")
    term = raw.get("term")
    if not isinstance(term, str):
        raise TopicRuleError(tid, path, 'needs term = "..."')
    opts: dict[str, Any] = {"weight": _positive(tid, f"{path}.weight", raw.get("weight", 1.0))}
    field = raw.get("field", "both")
    if field not in FIELDS:
        raise TopicRuleError(tid, f"{path}.field", f"must be one of {FIELDS}, got {field!r}")
    opts["field"] = field
    for key in ("near", "not_near"):
        names = raw.get(key, [])
        if not isinstance(names, list) or (key in raw and not names):
            raise TopicRuleError(tid, f"{path}.{key}", "empty group: must list group names")
        opts[key] = tuple(ctx.group_index(tid, f"{path}.{key}", name) for name in names)
    for key in ("within", "within_chars"):
        if key in raw:
            opts[key] = int(_positive(tid, f"{path}.{key}", raw[key], integer=True))
    return term, opts


class _Context:
    """Group names of the topic being parsed, and its default proximity limits."""

    def __init__(self, names: list[str], within: int, within_chars: int) -> None:
        self.names = names
        self.within = within
        self.within_chars = within_chars

    def group_index(self, tid: str, rule: str, name: Any) -> int:
        """The index of a named group; unknown names are an error."""
        if name not in self.names:
            known = ", ".join(n for n in self.names if not n.startswith("context")) or "none"
            raise TopicRuleError(tid, rule, f"unknown group {name!r} (groups: {known})")
        return self.names.index(name)


def _lists(
    tid: str, rule: str, table: Any, role: int, group: int, index: int, ctx: _Context
) -> list[tuple[str, Entry]]:
    """Parse a ``{lang: [term, ...]}`` table into (form, entry) pairs."""
    if not isinstance(table, Mapping) or not table:
        raise TopicRuleError(tid, rule, "empty group: must be a table of language lists")
    pairs: list[tuple[str, Entry]] = []
    seen: dict[str, str] = {}
    for lang, items in table.items():
        path = f"{rule}.{lang}"
        if not isinstance(lang, str) or not _LANG.match(lang):
            raise TopicRuleError(tid, path, "language key must be 'any' or an ISO 639 code")
        if not isinstance(items, list) or not items:
            raise TopicRuleError(tid, path, "empty group: must be a non-empty list")
        for n, raw in enumerate(items):
            item_path = f"{path}[{n}]"
            label, opts = _item(tid, item_path, raw, role, ctx)
            try:
                forms = term_forms(label)
            except ValueError as err:
                raise TopicRuleError(tid, item_path, f"{label!r}: {err}") from err
            entry = Entry(
                index,
                role,
                group,
                label,
                opts.get("weight", 1.0),
                lang,
                opts.get("field", "both"),
                opts.get("near", ()),
                opts.get("not_near", ()),
                opts.get("within", ctx.within),
                opts.get("within_chars", ctx.within_chars),
            )
            for form in forms:
                other = seen.setdefault(f"{lang}\0{form}", item_path)
                if other != item_path:
                    problem = f"form {form!r} already comes from {other}"
                    raise TopicRuleError(tid, item_path, problem)
                pairs.append((form, entry))
    return pairs


def _group_tables(tid: str, table: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(name, rule path, language table) of every group, named and legacy."""
    groups = table.get("groups", {})
    if not isinstance(groups, Mapping) or ("groups" in table and not groups):
        raise TopicRuleError(tid, "groups", "empty group: must be a table of named groups")
    out = [(str(name), f"groups.{name}", body) for name, body in groups.items()]
    if "context" in table:
        out.append(("context", "context", table["context"]))
    context_all = table.get("context_all", [])
    if not isinstance(context_all, list) or ("context_all" in table and not context_all):
        raise TopicRuleError(tid, "context_all", "empty group: must be a non-empty list")
    out += [(f"context_all[{n}]", f"context_all[{n}]", g) for n, g in enumerate(context_all)]
    return out


def _names(tid: str, table: Mapping[str, Any], key: str, ctx: _Context) -> tuple[int, ...]:
    """The group indexes listed under ``all``, ``any`` or ``none``."""
    value = table.get(key, [])
    if not isinstance(value, list) or (key in table and not value):
        raise TopicRuleError(tid, key, "empty group: must be a non-empty list of group names")
    return tuple(ctx.group_index(tid, f"{key}[{n}]", name) for n, name in enumerate(value))


def parse_topic(tid: Any, table: Any, index: int) -> tuple[TopicRules, list[tuple[str, Entry]]]:
    """Validate one topic table; return its settings and its (form, entry) pairs."""
    if not isinstance(tid, str) or not _ID.match(tid):
        raise TopicRuleError(str(tid), "id", "must be lowercase letters, digits and _")
    if not isinstance(table, Mapping):
        raise TopicRuleError(tid, "table", "must be a table")
    unknown = sorted(set(table) - set(TOPIC_KEYS))
    if unknown:
        raise TopicRuleError(tid, unknown[0], f"unknown operator; expected one of {TOPIC_KEYS}")
    name = table.get("name", tid)
    if not isinstance(name, str) or not name.strip():
        raise TopicRuleError(tid, "name", "must be a non-empty string")
    if "terms" not in table:
        raise TopicRuleError(tid, "terms", "missing; a topic needs at least one term")
    groups = _group_tables(tid, table)
    ctx = _Context(
        [g[0] for g in groups],
        int(_positive(tid, "within", table.get("within", 12), integer=True)),
        int(_positive(tid, "within_chars", table.get("within_chars", 30), integer=True)),
    )
    pairs = _lists(tid, "terms", table["terms"], TERM, -1, index, ctx)
    if "exclude" in table:
        pairs += _lists(tid, "exclude", table["exclude"], EXCLUDE, -1, index, ctx)
    for g, (_, rule, body) in enumerate(groups):
        pairs += _lists(tid, rule, body, GROUP, g, index, ctx)
    legacy = tuple(i for i, (n, _, _) in enumerate(groups) if n.startswith("context"))
    rules = TopicRules(
        tid,
        name.strip(),
        _positive(tid, "threshold", table.get("threshold", 1.0)),
        _positive(tid, "title_weight", table.get("title_weight", 2.0)),
        tuple(ctx.names),
        tuple(dict.fromkeys(_names(tid, table, "all", ctx) + legacy)),
        _names(tid, table, "any", ctx),
        _names(tid, table, "none", ctx),
    )
    return rules, pairs
