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
from wirewatch.config_values import check_keys, number, table, whole_number

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
    email = _email(table(report, "email", where, "report."), where, env)
    hooks = table(report, "webhook", where, "report.")
    check_keys(hooks, WEBHOOK_KEYS, where, "report.webhook.")
    urls = hooks.get("urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ConfigError(f"{where}: report.webhook.urls: must be a list of URLs")
    if env.get("WIREWATCH_WEBHOOK_URL"):
        urls = [*urls, env["WIREWATCH_WEBHOOK_URL"]]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            # never echo the URL: it carries the webhook's token
            raise ConfigError(f"{where}: report.webhook.urls: a webhook URL must be http(s)")
    delivery = table(report, "delivery", where, "report.")
    check_keys(delivery, DELIVERY_KEYS, where, "report.delivery.")
    defaults = DeliverySettings()
    name = "report.delivery."
    return DeliverySettings(
        email=email,
        webhooks=tuple(WebhookSettings(u) for u in urls),
        attempts=whole_number(
            delivery.get("attempts", defaults.attempts), where, name + "attempts", 1, 10
        ),
        backoff=number(delivery.get("backoff", defaults.backoff), where, name + "backoff", 0, 600),
        timeout=number(delivery.get("timeout", defaults.timeout), where, name + "timeout", 1, 300),
    )


def _email(data: Mapping[str, Any], where: str, env: Mapping[str, str]) -> EmailSettings | None:
    if not data:
        return None
    check_keys(data, EMAIL_KEYS, where, "report.email.")
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
    default_port = 465 if security == "ssl" else 587
    port = whole_number(data.get("port", default_port), where, "report.email.port", 1, 65535)
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
