"""Writes from a crawl into the database: sources, runs, articles with versions, failures.

Every function takes a `Session` and never commits: the caller (the store pipeline) owns
short transactions, one per batch. Inserts that may race with another writer go through
one upsert code path for both databases (`insert_stmt`: ``ON CONFLICT DO NOTHING`` plus
``RETURNING`` to learn which rows were really new; ``rowcount`` is -1 under psycopg's
executemany).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage import models
from storage.errors import StorageError
from storage.records import ArticleRecord, FailureRecord, MatchRecord, SourceCounts
from storage.runs import process_owner
from wirecore.outcomes import RunFailure, RunStatus, StoreOutcome

COUNT_FIELDS = ("fetched", "new", "updated", "unchanged", "flagged", "failed")
"""The per-source tallies of a crawl run, as columns of crawl_run_sources."""

_CHUNK = 500  # keys per IN (...) list: far below SQLite's and psycopg's parameter limits
_SOURCES = cast(Table, models.Source.__table__)
_RUNS = cast(Table, models.CrawlRun.__table__)
_RUN_SOURCES = cast(Table, models.CrawlRunSource.__table__)
_ARTICLES = cast(Table, models.Article.__table__)
_VERSIONS = cast(Table, models.ArticleVersion.__table__)
_MATCHES = cast(Table, models.TopicMatch.__table__)
_FAILURES = cast(Table, models.FetchFailure.__table__)
_Sig = tuple[str, float, tuple[tuple[str, int], ...], str | None]
_T = TypeVar("_T")


def ensure_sources(session: Session, names_langs: Mapping[str, str | None]) -> None:
    """Create missing sources; set the language of existing ones when a new one is given."""
    known = dict(_select_in(session, _SOURCES.c.name, names_langs, _SOURCES.c.language))
    missing = [
        {"name": name, "language": lang, "created_at": models.utcnow()}
        for name, lang in names_langs.items()
        if name not in known
    ]
    if missing:
        stmt = insert_stmt(session, _SOURCES).on_conflict_do_nothing(index_elements=["name"])
        session.execute(stmt, missing)
    changed = [
        {"b_name": name, "b_language": lang}
        for name, lang in names_langs.items()
        if name in known and lang is not None and known[name] != lang
    ]
    if changed:
        where = _SOURCES.c.name == bindparam("b_name")
        stmt_u = update(_SOURCES).where(where).values(language=bindparam("b_language"))
        session.execute(stmt_u, changed)


def start_run(session: Session, sources: Sequence[str]) -> int:
    """Record that a crawl of ``sources`` starts now, owned by this process; returns its id."""
    names = list(dict.fromkeys(sources))
    ensure_sources(session, dict.fromkeys(names))
    now = models.utcnow()
    values = {
        "started_at": now,
        "status": RunStatus.RUNNING,
        "owner": process_owner(),
        "heartbeat_at": now,
    }
    stmt = insert(_RUNS).values(values).returning(_RUNS.c.id)
    run_id: int = session.execute(stmt).scalar_one()
    if names:
        rows = [asdict(SourceCounts(name)) | {"run_id": run_id} for name in names]
        session.execute(insert(_RUN_SOURCES), rows)
    return run_id


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: RunStatus,
    counts: Sequence[SourceCounts],
    error: str | RunFailure | None,
) -> None:
    """Record how a crawl run ended: its status, error and per-source counts."""
    status = RunStatus(status)  # ValueError for a text that is no status
    if status is RunStatus.RUNNING:
        raise ValueError(f"invalid final run status {status!r}")
    text = None if error is None else str(error)
    values = {"status": status, "finished_at": models.utcnow(), "error": text}
    result = session.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(values))
    if getattr(result, "rowcount", 1) == 0:
        raise StorageError(f"crawl run {run_id} does not exist")
    if counts:
        stmt = insert_stmt(session, _RUN_SOURCES)
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "source"],
            set_={field: stmt.excluded[field] for field in COUNT_FIELDS},
        )
        rows = {c.source: asdict(c) | {"run_id": run_id} for c in counts}  # last one wins
        session.execute(stmt, list(rows.values()))


def end_run(
    session: Session,
    run_id: int,
    status: RunStatus,
    error: RunFailure | str,
    *,
    only_from: tuple[RunStatus, ...] = (RunStatus.RUNNING,),
) -> bool:
    """End ``run_id`` as ``status`` with ``error`` when it is in one of ``only_from``
    (its counts stay); False when it was not (already ended, or no such run)."""
    current = session.execute(select(_RUNS.c.status).where(_RUNS.c.id == run_id)).scalar()
    if current not in only_from:
        return False
    finish_run(session, run_id, status=status, counts=[], error=str(error)[:500])
    return True


def record_failures(
    session: Session, run_id: int | None, failures: Sequence[FailureRecord]
) -> None:
    """Store pages, feeds and sitemaps that failed, with the run they failed in."""
    if failures:
        session.execute(insert(_FAILURES), [asdict(f) | {"run_id": run_id} for f in failures])


@dataclass(slots=True, eq=False)  # eq=False: hashed by identity, used as a dict key
class _State:
    id: int
    content_hash: str
    version: int
    is_new: bool = False
    changed: bool = False


def store_articles(
    session: Session, run_id: int | None, records: Sequence[ArticleRecord]
) -> list[StoreOutcome]:
    """Insert or update articles by canonical URL; what storing each record did, in order.

    An unchanged article (same content hash) only gets ``last_seen``/``last_run_id``
    bumped, and its topic matches replaced if the set of (topic, score, terms) differs.
    A changed one is rewritten with ``version + 1``, a new ``article_versions`` row and
    fresh topic matches. A URL repeated in the batch is taken in order: the first
    occurrence is new/updated/unchanged against the database, later ones against the
    occurrence before them, and the last one's content stays.
    """
    if not records:
        return []
    ensure_sources(session, dict.fromkeys(r.source for r in records))
    names = {r.source for r in records}
    source_ids = dict(_select_in(session, _SOURCES.c.name, names, _SOURCES.c.id))
    by_url: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        by_url.setdefault(record.url, []).append(i)
    statuses: list[StoreOutcome | None] = [None] * len(records)
    versions: list[dict[str, Any]] = []

    states = _load_states(session, list(by_url))
    missing = [url for url in by_url if url not in states]
    inserted = _insert_articles(
        session, run_id, source_ids, [records[by_url[u][0]] for u in missing]
    )
    for url, article_id in inserted.items():
        first = records[by_url[url][0]]
        states[url] = _State(article_id, first.content_hash, 1, is_new=True)
        statuses[by_url[url][0]] = StoreOutcome.NEW
        versions.append(_version_row(article_id, 1, first, run_id))
    # URLs another writer inserted since our SELECT are simply existing ones.
    states.update(_load_states(session, [url for url in missing if url not in inserted]))

    for url, indexes in by_url.items():
        state = states[url]
        for i in (i for i in indexes if statuses[i] is None):
            if records[i].content_hash == state.content_hash:
                statuses[i] = StoreOutcome.UNCHANGED
                continue
            state.version += 1
            state.content_hash = records[i].content_hash
            state.changed = True
            statuses[i] = StoreOutcome.UPDATED
            versions.append(_version_row(state.id, state.version, records[i], run_id))

    finals = {states[url]: records[indexes[-1]] for url, indexes in by_url.items()}
    _update_articles(session, run_id, source_ids, finals, by_url)
    if versions:
        session.execute(insert(_VERSIONS), versions)
    _replace_matches(session, finals)
    return cast(list[StoreOutcome], statuses)


def _update_articles(
    session: Session,
    run_id: int | None,
    source_ids: Mapping[str, int],
    finals: Mapping[_State, ArticleRecord],
    by_url: Mapping[str, list[int]],
) -> None:
    content: list[dict[str, Any]] = []
    touched: list[dict[str, Any]] = []
    for state, last in finals.items():
        if state.changed:
            row = _article_row(last, source_ids, run_id)
            del row["url"], row["first_seen"]
            row |= {"version": state.version, "updated_at": last.fetched_at, "id": state.id}
            content.append({f"b_{k}": v for k, v in row.items()})
        elif not state.is_new or len(by_url[last.url]) > 1:
            touched.append(
                {"b_id": state.id, "b_last_seen": last.fetched_at, "b_last_run_id": run_id}
            )
    for rows in (content, touched):
        if rows:
            cols = [k.removeprefix("b_") for k in rows[0] if k != "b_id"]
            stmt = (
                update(_ARTICLES)
                .where(_ARTICLES.c.id == bindparam("b_id"))
                .values({c: bindparam(f"b_{c}") for c in cols})
            )
            session.execute(stmt, rows)


def _replace_matches(session: Session, finals: Mapping[_State, ArticleRecord]) -> None:
    """Write the matches of new and changed articles, and of unchanged ones whose flags moved."""
    by_id = {state.id: (state, record) for state, record in finals.items()}
    replace = {s.id for s in finals if s.changed}
    unchanged = [s.id for s in finals if not s.is_new and not s.changed]
    c = _MATCHES.c
    stored: dict[int, set[_Sig]] = {}
    columns = (c.topic, c.score, c.terms, c.relevance)
    for article_id, *sig in _select_in(session, c.article_id, unchanged, *columns):
        stored.setdefault(article_id, set()).add(_sig(*sig))
    for article_id in unchanged:
        matches = _unique_topics(by_id[article_id][1].matches)
        wanted = {_sig(m.topic, m.score, m.terms, m.relevance) for m in matches}
        if stored.get(article_id, set()) != wanted:
            replace.add(article_id)
    for chunk in chunks(sorted(replace)):
        session.execute(delete(_MATCHES).where(_MATCHES.c.article_id.in_(chunk)))
    rows = [
        _match_row(article_id, m, record.fetched_at)
        for article_id, (state, record) in by_id.items()
        if article_id in replace or state.is_new
        for m in _unique_topics(record.matches)
    ]
    if rows:
        session.execute(insert(_MATCHES), rows)


def _insert_articles(
    session: Session,
    run_id: int | None,
    source_ids: Mapping[str, int],
    records: Sequence[ArticleRecord],
) -> dict[str, int]:
    """Insert articles whose URL is not stored yet; return url -> id of those really inserted."""
    stmt = (
        insert_stmt(session, _ARTICLES)
        .on_conflict_do_nothing(index_elements=["url"])
        .returning(_ARTICLES.c.id, _ARTICLES.c.url)
    )
    rows = [_article_row(r, source_ids, run_id) | {"version": 1} for r in records]
    inserted: dict[str, int] = {}
    for chunk in chunks(rows):
        inserted.update((url, id_) for id_, url in session.execute(stmt, chunk))
    return inserted


def insert_stmt(session: Session, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT on ``table`` in the session's dialect (for ``on_conflict_*`` upserts)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise StorageError(f"unsupported database dialect: {dialect}")


def _select_in(
    session: Session,
    key: ColumnElement[Any],
    keys: Iterable[Any],
    *columns: ColumnElement[Any],
) -> Iterator[tuple[Any, ...]]:
    """Rows of (key, *columns) whose key is in ``keys``, one SELECT per chunk of keys."""
    for chunk in chunks(list(keys)):
        yield from (
            tuple(row) for row in session.execute(select(key, *columns).where(key.in_(chunk)))
        )


def _load_states(session: Session, urls: Sequence[str]) -> dict[str, _State]:
    a = _ARTICLES.c
    rows = _select_in(session, a.url, urls, a.id, a.content_hash, a.version)
    return {url: _State(id_, h, v) for url, id_, h, v in rows}


def _sig(topic: str, score: float, terms: Mapping[str, int], relevance: str | None) -> _Sig:
    return (
        topic,
        float(score),
        tuple(sorted((str(k), int(v)) for k, v in terms.items())),
        relevance,
    )


def _unique_topics(matches: Sequence[MatchRecord]) -> list[MatchRecord]:
    return list({m.topic: m for m in matches}.values())


def _article_row(
    r: ArticleRecord, source_ids: Mapping[str, int], run_id: int | None
) -> dict[str, Any]:
    return {
        "url": r.url,
        "source_id": source_ids[r.source],
        "title": r.title,
        "author": r.author,
        "published_at": r.published,
        "published_origin": r.published_origin,
        "published_note": r.published_note,
        "language": r.language,
        "sitename": r.sitename,
        "text": r.text,
        "content_hash": r.content_hash,
        "first_seen": r.fetched_at,
        "last_seen": r.fetched_at,
        "last_run_id": run_id,
    }


def _version_row(
    article_id: int, version: int, r: ArticleRecord, run_id: int | None
) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "version": version,
        "title": r.title,
        "text": r.text,
        "content_hash": r.content_hash,
        "published_at": r.published,
        "seen_at": r.fetched_at,
        "run_id": run_id,
    }


def _match_row(article_id: int, m: MatchRecord, matched_at: datetime) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "topic": m.topic,
        "score": float(m.score),
        "terms": m.terms,
        "hits": m.hits,
        "snippet": m.snippet,
        "snippet_hits": [list(h) for h in m.snippet_hits],
        "matched_at": matched_at,
        "relevance": m.relevance,
    }


def chunks(items: Sequence[_T], size: int = _CHUNK) -> Iterator[Sequence[_T]]:
    """``items`` in slices of ``size``: the keys of one ``IN (...)`` list each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
