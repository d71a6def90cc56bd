"""Where and how reports are delivered; built from the configuration by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

SMTP_SECURITY = ("starttls", "ssl", "none")
"""How the SMTP connection is secured; "none" is for a relay on localhost only."""


@dataclass(frozen=True, slots=True)
class EmailSettings:
    """An SMTP server and the addresses of the report email; the password never prints."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def target(self) -> str:
        """What a delivery record names: the server and the recipients, no credentials."""
        return f"{self.host}:{self.port} -> {', '.join(self.recipients)}"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """A Slack-compatible incoming webhook; its URL is a secret and never prints."""

    url: str = field(repr=False)

    @property
    def target(self) -> str:
        """What a delivery record names: scheme and host only (the path holds the token)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """Every channel a report goes to, and how failed deliveries are retried."""

    email: EmailSettings | None = None
    webhooks: tuple[WebhookSettings, ...] = ()
    attempts: int = 4
    backoff: float = 5.0
    timeout: float = 20.0

    @property
    def channels(self) -> int:
        """How many channels are configured."""
        return (self.email is not None) + len(self.webhooks)
