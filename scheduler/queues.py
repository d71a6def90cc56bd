"""Work orders between the leader's dispatcher and the crawl workers, and how they travel.

An order is one poll of one source (``Order``), sent as one small JSON object. Two
transports, one interface each side (``Publisher`` for the dispatcher, ``Consumer`` for a
worker):

- **local** (no ``[cluster] queue_url``): the single-node default, no server. The service
  writes orders as JSON lines to its worker child's stdin (``PipePublisher``); the child
  reads them (``StdinConsumer``). When the child dies, what it held is simply dispatched
  again (the service forgets the hand-outs); nothing needs acknowledging.
- **redis** (``redis://...``): a Redis stream with one consumer group, at-least-once. A
  worker reads with ``XREADGROUP``, keeps what it polls alive with ``XCLAIM`` (resetting
  its idle time) and acknowledges with ``XACK`` only when the poll is stored; orders a
  dead worker held go idle and another worker takes them over with ``XAUTOCLAIM``.

A malformed order is logged and acknowledged (dropped), never retried forever.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, Protocol

from wirecore.errors import WirewatchError

logger = logging.getLogger(__name__)

ORDER_VERSION = 1
"""Version of the order format; a worker drops orders of a version it does not know."""


class QueueError(WirewatchError):
    """The work queue cannot be reached or refused a command."""


class NoWorker(QueueError):
    """The local worker is (re)starting: nothing can be handed out for now."""


@dataclass(frozen=True, slots=True)
class Order:
    """Poll ``source`` (it fell due at ``due``, epoch seconds; handed out at ``sent``)."""

    source: str
    due: float
    sent: float

    def encode(self) -> str:
        """One line of JSON."""
        body = {"v": ORDER_VERSION, "source": self.source, "due": self.due, "sent": self.sent}
        return json.dumps(body, separators=(",", ":"))


def decode_order(raw: str | bytes) -> Order:
    """The order in ``raw``; ValueError naming what is wrong with it."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"not JSON: {err}") from None
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    if body.get("v") != ORDER_VERSION:
        raise ValueError(f"unknown order version {body.get('v')!r}")
    source, due, sent = body.get("source"), body.get("due"), body.get("sent")
    if not isinstance(source, str) or not source or len(source) > 200:
        raise ValueError("no valid source name")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (due, sent)):
        raise ValueError("due/sent are not numbers")
    return Order(source, float(due), float(sent))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Delivery:
    """An order as a worker received it: ``order`` None when it could not be read."""

    ref: str
    order: Order | None
    error: str | None = None


class Publisher(Protocol):
    """The dispatcher's side of a queue."""

    def publish(self, orders: Sequence[Order]) -> None:
        """Send orders; raise QueueError when the queue cannot take them."""

    def lost(self) -> bool:
        """True (once) when the queue lost what it held since the last call."""

    def depth(self) -> int | None:
        """Orders waiting or being polled, if the queue knows."""

    def close(self) -> None:
        """Release connections."""


class Consumer(Protocol):
    """A worker's side of a queue."""

    def receive(self, count: int, block: float) -> list[Delivery]:
        """Up to ``count`` orders, waiting at most ``block`` seconds for the first."""

    def reclaim(self, count: int) -> list[Delivery]:
        """Orders a dead worker held, taken over (empty where the transport has none)."""

    def keepalive(self, refs: Sequence[str]) -> None:
        """Tell the queue these orders are still being worked on."""

    def ack(self, ref: str) -> None:
        """The order is done (stored, or dropped on purpose)."""

    def close(self) -> None:
        """Release connections."""


class PipePublisher:
    """Orders to a local worker child, as JSON lines on its stdin."""

    def __init__(self) -> None:
        self.pipe: IO[bytes] | None = None
        self.was_lost = False

    def attach(self, pipe: IO[bytes] | None) -> None:
        """Write to ``pipe`` from now on (a new child); what the old one held is lost."""
        self.pipe = pipe
        self.was_lost = True

    def publish(self, orders: Sequence[Order]) -> None:
        """Write the orders; QueueError when no worker child is there to read them."""
        if self.pipe is None:
            raise NoWorker("no local worker is running")
        data = "".join(o.encode() + "\n" for o in orders).encode()
        try:
            self.pipe.write(data)
            self.pipe.flush()
        except (BrokenPipeError, ValueError, OSError) as err:
            raise QueueError(f"local worker not reading: {err}") from None

    def lost(self) -> bool:
        """True once after a new child was attached."""
        lost, self.was_lost = self.was_lost, False
        return lost

    def depth(self) -> int | None:
        """Unknown: the pipe does not say."""
        return None

    def close(self) -> None:
        """Close the pipe (the child sees end of input and stops)."""
        if self.pipe is not None:
            with contextlib.suppress(OSError):
                self.pipe.close()
            self.pipe = None


class StdinConsumer:
    """A local worker child's orders, read from its stdin by a background thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.ended = threading.Event()
        self.counter = 0
        thread = threading.Thread(target=self._read, args=(stream,), name="orders", daemon=True)
        thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            self.lines.put(line)
        self.ended.set()
        self.lines.put(None)

    def receive(self, count: int, block: float) -> list[Delivery]:
        """Up to ``count`` orders read from stdin."""
        out: list[Delivery] = []
        timeout: float | None = block
        while len(out) < count:
            try:
                line = self.lines.get(timeout=timeout) if timeout else self.lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                self.lines.put(None)  # keep signalling the end
                break
            timeout = None
            if line.strip():
                out.append(_delivery(str(self._next()), line))
        return out

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def reclaim(self, count: int) -> list[Delivery]:
        """Nothing to take over: a dead local worker's orders are dispatched again."""
        return []

    def keepalive(self, refs: Sequence[str]) -> None:
        """Nothing to do: the service knows its child is alive."""

    def ack(self, ref: str) -> None:
        """Nothing to do: the lease in the database says the poll is done."""

    def close(self) -> None:
        """Nothing to release."""


def _delivery(ref: str, raw: str | bytes) -> Delivery:
    try:
        return Delivery(ref, decode_order(raw))
    except ValueError as err:
        return Delivery(ref, None, str(err))


GROUP = "workers"
"""The consumer group every worker reads the order stream with."""


class RedisStreams:
    """Orders on a Redis stream ``<name>:orders`` read by the consumer group ``workers``."""

    def __init__(
        self, url: str, name: str, consumer: str = "", *, claim_idle: float = 30.0
    ) -> None:
        import redis

        self.redis = redis.Redis.from_url(
            url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=15
        )
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.stream = f"{name}:orders"
        self.marker = f"{name}:epoch"
        self.consumer = consumer
        self.claim_idle_ms = int(claim_idle * 1000)
        self.epoch: str | None = None
        self.group_ready = False

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self.errors as err:
            self.group_ready = False
            raise QueueError(f"redis {what} failed: {_one_line(err)}") from None

    def ensure_group(self) -> None:
        """Create the stream and its consumer group unless they exist."""
        if self.group_ready:
            return
        import redis

        try:
            self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise QueueError(f"redis XGROUP CREATE failed: {_one_line(err)}") from None
        except self.errors as err:
            raise QueueError(f"redis unreachable: {_one_line(err)}") from None
        self.group_ready = True

    # -- dispatcher side
    def publish(self, orders: Sequence[Order]) -> None:
        """XADD every order (one round trip)."""
        self.ensure_group()
        pipe = self.redis.pipeline(transaction=False)
        for order in orders:
            pipe.xadd(self.stream, {"order": order.encode()})
        self._call("XADD", pipe.execute)

    def lost(self) -> bool:
        """True when the queue's epoch marker vanished (Redis restarted empty or flushed)."""
        current = self._call("GET", self.redis.get, self.marker)
        if current is None:
            fresh = uuid.uuid4().hex
            self._call("SET", self.redis.set, self.marker, fresh, nx=True)
            current = self._call("GET", self.redis.get, self.marker)
        current = current.decode() if isinstance(current, bytes) else current
        lost = self.epoch is not None and current != self.epoch
        self.epoch = current
        if lost:
            self.group_ready = False
        return lost

    def depth(self) -> int | None:
        """Orders in the stream: waiting or being polled (acknowledged ones are deleted)."""
        return int(self._call("XLEN", self.redis.xlen, self.stream))

    # -- worker side
    def receive(self, count: int, block: float) -> list[Delivery]:
        """XREADGROUP new orders for this consumer."""
        self.ensure_group()
        reply = self._call(
            "XREADGROUP",
            self.redis.xreadgroup,
            GROUP,
            self.consumer,
            {self.stream: ">"},
            count=count,
            block=max(1, int(block * 1000)),
        )
        return [d for _stream, entries in reply or [] for d in self._entries(entries)]

    def reclaim(self, count: int) -> list[Delivery]:
        """XAUTOCLAIM orders idle for longer than ``claim_idle`` (their worker is gone)."""
        self.ensure_group()
        reply = self._call(
            "XAUTOCLAIM",
            self.redis.xautoclaim,
            self.stream,
            GROUP,
            self.consumer,
            self.claim_idle_ms,
            start_id="0-0",
            count=count,
        )
        return list(self._entries(reply[1] if reply else []))

    def _entries(self, entries: Any) -> list[Delivery]:
        out = []
        for ref, fields in entries:
            ref_s = ref.decode() if isinstance(ref, bytes) else str(ref)
            if fields is None:  # deleted meanwhile
                continue
            raw = fields.get(b"order") or fields.get("order") or b""
            out.append(_delivery(ref_s, raw))
        return out

    def keepalive(self, refs: Sequence[str]) -> None:
        """XCLAIM our own orders to reset their idle time (nobody takes them over)."""
        if refs:
            self._call(
                "XCLAIM",
                self.redis.xclaim,
                self.stream,
                GROUP,
                self.consumer,
                0,
                list(refs),
                justid=True,
            )

    def ack(self, ref: str) -> None:
        """XACK and delete the order (the stream holds only what is not done)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xack(self.stream, GROUP, ref)
        pipe.xdel(self.stream, ref)
        self._call("XACK", pipe.execute)

    def close(self) -> None:
        """Close the connection pool."""
        self.redis.close()


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:300]


def now() -> float:
    """Epoch seconds (orders carry wall-clock times: workers run on other hosts)."""
    return time.time()
