"""Which crawl run the running task works for, so every log line it writes can name it.

A crawl worker runs many polls at once on one event loop; each poll sets ``CURRENT_RUN``
for its own task, and the log set-up of the entry point (``wirewatch.logs``) stamps the
value on each record. Both import it from here: neither imports the other.
"""

from __future__ import annotations

import contextvars

CURRENT_RUN: contextvars.ContextVar[int | None] = contextvars.ContextVar("run_id", default=None)
"""The crawl run the running task works for (None outside a poll)."""
