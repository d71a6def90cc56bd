"""A mock wire of many sources on 127.0.0.1, for the service scale benchmark.

Source ``i`` has its own RSS feed at ``/s/<i>/feed.xml`` and publishes items at random
(exponential gaps, ``--mean-gap`` seconds on average, seeded: ``item_times`` recomputes
them anywhere). A feed lists the latest ten items, with an ETag and Last-Modified, and
answers a conditional request with 304 when nothing new appeared. Articles are at
``/s/<i>/a/<k>.html``. Some sources misbehave by design (``kind_of``): ``slow`` answers
after 30 s, ``hang`` never answers, ``fail`` answers 500, ``busy`` answers 429 with
``Retry-After: 120``, ``heavy`` publishes pages that cost extraction seconds each.

Twisted's web server in its own process (``python -m benchmarks.scalewire``): Python's
``http.server`` answers Scrapy ~50 ms late per request. ``GET /_log`` returns every feed
request so far as JSON lines ``[source, epoch seconds, status]``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from email.utils import formatdate
from typing import Any

SPECIAL = {"slow": 5, "hang": 2, "fail": 10, "busy": 10, "heavy": 1}
"""How many sources of each misbehaving kind (the first indices, in this order)."""

ITEMS_IN_FEED = 10
TEXT = (
    "The Kuril Islands dispute between Japan and Russia was raised again on Monday when "
    "officials met to discuss fishing quotas near Kunashir and Iturup, the southern Kurils "
    "that Japan calls its Northern Territories. Analysts said a peace treaty remains out of "
    "reach while the islands are contested, and that regional governments in Sakhalin and "
    "Hokkaido continue to press for visa-free exchanges for former residents."
)
WORDS = tuple(TEXT.split(" "))


def kind_of(index: int) -> str:
    """``healthy`` or the misbehaviour of source ``index``."""
    start = 0
    for kind, count in SPECIAL.items():
        if start <= index < start + count:
            return kind
        start += count
    return "healthy"


def item_times(index: int, seed: int, start: float, mean_gap: float, until: float) -> list[float]:
    """When source ``index``'s items appear (epoch seconds), from ``start - mean_gap``."""
    rng = random.Random(seed * 1_000_003 + index)
    times = [start - rng.uniform(0, mean_gap)]  # each source has one item at the start
    while times[-1] < until:
        times.append(times[-1] + rng.expovariate(1.0 / mean_gap))
    return times


def article_html(index: int, k: int, published: float, heavy: bool) -> bytes:
    """An article page: headline, dateline, a few paragraphs (mentions the Kurils)."""
    rng = random.Random(index * 7919 + k)
    paragraphs = []
    for _ in range(6):
        words = [rng.choice(WORDS) for _ in range(60)]
        paragraphs.append("<p>" + " ".join(words).capitalize() + ".</p>")
    body = "\n".join(paragraphs)
    if heavy:  # nested tables: seconds of extraction per page
        body += "<table><tr><td>" * 2500 + "x" + "</td></tr></table>" * 2500
    when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(published))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Wire {index} story {k}</title>"
        f"<meta property='article:published_time' content='{when}'></head><body>"
        f"<article><h1>Wire {index} story {k}: Kuril talks</h1><p>By Staff Writer</p>"
        f"{body}</article></body></html>"
    ).encode()


def feed_xml(base: str, index: int, items: list[tuple[int, float]]) -> bytes:
    """An RSS 2.0 feed of ``items`` ((k, published) newest first)."""
    entries = "".join(
        f"<item><title>Wire {index} story {k}: Kuril talks</title>"
        f"<link>{base}/s/{index}/a/{k}.html</link><guid>{base}/s/{index}/a/{k}.html</guid>"
        f"<pubDate>{formatdate(when, usegmt=True)}</pubDate></item>"
        for k, when in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Wire {index}</title><link>{base}/s/{index}/</link>"
        f"<description>mock</description>{entries}</channel></rss>"
    ).encode()


class Wire:
    """The state of the mock wire: item schedules and the log of feed requests."""

    def __init__(self, sources: int, seed: int, start: float, mean_gap: float) -> None:
        self.sources = sources
        self.seed = seed
        self.start = start
        self.mean_gap = mean_gap
        self.times = [
            item_times(i, seed, start, mean_gap, start + 6 * 3600) for i in range(sources)
        ]
        self.log: list[tuple[int, float, int]] = []

    def published(self, index: int, now: float) -> list[tuple[int, float]]:
        """(k, published) of the items out by ``now``, newest first, at most ten."""
        times = self.times[index]
        out = [(k, t) for k, t in enumerate(times) if t <= now]
        return out[-ITEMS_IN_FEED:][::-1]


def make_resource(wire: Wire) -> Any:
    """The twisted.web resource answering every path of the wire."""
    from twisted.internet import reactor
    from twisted.web import resource, server

    class Root(resource.Resource):
        isLeaf = True

        def render_GET(self, request: Any) -> Any:
            path = request.path.decode()
            if path == "/robots.txt":
                request.setHeader(b"content-type", b"text/plain")
                return b"User-agent: *\nAllow: /\n"
            if path == "/_log":
                return "".join(json.dumps(e) + "\n" for e in wire.log).encode()
            parts = path.strip("/").split("/")
            if len(parts) < 3 or parts[0] != "s" or not parts[1].isdigit():
                request.setResponseCode(404)
                return b"not found"
            index = int(parts[1])
            if index >= wire.sources:
                request.setResponseCode(404)
                return b"no such source"
            kind = kind_of(index)
            if parts[2] == "feed.xml":
                return self.feed(request, index, kind)
            if parts[2] == "a" and len(parts) == 4 and parts[3].endswith(".html"):
                k = int(parts[3][:-5]) if parts[3][:-5].isdigit() else -1
                times = wire.times[index]
                if not 0 <= k < len(times) or times[k] > time.time():
                    request.setResponseCode(404)
                    return b"not yet"
                request.setHeader(b"content-type", b"text/html; charset=utf-8")
                return article_html(index, k, times[k], kind == "heavy")
            request.setResponseCode(404)
            return b"not found"

        def feed(self, request: Any, index: int, kind: str) -> Any:
            now = time.time()
            if kind == "hang":
                wire.log.append((index, now, 0))
                return server.NOT_DONE_YET
            if kind == "fail":
                wire.log.append((index, now, 500))
                request.setResponseCode(500)
                return b"internal error"
            if kind == "busy":
                wire.log.append((index, now, 429))
                request.setResponseCode(429)
                request.setHeader(b"retry-after", b"120")
                return b"slow down"
            items = wire.published(index, now)
            etag = f'"{index}-{items[0][0] if items else 0}"'.encode()
            if request.getHeader(b"if-none-match") == etag:
                wire.log.append((index, now, 304))
                request.setResponseCode(304)
                return b""
            wire.log.append((index, now, 200))
            request.setHeader(b"etag", etag)
            if items:
                request.setHeader(b"last-modified", formatdate(items[0][1], usegmt=True).encode())
            request.setHeader(b"content-type", b"application/rss+xml; charset=utf-8")
            body = feed_xml(f"http://127.0.0.1:{request.getHost().port}", index, items)
            if kind == "slow":

                def later() -> None:
                    if not request.finished and not request._disconnected:
                        request.write(body)
                        request.finish()

                reactor.callLater(30.0, later)  # type: ignore[attr-defined]
                return server.NOT_DONE_YET
            return body

    return Root()


def main(argv: list[str] | None = None) -> None:
    """Serve the wire until killed; print the port on stdout first."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scalewire")
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=float, default=math.floor(time.time()))
    parser.add_argument("--mean-gap", type=float, default=600.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    from twisted.internet import reactor
    from twisted.web import server

    wire = Wire(args.sources, args.seed, args.start, args.mean_gap)
    site = server.Site(make_resource(wire))
    site.noisy = False
    port = reactor.listenTCP(args.port, site, interface="127.0.0.1")  # type: ignore[attr-defined]
    print(port.getHost().port, flush=True)
    reactor.run()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
