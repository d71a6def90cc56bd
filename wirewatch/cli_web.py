"""`wirewatch serve`: the read-only web site; and `start_web` for `wirewatch run`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import click

from wirecore.errors import ConfigError
from wirewatch.clikit import errors_as_messages, state
from wirewatch.config import Config
from wirewatch.config_web import is_loopback

if TYPE_CHECKING:
    from web.server import WebHandle
    from web.settings import WebSettings


def web_settings(config: Config) -> WebSettings:
    """What the site needs from the configuration (topics, sources, zones, auth, address)."""
    from pipelines.morph import search_forms
    from web.settings import SiteSource, WebSettings

    web = config.web
    return WebSettings(
        database_url=config.database_url,
        topics={tid: str(spec.get("name") or tid) for tid, spec in config.topics.items()},
        sources=tuple(
            SiteSource(s.name, s.enabled, s.language, s.timezone) for s in config.sources
        ),
        timezone=config.report.timezone,
        report_dir=config.report_dir,
        host=web.host,
        port=web.port,
        page_size=web.page_size,
        token=web.token,
        username=web.username,
        password=web.password,
        expand=search_forms,
    )


def _upgrade(config: Config) -> None:
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(config.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def start_web(config: Config) -> WebHandle | None:
    """Start the site in a thread when ``[web] enabled``; the caller stops it with ``.stop()``.

    The database schema must be at head already (the service upgrades it on start).
    """
    if not config.web.enabled:
        return None
    from web.server import start_in_thread

    return start_in_thread(web_settings(config))


@click.command("serve")
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: [web] port, 8081).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the read-only web site: topics, search, articles, Atom feeds, JSON API."""
    from web.server import serve as run_server

    with errors_as_messages():
        config = state().config
        settings = web_settings(config)
        settings = dataclasses.replace(
            settings, host=host or settings.host, port=port or settings.port
        )
        if not is_loopback(settings.host) and not settings.auth_required:
            raise ConfigError(
                f"--host {settings.host} is not a loopback address: set WIREWATCH_WEB_TOKEN "
                "or [web] username with WIREWATCH_WEB_PASSWORD"
            )
        _upgrade(config)
        run_server(settings)
