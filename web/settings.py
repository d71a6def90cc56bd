"""What the web site needs to know, filled by the composition root (`wirewatch.cli_web`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SiteSource:
    """A configured source as the site shows it."""

    name: str
    enabled: bool
    language: str | None
    timezone: str | None


@dataclass(frozen=True, slots=True)
class WebSettings:
    """Everything `web.app.build_app` and `web.server` read; no configuration is read here."""

    database_url: str
    topics: Mapping[str, str]  # topic id -> display name
    sources: Sequence[SiteSource] = ()
    timezone: str = "UTC"  # the site's calendar days (the report time zone)
    report_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8081
    page_size: int = 50
    token: str | None = None
    username: str | None = None
    password: str | None = None
    expand: Callable[[str], Sequence[str]] | None = field(default=None, compare=False)

    @property
    def auth_required(self) -> bool:
        """True when every request must carry the token or the basic-auth credentials."""
        return bool(self.token or (self.username and self.password))

    def source_zone(self, name: str) -> str | None:
        """The configured time zone of a source, if any."""
        for src in self.sources:
            if src.name == name:
                return src.timezone
        return None
