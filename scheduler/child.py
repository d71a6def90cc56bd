"""One crawl of one source, as a child process of the service: ``python -m scheduler.child``.

The service has already written the ``crawl_runs`` row (status ``running``) and passes its
id; the crawl continues that row, so every log line of the child carries the run id and
the service can record a crash or a timeout on the same row. Exit codes: 0 crawled,
1 nothing could be crawled or the crawl failed, 2 configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys

from wirewatch.errors import ConfigError, WirewatchError


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scheduler.child")
    parser.add_argument("--config", default=None)
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--source", required=True)
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the crawl; return the exit code."""
    args = _parse(argv)
    from storage.errors import StorageError
    from wirewatch.config import load_config
    from wirewatch.crawl import run_crawl
    from wirewatch.logs import setup_logging

    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"wirewatch: error: {err}", file=sys.stderr)
        return 2
    setup_logging(config.log_level, args.log_format, args.verbose, run_id=args.run_id)
    try:
        summary = run_crawl(
            config, [args.source], extra={"WIREWATCH_RUN_ID": args.run_id}, incremental=True
        )
    except (WirewatchError, StorageError) as err:
        logging.getLogger(__name__).error("crawl of %s failed: %s", args.source, err)
        return 1
    return 1 if summary.nothing_crawled else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
