"""Scrapy add-on that lets `scrapy crawl wire` use wirewatch's own configuration."""

from __future__ import annotations

from typing import Any

from wirewatch.config import load_config
from wirewatch.crawl import prepare_database, scrapy_overrides


class WirewatchAddon:
    """Fill ``WIREWATCH_*`` settings from wirewatch's config when nobody else did."""

    def update_settings(self, settings: Any) -> None:
        """Load the config (file, then environment) unless `wirewatch crawl` already did."""
        if settings.getbool("WIREWATCH_CONFIGURED"):
            return
        config = load_config()
        prepare_database(config.database_url)
        settings.update(scrapy_overrides(config), priority="project")
