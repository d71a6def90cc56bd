"""Retry waits: Retry-After parsing and bounded exponential backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from scrapers.middlewares import backoff_delay, retry_after_seconds


def test_retry_after_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Fri, 27 Nov 2026 10:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Fri, 27 Nov 2026 09:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    for attempt, bound in [(1, 1.0), (2, 2.0), (3, 4.0), (10, 30.0)]:
        delays = [backoff_delay(attempt, 1.0, 30.0, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8  # full jitter spans the range
