"""Polling state in the database (SQLite and PostgreSQL): validators, schedule, known links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import backfill, identity, sources, writes
from storage.backfill import BackfillStep
from storage.models_sources import FeedState
from storage.sources import FeedPoll, IntervalPolicy
from tests.conftest import article, utc

POLICY = IntervalPolicy(base=900.0, minimum=300.0, maximum=3600.0)
T0 = utc(2026, 11, 27, 1)


def poll(outcome: str, *, at: int = 0, url: str = "https://w.example/rss", **kw: Any) -> FeedPoll:
    return FeedPoll(
        url=url, source="w", polled_at=T0 + timedelta(minutes=at), outcome=outcome, **kw
    )


def test_adapt_interval_stays_within_bounds() -> None:
    assert sources.adapt_interval(900, 10, POLICY) == 450
    assert sources.adapt_interval(900, 2, POLICY) == 720
    assert sources.adapt_interval(900, 0, POLICY) == 1350
    assert sources.adapt_interval(400, 50, POLICY) == 300
    assert sources.adapt_interval(3000, 0, POLICY) == 3600
    assert sources.failure_delay(900, 1, POLICY, None) == 900
    assert sources.failure_delay(900, 3, POLICY, None) == 3600
    assert sources.failure_delay(900, 1, POLICY, 7200) == 7200


def test_validators_survive_failures_and_not_modified(session: Session) -> None:
    sources.record_feed_polls(
        session, [poll("changed", status=200, etag='"a"', last_modified="X", body_hash="h1")]
    )
    sources.record_feed_polls(session, [poll("failed", at=15, status=503, error="HTTP 503")])
    sources.record_feed_polls(session, [poll("not-modified", at=30, status=304)])
    got = sources.feed_validators(session, ["https://w.example/rss", "https://w.example/none"])
    assert got == {"https://w.example/rss": sources.Validators('"a"', "X", "h1")}
    (row,) = session.scalars(select(FeedState).where(FeedState.source == "w"))
    assert (row.last_status, row.last_outcome, row.consecutive_failures) == (
        304,
        "not-modified",
        0,
    )


def test_source_schedule_adapts_backs_off_and_recovers(session: Session) -> None:
    assert sources.next_due(session, "w", POLICY, T0) == (T0, 900.0)
    state = sources.record_source_poll(
        session, "w", [poll("changed", status=200, new_items=6)], POLICY
    )
    assert state.interval == 450 and state.next_poll == T0 + timedelta(seconds=450)
    failed = [poll("failed", at=10, status=429, error="HTTP 429", retry_after=5000.0)]
    state = sources.record_source_poll(session, "w", failed, POLICY)
    assert state.consecutive_failures == 1 and state.last_error == "HTTP 429"
    assert state.next_poll == T0 + timedelta(minutes=10, seconds=5000)
    state = sources.record_source_poll(session, "w", [poll("failed", at=20, status=500)], POLICY)
    assert state.consecutive_failures == 2
    assert state.next_poll == T0 + timedelta(minutes=20, seconds=900)
    ok = [
        poll("failed", at=30, status=500),
        poll("not-modified", at=30, status=304, url="https://w.example/2"),
    ]
    state = sources.record_source_poll(session, "w", ok, POLICY)
    assert state.consecutive_failures == 0 and state.last_status == 304
    session.flush()
    due, interval = sources.next_due(session, "w", POLICY, T0)
    assert (due, interval) == (T0 + timedelta(minutes=30, seconds=675), 675.0)
    overview = sources.source_overview(session, ["w", "other"], T0)
    assert [r["failures"] for r in overview] == [0, 0]
    assert overview[1]["last_poll"] is None


def test_known_links_by_url_seen_link_and_identity_key(session: Session) -> None:
    writes.store_articles(
        session, None, [article("https://w.example/a", fetched_at=T0, source="w")]
    )

    identity.remember_keys(session, ["https://w.example/a"], lambda u: u.split("://")[1])
    sources.mark_links_seen(session, [("https://w.example/listed", "w", None, T0)])
    sources.mark_links_seen(
        session, [("https://w.example/listed", "w", T0, T0 + timedelta(hours=1))]
    )
    known = sources.known_links(
        session,
        {
            "https://w.example/a": "w.example/a",
            "http://w.example/a": "w.example/a",
            "https://w.example/listed": "w.example/listed",
            "https://w.example/new": "w.example/new",
        },
    )
    assert known == {
        "https://w.example/a": T0,
        "http://w.example/a": T0,
        "https://w.example/listed": T0 + timedelta(hours=1),
    }


def test_backfill_progress_advances_once_per_day(session: Session) -> None:
    since, until = utc(2026, 11, 20).date(), utc(2026, 11, 22).date()
    assert backfill.next_day(session, "w", since, until) == since
    backfill.save_steps(session, [BackfillStep("w", since, until, since, 4, T0)])
    backfill.save_steps(session, [BackfillStep("w", since, until, since, 4, T0)])  # replayed
    row = backfill.progress(session, "w", since, until)
    assert row is not None and (row.days_done, row.articles) == (1, 4)
    assert backfill.next_day(session, "w", since, until) == utc(2026, 11, 21).date()
