"""Full-text search over article titles and texts that knows the languages, on both databases.

The index (migration 0008) and the query split the work:

* Latin-script words are stemmed by the index: SQLite FTS5 ``porter unicode61`` and
  PostgreSQL's ``english`` configuration, so ``Kuril`` finds ``Kurils``.
* Russian words are expanded by the caller (``expand``: every dictionary form, from
  pymorphy3) and the forms are OR-ed, so ``Кунашир`` finds ``на Кунашире``; both
  indexes keep Cyrillic words as written, lower-cased.
* Words with CJK characters (Japanese, Chinese and Korean have no spaces) are matched as
  substrings through a trigram index over the articles in those languages (SQLite FTS5
  ``trigram``, PostgreSQL ``pg_trgm``); words of one or two characters, which a trigram
  index cannot look up, are a substring scan over those articles.

Every word must occur (AND); punctuation-only words are ignored and a query with no word
matches nothing. The query is always bound, never FTS or tsquery syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    String,
    and_,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session

from storage.models import FTS_TABLE, SEARCH_VECTOR_COLUMN, Article

CJK_FTS_TABLE = f"{FTS_TABLE}_cjk"
"""SQLite FTS5 trigram table over the articles in `CJK_LANGUAGES` (migration-only)."""

CJK_LANGUAGES = ("ja", "zh", "ko")
"""Languages whose articles get the trigram index."""

MAX_QUERY_CHARS = 500
"""Longest search accepted; longer ones are refused by the callers."""

TITLE_WEIGHT = 3.0
"""How much more a word in the title counts than one in the text, in SQLite's bm25."""

TEXT_SEARCH_CONFIG = "english"
"""PostgreSQL text search configuration of ``articles.search_vector``."""

_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]"
)
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")

Expand = Callable[[str], Sequence[str]]
"""Maps a searched word to the forms to look for (the word itself included)."""


def search_words(query: str) -> list[str]:
    """The words of a query: split on whitespace, edge punctuation removed, empties dropped."""
    words = (_EDGE_PUNCT.sub("", w) for w in query.split())
    return [w for w in words if w and any(ch.isalnum() for ch in w)]


def has_cjk(text: str) -> bool:
    """True when the text contains a Chinese, Japanese or Korean character."""
    return _CJK.search(text) is not None


def search_condition(
    dialect: str, query: str, expand: Expand | None = None, *, walk_dates: bool = False
) -> ColumnElement[bool]:
    """SQL condition selecting the articles that contain every word of ``query``.

    ``walk_dates`` (SQLite) writes the id test so that the planner cannot start from the
    full-text matches, and walks the date index instead (see `sqlite_list_plan`).
    """
    ident: Any = literal_column("+articles.id") if walk_dates else Article.id
    words = search_words(query)
    if not words:
        return false()
    spaced = [w for w in words if not has_cjk(w)]
    conditions = [_cjk_condition(dialect, w, ident) for w in words if has_cjk(w)]
    if spaced:
        alternatives = [_forms(w, expand) for w in spaced]
        if dialect == "sqlite":
            conditions.append(_fts5_condition(alternatives, ident))
        else:
            conditions.append(_tsquery_condition(alternatives))
    return and_(*conditions)


def _forms(word: str, expand: Expand | None) -> list[str]:
    forms = list(dict.fromkeys([word.casefold(), *(expand(word) if expand else ())]))
    return forms[:256]


def relevance(dialect: str, query: str, expand: Expand | None = None) -> ColumnElement[Any] | None:
    """How well each article matches the query's spaced words, lower is better (for ORDER
    BY, with the date as tie-break): FTS5's bm25, PostgreSQL's negated ``ts_rank``. None
    when the query has no such word (a CJK-only search is ordered by date)."""
    spaced = [w for w in search_words(query) if not has_cjk(w)]
    if not spaced:
        return None
    alternatives = [_forms(w, expand) for w in spaced]
    if dialect == "sqlite":
        fts = table(FTS_TABLE, column("rowid"))
        match = literal_column(FTS_TABLE).bool_op("MATCH")(_fts5_query(alternatives))
        return (
            select(func.bm25(literal_column(FTS_TABLE), TITLE_WEIGHT, 1.0))
            .select_from(fts)
            .where(match, fts.c.rowid == Article.id)
            .scalar_subquery()
        )
    return -func.ts_rank(_vector(), _tsquery(alternatives))


def _fts5_query(alternatives: list[list[str]]) -> str:
    groups = []
    for forms in alternatives:
        quoted = ['"' + f.replace('"', '""') + '"' for f in forms]
        groups.append("(" + " OR ".join(quoted) + ")")
    return " AND ".join(groups)


def _fts5_condition(
    alternatives: list[list[str]], ident: ColumnElement[Any]
) -> ColumnElement[bool]:
    fts = table(FTS_TABLE, column("rowid"))
    match = literal_column(FTS_TABLE).bool_op("MATCH")(_fts5_query(alternatives))
    return ident.in_(select(fts.c.rowid).where(match))


def _tsquery(alternatives: list[list[str]]) -> Any:
    word_queries = []
    for forms in alternatives:
        query: Any = None
        for form in forms:
            one = func.plainto_tsquery(literal_column(f"'{TEXT_SEARCH_CONFIG}'"), form)
            query = one if query is None else query.op("||")(one)
        word_queries.append(query)
    combined = word_queries[0]
    for query in word_queries[1:]:
        combined = combined.op("&&")(query)
    return combined


def _vector() -> ColumnElement[Any]:
    return literal_column(f"{Article.__tablename__}.{SEARCH_VECTOR_COLUMN}")


def _tsquery_condition(alternatives: list[list[str]]) -> ColumnElement[bool]:
    return _vector().bool_op("@@")(_tsquery(alternatives))


def _cjk_condition(dialect: str, word: str, ident: ColumnElement[Any]) -> ColumnElement[bool]:
    in_cjk = IN_CJK_LANGUAGE
    if dialect == "sqlite" and len(word) >= 3:
        fts = table(CJK_FTS_TABLE, column("rowid"))
        phrase = '"' + word.replace('"', '""') + '"'
        hits = select(fts.c.rowid).where(literal_column(CJK_FTS_TABLE).bool_op("MATCH")(phrase))
        return and_(in_cjk, ident.in_(hits))
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
    if dialect == "sqlite":  # no trigram: tested row by row (see sqlite_list_plan)
        return and_(
            in_cjk,
            or_(Article.title.like(pattern, escape="\\"), Article.text.like(pattern, escape="\\")),
        )
    if len(word) >= 3:
        return and_(in_cjk, PG_DOCUMENT.like(pattern, escape="\\"))
    # No trigram to look up: a LIKE would scan the whole trigram index; strpos lets the
    # planner walk the articles newest first instead, which finds a common word at once.
    return and_(in_cjk, func.strpos(PG_DOCUMENT, word) > 0)


IN_CJK_LANGUAGE: ColumnElement[bool] = literal_column(
    "articles.language IN (" + ", ".join(f"'{lang}'" for lang in CJK_LANGUAGES) + ")", Boolean()
)
"""The partial-index predicate, written as the migration writes it (literal, for the planner)."""

PG_DOCUMENT: ColumnElement[str] = literal_column(
    "(coalesce(articles.title, '') || ' ' || coalesce(articles.text, ''))", String()
)
"""The expression the PostgreSQL trigram index is built on (the same text as the migration's)."""


DENSE_MATCHES = 2000
"""Above this many full-text matches, SQLite lists by walking the date index instead."""


def sqlite_list_plan(session: Session, query: str, expand: Expand | None = None) -> str | None:
    """How SQLite should list a search newest first: "dates", "language" or None (its own).

    SQLite's planner starts from the full-text matches and sorts them, which for a common
    word means sorting tens of thousands of rows for one page: past `DENSE_MATCHES`
    matches, walking the date index and testing each row is cheaper ("dates"). One- and
    two-character CJK words have no trigram to look up: each CJK language's articles are
    walked newest first and tested ("language"), so a common word is found at once and an
    absent one costs a scan of the CJK articles only.
    """
    words = search_words(query)
    spaced = [w for w in words if not has_cjk(w)]
    long_cjk = [w for w in words if has_cjk(w) and len(w) >= 3]
    if spaced:
        table_name, match = FTS_TABLE, _fts5_query([_forms(w, expand) for w in spaced])
    elif long_cjk:
        table_name, match = CJK_FTS_TABLE, '"' + long_cjk[0].replace('"', '""') + '"'
    elif words:
        return "language"
    else:
        return None
    count = select(func.count()).select_from(
        select(literal_column("rowid"))
        .select_from(table(table_name))
        .where(literal_column(table_name).bool_op("MATCH")(match))
        .limit(DENSE_MATCHES + 1)
        .subquery()
    )
    return "dates" if session.execute(count).scalar_one() > DENSE_MATCHES else None
