"""`wirewatch flag` (explain the topic rules on one document) and `wirewatch reflag`
(re-apply the current rules to stored articles)."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from pipelines.topics import Explanation, TopicMatcher, compile_topics
from wirecore.errors import WirewatchError
from wirewatch.clikit import TEXT, check_topics, errors_as_messages, open_session, parse_when, state
from wirewatch.config import Config
from wirewatch.fetch import FetchError, fetch

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _read(source: str, config: Config) -> tuple[bytes, str | None, str]:
    """(body, content type, URL-ish name) of a file, a URL or stdin ("-").

    A URL is fetched within ``crawl.timeout`` seconds in all; nothing larger than
    ``crawl.max_response_bytes`` is read, from a URL, a file or stdin.
    """
    limit = config.crawl.max_response_bytes
    if source.startswith(("http://", "https://")):
        try:
            got = fetch(
                source, agent=config.crawl.user_agent, timeout=config.crawl.timeout, max_bytes=limit
            )
        except FetchError as err:
            raise WirewatchError(f"cannot fetch {source}: {err}") from None
        return got.body, got.content_type, source
    try:
        if source == "-":
            body, name = sys.stdin.buffer.read(limit + 1), "stdin"
        else:
            with Path(source).open("rb") as fh:
                body, name = fh.read(limit + 1), Path(source).resolve().as_uri()
    except OSError as err:
        raise WirewatchError(f"cannot read {source}: {err.strerror or err}") from None
    if len(body) > limit:
        raise WirewatchError(f"{source}: larger than {limit} bytes (crawl.max_response_bytes)")
    return body, None, name


def _looks_binary(text: str) -> bool:
    """Text with NUL bytes, or more than 1% control characters or undecodable bytes."""
    if "\x00" in text:
        return True
    bad = len(_CONTROL_RE.findall(text[:65536])) + text[:65536].count("\ufffd")
    return bad > max(2, len(text[:65536]) // 100)


def printable(text: str) -> str:
    """``text`` with control characters shown as U+FFFD, safe to print on a terminal."""
    return _CONTROL_RE.sub("\ufffd", text)


def _looks_like_html(body: bytes, ctype: str | None) -> bool:
    if ctype:
        return "html" in ctype.lower()
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") or b"<html" in head or b"<body" in head


def load_document(source: str, config: Config) -> tuple[str, str, str | None, dict[str, Any]]:
    """(title, text, language, publication time) of a document: HTML goes through extraction
    (the time with how it was chosen), text is read as UTF-8 with its first non-empty line as
    the title (and no time)."""
    body, ctype, url = _read(source, config)
    if _looks_like_html(body, ctype):
        from pipelines.extraction import extract_article

        ex = extract_article(body, url, content_type=ctype or "text/html", min_chars=1)
        published = ex.published.isoformat() if ex.published else None
        dated = {"published": published, "published_note": ex.published_note}
        return ex.title, ex.text, ex.language, dated
    text = body.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    if _looks_binary(text):
        raise WirewatchError(f"{source}: binary data, not an HTML page or UTF-8 text")
    title, _, rest = text.strip("\n").partition("\n")
    return title.strip(), rest.strip("\n"), None, {}


def _hit_line(ex: Explanation, title: str, text: str, index: int) -> str:
    hit = ex.hits[index]
    surface = (title if hit.field == "title" else text)[hit.start : hit.end]
    where = f"{hit.field}[{hit.start}:{hit.end}]"
    verdict = f"+{hit.weight:g}" if not hit.note else f"not counted: {hit.note}"
    return f"  {where:<16} {surface!r:<28} term {hit.term!r} ({hit.lang}) {verdict}"


def render_explanations(
    exs: list[Explanation], title: str, text: str, dated: dict[str, Any] | None = None
) -> str:
    """The human-readable report of `wirewatch flag`."""
    lines = [f"title: {title}", f"text: {len(text)} characters"]
    if dated:
        lines.append(f"published: {dated['published'] or 'unknown'}")
        lines.append(f"  why: {dated['published_note'] or 'no date declared'}")
    lines.append("")
    for ex in exs:
        verdict = "FLAGGED" if ex.passed else "not flagged"
        lines.append(
            f"{ex.topic} ({ex.name}): {verdict}; score {ex.score:g}, threshold {ex.threshold:g}"
        )
        lines += [f"  why: {reason}" for reason in ex.reasons]
        if ex.passed:
            lines.append(f"  relevance: {ex.relevance} ({ex.relevance_why})")
        lines += [_hit_line(ex, title, text, i) for i in range(len(ex.hits))]
        if ex.groups:
            lines.append("  groups: " + ", ".join(f"{k}={v}" for k, v in ex.groups.items()))
        if ex.record is not None:
            marked, pos = [], 0
            for start, end in ex.record.snippet_hits:
                marked += [ex.record.snippet[pos:start], "[", ex.record.snippet[start:end], "]"]
                pos = end
            lines.append("  snippet: " + "".join([*marked, ex.record.snippet[pos:]]))
        lines.append("")
    return "\n".join(lines)


@click.command()
@click.argument("source")
@click.option(
    "--topic", "topics", multiple=True, type=TEXT, help="Explain only this topic (repeatable)."
)
@click.option("--lang", "language", type=TEXT, help="Use only the term lists of this language.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def flag(source: str, topics: tuple[str, ...], language: str | None, fmt: str) -> None:
    """Explain which topic terms fire on one document (FILE, URL or - for stdin) and why."""
    with errors_as_messages():
        config = state().config
        check_topics(config, topics)
        title, text, detected, dated = load_document(source, config)
        spec = {k: v for k, v in config.topics.items() if not topics or k in topics}
        exs = compile_topics(spec).explain(title, text, language=language)
    if fmt == "json":
        out = [asdict(ex) | {"language": detected} | dated for ex in exs]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(printable(render_explanations(exs, title, text, dated)), nl=False)


def _reflag_batches(
    session: Any, matcher: TopicMatcher, topics: tuple[str, ...], since: datetime | None, size: int
) -> Any:
    """Re-match stored articles batch by batch, committing each; yields (articles, counts)."""
    from storage.rematch import article_batch, replace_matches

    last = 0
    while batch := article_batch(session, after_id=last, limit=size, since=since):
        results = {a.id: matcher.match(a.title, a.text) for a in batch}
        counts = replace_matches(
            session, results, topics=topics or None, matched_at=datetime.now(UTC)
        )
        session.commit()
        last = batch[-1].id
        yield len(batch), counts


@click.command()
@click.option(
    "--topic", "topics", multiple=True, type=TEXT, help="Re-apply only this topic (repeatable)."
)
@click.option(
    "--since", type=TEXT, help="Only articles published at or after (YYYY-MM-DD or ISO 8601)."
)
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=200, show_default=True)
def reflag(topics: tuple[str, ...], since: str | None, batch_size: int) -> None:
    """Re-apply the current topic rules to stored articles; safe to interrupt and re-run."""
    from storage.rematch import RematchCounts, count_articles

    with errors_as_messages():
        config = state().config
        check_topics(config, topics)
        start = parse_when(since, ZoneInfo(config.report.timezone)) if since else None
        spec = {k: v for k, v in config.topics.items() if not topics or k in topics}
        matcher = compile_topics(spec)
        total = RematchCounts()
        with open_session(config) as session:
            count = count_articles(session, start)
            with click.progressbar(length=count, label="reflag", file=sys.stderr) as bar:
                for n, counts in _reflag_batches(session, matcher, topics, start, batch_size):
                    for key in ("added", "removed", "changed", "unchanged"):
                        setattr(total, key, getattr(total, key) + getattr(counts, key))
                    bar.update(n)
    click.echo(
        f"{count} articles: {total.added} matches added, {total.removed} removed, "
        f"{total.changed} changed, {total.unchanged} unchanged"
    )
