"""Scrapy's downloader with each download slot's concurrency enforced.

Since Scrapy 2.14 the downloader starts every download as an asyncio task, and a download
counts against its slot's concurrency (``Slot.transferring``) only once that task runs.
``Downloader._process_queue`` checks the slot's free transfer slots in a loop that
schedules tasks without yielding to them, so for a slot without a delay one call starts
every queued request at once: a source configured for 2 concurrent requests
(``concurrency_per_source``, the slot of ``DOWNLOAD_SLOTS``) was sent 10 at once by a real
crawl of the mock wire site. With a delay, the loop stops after one request and the limit
held by accident.

``SlotDownloader`` counts a request as transferring the moment it is scheduled. Scrapy's
``_download`` adds it to the same set again when the task runs and removes it when the
download ends, so the accounting is otherwise Scrapy's own. The method below is Scrapy
2.19's with that one line added (the ``scrapy`` pin in pyproject.toml keeps it to 2.19,
which also brought the per-slot ``jitter`` that ``slot_delay`` relies on);
``tests/test_e2e_slow_site.py`` measures the concurrency a real crawl reaches.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


def slot_delay(least: float, jitter: float) -> float:
    """The delay to give a download slot whose requests must be ``least`` seconds apart.

    Scrapy spaces a slot's requests by its delay times 1 +- ``jitter`` (uniform), so the
    delay is raised until its shortest spacing is ``least``.
    """
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be within [0, 1), got {jitter}")
    return least / (1.0 - jitter)


class SlotDownloader(Downloader):
    """A ``Downloader`` whose slots never transfer more than their ``concurrency``."""

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            # block processing until slot.latercall is called
            return

        # Delay queue processing if a download_delay is configured
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return

        # Process enqueued requests if there are free slots to transfer for this slot
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            # counted now, not when the task starts: the loop checks the count again first
            slot.transferring.add(request)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            # prevent burst if inter-request delays were configured
            if delay:
                self._process_queue(slot)
                break
