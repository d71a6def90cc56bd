"""One-line reasons for failed requests, as stored in fetch_failures and shown by `sources`."""

from __future__ import annotations

from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure


def describe_failure(failure: Failure, timeout: float | None = None) -> tuple[str, int | None]:
    """A one-line reason and the HTTP status (when there was one) for a failed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"HTTP {status}", status
    name = type(exc).__name__
    if "Timeout" in name:
        return (f"timed out after {timeout:g}s" if timeout else "timed out"), None
    if "DNSLookup" in name:
        return "DNS lookup failed", None
    if "ConnectionRefused" in name:
        return "connection refused", None
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"{name}: {text}"[:300] if text else name), None
