"""Retry one delivery with exponential backoff, reporting every attempt."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

AttemptHook = Callable[[int, bool, str | None], None]
"""Called after each attempt with (attempt number from 1, succeeded, one-line error)."""


def with_retries(
    action: Callable[[], None],
    *,
    attempts: int,
    backoff: float,
    on_attempt: AttemptHook,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Run ``action`` until it succeeds or ``attempts`` are used; waits backoff, 2x, 4x..."""
    for attempt in range(1, attempts + 1):
        try:
            action()
        except Exception as err:
            message = one_line_error(err)
            logger.warning("delivery %s: attempt %d/%d: %s", what, attempt, attempts, message)
            on_attempt(attempt, False, message)
            if attempt < attempts:
                sleep(backoff * 2 ** (attempt - 1))
            continue
        logger.info("delivery %s: delivered (attempt %d)", what, attempt)
        on_attempt(attempt, True, None)
        return True
    return False


def one_line_error(err: BaseException) -> str:
    """The error's class and message on one line, at most 300 characters."""
    text = " ".join(str(err).split()) or "no message"
    return f"{type(err).__name__}: {text}"[:300]
