"""Deliver a written report to every configured channel, retrying and recording each attempt."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reports.delivery import smtp, webhook
from reports.delivery.retry import with_retries
from reports.delivery.settings import DeliverySettings

logger = logging.getLogger(__name__)

Recorder = Callable[[str, str, int, bool, str | None], None]
"""Records one attempt: (channel, target, attempt, succeeded, error)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """Whether one channel got the report in the end."""

    channel: str
    target: str
    ok: bool


def deliver(
    data: dict[str, Any],
    *,
    text: str,
    html: str | None,
    chart_svg: str | None,
    settings: DeliverySettings,
    record: Recorder,
    report_files: list[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """Send the report to each channel in turn; a failed channel never stops the next one."""
    outcomes = []
    subject = f"wirewatch daily report {data['date']}: " + ", ".join(
        f"{t['id']} {t['count']}" for t in data["topics"]
    )
    if settings.email is not None:
        email = settings.email
        msg = smtp.build_message(email, subject=subject, text=text, html=html, chart_svg=chart_svg)
        outcomes.append(
            _attempt(
                "email",
                email.target,
                lambda: smtp.send_message(email, msg, settings.timeout),
                settings,
                record,
                sleep,
            )
        )
    payload = webhook.slack_payload(data, report_files)
    for hook in settings.webhooks:
        url = hook.url
        outcomes.append(
            _attempt(
                "webhook",
                hook.target,
                lambda url=url: webhook.post_json(url, payload, settings.timeout),  # type: ignore[misc]
                settings,
                record,
                sleep,
            )
        )
    return outcomes


def _attempt(
    channel: str,
    target: str,
    action: Callable[[], None],
    settings: DeliverySettings,
    record: Recorder,
    sleep: Callable[[float], None],
) -> Outcome:
    ok = with_retries(
        action,
        attempts=settings.attempts,
        backoff=settings.backoff,
        on_attempt=lambda n, good, err: record(channel, target, n, good, err),
        what=f"{channel} {target}",
        sleep=sleep,
    )
    if not ok:
        n = settings.attempts
        logger.error("delivery %s %s: gave up after %d attempts", channel, target, n)
    return Outcome(channel, target, ok)
