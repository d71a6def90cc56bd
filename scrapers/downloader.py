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
from typing import Any

from scrapy.core.downloader import Downloader, Slot
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro
from twisted.internet import task
from twisted.python.failure import Failure

STOP_CHECK_SECONDS = 0.5
"""How often the downloader looks whether the crawl is stopping."""


def slot_delay(least: float, jitter: float) -> float:
    """The delay to give a download slot whose requests must be ``least`` seconds apart.

    Scrapy spaces a slot's requests by its delay times 1 +- ``jitter`` (uniform), so the
    delay is raised until its shortest spacing is ``least``.
    """
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be within [0, 1), got {jitter}")
    return least / (1.0 - jitter)


class SlotDownloader(Downloader):
    """A ``Downloader`` whose slots never transfer more than their ``concurrency``.

    It also lets a stopping crawl stop: Scrapy's engine waits, before it closes the
    spider, for every request the downloader holds, including those queued behind a
    slot's delay, so a source spaced 60 s apart by robots.txt kept a SIGTERMed crawl
    alive for minutes. Once the crawl stops, queued requests that were never sent fail
    at once (``IgnoreRequest``, recorded as failures of their URLs by the spider).
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._stop_check = task.LoopingCall(self._drop_queued_when_stopping)
        self._stop_check.start(STOP_CHECK_SECONDS, now=False)

    def _stopping(self) -> bool:
        if not getattr(self.crawler, "crawling", True):
            return True
        slot = getattr(self.crawler.engine, "_slot", None)
        return slot is not None and getattr(slot, "closing", None) is not None

    def _drop_queued_when_stopping(self) -> None:
        if not self._stopping():
            return
        for slot in self.slots.values():
            if slot.latercall:
                slot.latercall.cancel()
                slot.latercall = None
            while slot.queue:
                _request, queued = slot.queue.popleft()
                queued.errback(Failure(IgnoreRequest("not sent: the crawl was stopped")))

    def close(self) -> None:
        """Close the slots and stop watching for the crawl's end."""
        if self._stop_check.running:
            self._stop_check.stop()
        super().close()

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
