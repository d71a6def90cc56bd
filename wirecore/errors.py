"""The one exception base of wirewatch, and its hierarchy.

    WirewatchError                 anything wirewatch raises on purpose
    ├── ConfigError                a config file, key or value is wrong (names file, key, problem)
    │   └── TopicRuleError         a topic rule is invalid (names topic, rule, problem)
    ├── ExtractionError            a page holds no extractable article (carries the reason)
    ├── FeedError                  a feed or sitemap could not be parsed
    ├── CrawlError                 a crawl could not run at all
    ├── StorageError               the database is unreachable, a migration failed, or the
    │                              schema drifted (raised by `storage`; one line, password-free)
    ├── scheduler.queues.QueueError    the work queue cannot be reached or refused a command
    │   └── scheduler.queues.NoWorker  the local worker is (re)starting
    └── scheduler.leader.AlreadyRunning  another service already runs on this SQLite database

The last three are defined beside the one package that raises them.

This module lives in `wirecore`, which imports nothing else, so every package may raise
and catch these, `storage` at the bottom included. The CLI turns any `WirewatchError`
into a one-line error. Errors are translated at the edges (`DropItem` in pipelines, a
clean CLI message); everywhere else they are chained with ``raise ... from err``.
"""

from __future__ import annotations


class WirewatchError(Exception):
    """Base class of every error wirewatch raises on purpose."""


class ConfigError(WirewatchError):
    """A configuration file, key or value is invalid."""


class TopicRuleError(ConfigError):
    """A topic rule is invalid; the message names the topic, the rule and the problem."""

    def __init__(self, topic: str, rule: str, problem: str) -> None:
        self.topic = topic
        self.rule = rule
        self.problem = problem
        super().__init__(f"topic {topic!r}, rule {rule!r}: {problem}")


class ExtractionError(WirewatchError):
    """A fetched page holds no extractable article; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class FeedError(WirewatchError):
    """A feed or sitemap could not be parsed."""


class CrawlError(WirewatchError):
    """A crawl could not run at all."""


class StorageError(WirewatchError):
    """Anything the storage layer raises on purpose; the message is one line, password-free."""
