"""Who polls what when (storage.dispatch), on SQLite and PostgreSQL: oldest due first, one
hand-out per due poll, one worker per source at a time, a dead worker's lease taken over
with its run named, and one backoff for polls that died."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage import dispatch, writes
from storage.db import make_sessionmaker
from storage.models_sources import SourceState
from storage.sources import IntervalPolicy
from tests.conftest import utc

T0 = utc(2026, 12, 6, 12)
POLICY = IntervalPolicy(base=60, minimum=30, maximum=600)


def due_in(session: Session, **offsets: float) -> None:
    """Schedule sources due at T0 + offset seconds."""
    dispatch.ensure_states(session, dict.fromkeys(offsets, 60.0), T0)
    for name, seconds in offsets.items():
        state = session.get(SourceState, name)
        assert state is not None
        state.next_poll = T0 + timedelta(seconds=seconds)
    session.flush()


def test_due_sources_oldest_first_and_each_handed_out_once(session: Session) -> None:
    due_in(session, late=-50, later=-10, on_time=0, future=30)
    names = ["late", "later", "on_time", "future", "unknown"]
    stale = T0 - timedelta(minutes=10)
    due = dispatch.due_sources(session, names, T0, stale_before=stale, limit=10)
    assert [n for n, _ in due] == ["late", "later", "on_time"]
    assert dispatch.due_sources(session, names, T0, stale_before=stale, limit=2)[-1][0] == "later"
    dispatch.mark_dispatched(session, ["late", "later"], T0)
    again = dispatch.due_sources(session, names, T0, stale_before=stale, limit=10)
    assert [n for n, _ in again] == ["on_time"]
    backlog = dispatch.backlog(session, names, T0)
    assert (backlog.due, backlog.queued) == (3, 2)
    assert backlog.oldest_due == T0 - timedelta(seconds=50)
    # an order the queue lost is handed out again: when it is stale, or when forgotten
    later = T0 + timedelta(minutes=11)
    stale_now = later - timedelta(minutes=10)
    after = dispatch.due_sources(session, names, later, stale_before=stale_now, limit=10)
    assert {n for n, _ in after} == {"late", "later", "on_time", "future"}
    assert dispatch.forget_dispatched(session, names) == 2
    assert len(dispatch.due_sources(session, names, T0, stale_before=stale, limit=10)) == 3


def test_one_worker_per_source_and_a_dead_workers_lease_is_taken_over(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        due_in(s, wire=0)
        assert dispatch.claim(s, "wire", "a", T0, 30) == dispatch.Claim(None, None)
        run_id = writes.start_run(s, ["wire"])
        dispatch.set_lease_run(s, "wire", "a", run_id)
    with sessions.begin() as s:
        assert dispatch.claim(s, "wire", "b", T0 + timedelta(seconds=10), 30) is None
        dispatch.renew(s, ["wire"], "a", T0 + timedelta(seconds=20), 30)
        assert dispatch.claim(s, "wire", "b", T0 + timedelta(seconds=40), 30) is None
        assert dispatch.leases_of(s, "a") == {"wire": run_id}
    with sessions.begin() as s:  # a stops renewing: its lease runs out at T0 + 50 s
        got = dispatch.claim(s, "wire", "b", T0 + timedelta(seconds=51), 30)
        assert got == dispatch.Claim(run_id, "a")
        assert dispatch.leases_of(s, "a") == {} and list(dispatch.leases_of(s, "b")) == ["wire"]
        assert dispatch.release(s, "wire", "a", T0, policy=POLICY, polled_since=None) is None


def test_an_order_delivered_again_after_the_poll_is_skipped(session: Session) -> None:
    due_in(session, wire=0)
    assert dispatch.claim(session, "wire", "a", T0, 30) is not None
    state = session.get(SourceState, "wire")
    assert state is not None
    state.last_polled, state.next_poll = T0 + timedelta(seconds=2), T0 + timedelta(seconds=62)
    done = dispatch.release(session, "wire", "a", T0 + timedelta(seconds=3), policy=POLICY,
                            polled_since=T0)  # fmt: skip
    assert done == dispatch.Released(False, 0, T0 + timedelta(seconds=62))
    assert dispatch.claim(session, "wire", "b", T0 + timedelta(seconds=4), 30) is None


def test_a_poll_that_recorded_nothing_backs_off_like_a_failed_one(session: Session) -> None:
    due_in(session, wire=0)
    waits = []
    now = T0
    for _ in range(6):
        assert dispatch.claim(session, "wire", "w", now, 30) is not None
        done = dispatch.release(session, "wire", "w", now, policy=POLICY, polled_since=now)
        assert done is not None and done.backed_off and done.next_poll is not None
        waits.append((done.next_poll - now).total_seconds())
        now = done.next_poll
    assert waits == [60, 120, 240, 480, 600, 600]
    state = session.get(SourceState, "wire")
    assert state is not None and state.consecutive_failures == 6
    assert state.lease_owner is None and state.dispatched_at is None


def test_a_source_polled_on_time_keeps_its_rhythm_and_a_late_one_restarts_it() -> None:
    from storage.sources import next_poll_after

    due = T0
    polled = T0 + timedelta(seconds=3.8)  # this poll's own lag
    assert next_poll_after(polled, 60, due) == T0 + timedelta(seconds=60)  # no drift
    late = T0 + timedelta(seconds=45)  # more than half an interval late (overload)
    assert next_poll_after(late, 60, due) == late + timedelta(seconds=60)
    assert next_poll_after(polled, 60, None) == polled + timedelta(seconds=60)
    early = T0 - timedelta(seconds=5)  # polled before it was due (first poll, manual)
    assert next_poll_after(early, 60, due) == early + timedelta(seconds=60)


def test_polls_that_found_nothing_are_pruned_and_the_rest_kept(engine: Engine) -> None:
    from sqlalchemy import select

    from storage.models import CrawlRun
    from storage.records import SourceCounts

    sessions = make_sessionmaker(engine)
    kinds = {"empty": SourceCounts("a", unchanged=3), "new": SourceCounts("a", fetched=1, new=1),
             "failed": SourceCounts("a", failed=1)}  # fmt: skip
    ids = {}
    with sessions.begin() as s:
        for kind, counts in kinds.items():
            ids[kind] = writes.start_run(s, ["a"])
            writes.finish_run(s, ids[kind], status="ok", counts=[counts], error=None)
        ids["running"] = writes.start_run(s, ["a"])
        ids["recent"] = writes.start_run(s, ["a"])
        writes.finish_run(s, ids["recent"], status="ok", counts=[SourceCounts("a")], error=None)
        s.execute(
            CrawlRun.__table__.update()
            .where(CrawlRun.id != ids["recent"], CrawlRun.id != ids["running"])
            .values(finished_at=T0 - timedelta(days=3))
        )
    with sessions.begin() as s:
        assert dispatch.prune_empty_runs(s, T0 - timedelta(days=2), limit=1) == 1
        assert dispatch.prune_empty_runs(s, T0 - timedelta(days=2)) == 0
    with sessions() as s:
        left = set(s.scalars(select(CrawlRun.id)))
    assert left == {ids["new"], ids["failed"], ids["running"], ids["recent"]}


def test_a_worker_faster_than_the_dispatcher_leaves_nothing_marked(engine: Engine) -> None:
    """A worker can poll and release a source before the dispatcher's tick returns: the
    hand-out must be marked before the order is sent, or the mark would outlive the poll
    and keep the source from being handed out again."""
    from datetime import UTC, datetime

    from scheduler.dispatch import Dispatcher
    from scheduler.queues import Order
    from wirewatch.config import build_config

    config = build_config(
        {"builtin_sources": False,
         "sources": [{"name": "fast", "feeds": ["http://127.0.0.1:9/f"], "interval": 60}]},
        where="test", path=None, env={},
    )  # fmt: skip
    sessions = make_sessionmaker(engine)

    class PollsAtOnce:
        """The transport and a worker in one: every order is polled as it is sent."""

        def publish(self, orders: list[Order]) -> None:
            now = datetime.now(UTC)
            for order in orders:
                with sessions.begin() as s:
                    assert dispatch.claim(s, order.source, "w", now, 30) is not None
                    state = s.get(SourceState, order.source)
                    assert state is not None
                    state.last_polled, state.next_poll = now, now + timedelta(seconds=60)
                with sessions.begin() as s:
                    dispatch.release(s, order.source, "w", now, policy=POLICY, polled_since=now)

        def lost(self) -> bool:
            return False

    dispatcher = Dispatcher(config, engine, PollsAtOnce())  # type: ignore[arg-type]
    dispatcher.lead()
    assert dispatcher.tick() == 1
    with sessions() as s:
        state = s.get(SourceState, "fast")
        assert state is not None and state.dispatched_at is None and state.lease_owner is None
        later = datetime.now(UTC) + timedelta(seconds=61)
        due = dispatch.due_sources(s, ["fast"], later, stale_before=later, limit=5)
    assert [n for n, _ in due] == ["fast"]
