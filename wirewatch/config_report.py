"""Report delivery settings: ``[report.email]``, ``[report.webhook]``, ``[report.delivery]``.

Called by `wirewatch.config.build_config` with the ``[report]`` table. Secrets come from
the environment only: ``WIREWATCH_SMTP_PASSWORD`` (the SMTP password) and
``WIREWATCH_WEBHOOK_URL`` (one more webhook, since a Slack webhook URL is a credential).
Neither is ever logged or shown by ``wirewatch config``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.delivery.settings import (
    SMTP_SECURITY,
    DeliverySettings,
    EmailSettings,
    WebhookSettings,
)
from wirecore.errors import ConfigError

EMAIL_KEYS = {"host", "port", "security", "username", "sender", "recipients"}
"""Keys of ``[report.email]``."""

WEBHOOK_KEYS = {"urls"}
"""Keys of ``[report.webhook]``."""

DELIVERY_KEYS = {"attempts", "backoff", "timeout"}
"""Keys of ``[report.delivery]``."""

REPORT_SUBTABLES = {"email", "webhook", "delivery"}
"""The tables inside ``[report]`` this module reads."""


def parse_report_delivery(
    report: Mapping[str, Any], where: str, env: Mapping[str, str]
) -> DeliverySettings:
    """Validate the delivery tables of ``[report]`` plus the secrets from the environment."""
    email = _email(_sub(report, "email", where), where, env)
    hooks = _sub(report, "webhook", where)
    _check(hooks, WEBHOOK_KEYS, where, "report.webhook.")
    urls = hooks.get("urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ConfigError(f"{where}: report.webhook.urls: must be a list of URLs")
    if env.get("WIREWATCH_WEBHOOK_URL"):
        urls = [*urls, env["WIREWATCH_WEBHOOK_URL"]]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            # never echo the URL: it carries the webhook's token
            raise ConfigError(f"{where}: report.webhook.urls: a webhook URL must be http(s)")
    delivery = _sub(report, "delivery", where)
    _check(delivery, DELIVERY_KEYS, where, "report.delivery.")
    defaults = DeliverySettings()
    return DeliverySettings(
        email=email,
        webhooks=tuple(WebhookSettings(u) for u in urls),
        attempts=_int(delivery.get("attempts", defaults.attempts), where, "attempts", 1, 10),
        backoff=_num(delivery.get("backoff", defaults.backoff), where, "backoff", 0.0, 600.0),
        timeout=_num(delivery.get("timeout", defaults.timeout), where, "timeout", 1.0, 300.0),
    )


def _email(data: Mapping[str, Any], where: str, env: Mapping[str, str]) -> EmailSettings | None:
    if not data:
        return None
    _check(data, EMAIL_KEYS, where, "report.email.")
    for key in ("host", "sender"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ConfigError(f"{where}: report.email.{key}: required, a non-empty string")
    recipients = data.get("recipients")
    if (
        not isinstance(recipients, list)
        or not recipients
        or not all(isinstance(r, str) and "@" in r for r in recipients)
    ):
        raise ConfigError(f"{where}: report.email.recipients: must be a list of email addresses")
    security = data.get("security", "starttls")
    if security not in SMTP_SECURITY:
        raise ConfigError(
            f"{where}: report.email.security: must be one of {', '.join(SMTP_SECURITY)}"
        )
    port = _int(data.get("port", 465 if security == "ssl" else 587), where, "email.port", 1, 65535)
    username = data.get("username")
    if username is not None and not isinstance(username, str):
        raise ConfigError(f"{where}: report.email.username: must be a string")
    password = env.get("WIREWATCH_SMTP_PASSWORD") or None
    if username and password is None:
        raise ConfigError(
            f"{where}: report.email.username: set WIREWATCH_SMTP_PASSWORD for the SMTP password"
        )
    return EmailSettings(
        host=data["host"],
        port=port,
        security=security,
        sender=data["sender"],
        recipients=tuple(recipients),
        username=username or None,
        password=password,
    )


def _sub(report: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = report.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: report.{key}: must be a table")
    return value


def _check(data: Mapping[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    for key in data:
        if key not in allowed:
            hint = ", ".join(sorted(allowed))
            raise ConfigError(f"{where}: {prefix}{key}: unknown key (expected one of: {hint})")


def _int(value: Any, where: str, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}: report.{_full(key)}: must be a whole number {low}-{high}")
    return value


def _num(value: Any, where: str, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{where}: report.{_full(key)}: must be a number {low:g}-{high:g}")
    return float(value)


def _full(key: str) -> str:
    return key if "." in key else f"delivery.{key}"
