"""The report as a Slack-compatible webhook message: a short summary with links."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from reports.text import one_line, safe_url

MAX_STORIES = 3
"""Top stories per topic listed in the webhook message."""


def slack_escape(text: str) -> str:
    """Text safe inside Slack mrkdwn: ``&``, ``<`` and ``>`` escaped, on one line."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(data: dict[str, Any], report_files: list[str] | None = None) -> dict[str, Any]:
    """A Slack incoming-webhook payload (``text`` in mrkdwn) summarising the report."""
    lines = [f"*wirewatch daily report {data['date']}* ({slack_escape(data['timezone'])})"]
    for topic in data["topics"]:
        trend = topic["trend"]
        lines.append(
            f"*{slack_escape(topic['id'])}*: {topic['count']} article(s) "
            f"({trend['change']:+d} vs previous day, {trend['last_7_days']} in 7 days)"
        )
        if not topic["count"]:
            lines.append("    no matching articles this day")
        for story in topic["stories"][:MAX_STORIES]:
            art = story["article"]
            title = slack_escape(art["title"] or art["url"]).replace("|", "¦")
            url = safe_url(art["url"])
            link = f"<{url.replace('|', '%7C')}|{title}>" if url else title
            also = f" (also in {len(story['also_in'])} more)" if story["also_in"] else ""
            lines.append(f"    • {art['time']} {link} — {slack_escape(art['source'])}{also}")
    check = [s for s in data["sources"] if s["status"] != "ok"]
    if check:
        names = ", ".join(f"{slack_escape(s['source'])} ({s['status']})" for s in check)
        lines.append(f":warning: sources to check: {names}")
    if report_files:
        lines.append("files: " + ", ".join(slack_escape(p) for p in report_files))
    return {"text": "\n".join(lines)}


def post_json(url: str, payload: dict[str, Any], timeout: float) -> None:
    """POST the payload as JSON; anything but a 2xx answer raises."""
    if safe_url(url) is None:
        raise ValueError("webhook URL must be http(s)")
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "wirewatch"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as err:  # messages never carry the URL: it holds the token
        raise OSError(f"webhook answered HTTP {err.code}") from None
    except urllib.error.URLError as err:
        raise OSError(f"webhook unreachable: {err.reason}") from None
    if not 200 <= status < 300:
        raise OSError(f"webhook answered HTTP {status}")
