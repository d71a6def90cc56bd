"""The work-order transports against a real Redis: at-least-once delivery, acknowledgement,
take-over of a dead worker's orders, a lost queue noticed, malformed orders dropped."""

from __future__ import annotations

import io
import json
import time

import pytest

from scheduler.queues import (
    Order,
    PipePublisher,
    QueueError,
    RedisStreams,
    StdinConsumer,
    decode_order,
)
from tests.conftest import RedisQueue


def orders(*names: str) -> list[Order]:
    now = time.time()
    return [Order(name, now, now) for name in names]


def test_an_order_round_trips_and_bad_ones_say_why() -> None:
    order = Order("kyodo-en", 1.5, 2.5)
    assert decode_order(order.encode()) == order
    for raw, why in [
        (b"\xff\xfe", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"v": 99, "source": "a", "due": 1, "sent": 1}', "unknown order version"),
        ('{"v": 1, "source": "", "due": 1, "sent": 1}', "no valid source"),
        ('{"v": 1, "source": "a", "due": "soon", "sent": 1}', "not numbers"),
        ('{"v": 1, "source": "a", "due": true, "sent": 1}', "not numbers"),
    ]:
        with pytest.raises(ValueError, match=why):
            decode_order(raw)


def test_redis_orders_are_delivered_once_to_one_of_two_workers(redis_queue: RedisQueue) -> None:
    leader = RedisStreams(redis_queue.url, redis_queue.name)
    a = RedisStreams(redis_queue.url, redis_queue.name, "a")
    b = RedisStreams(redis_queue.url, redis_queue.name, "b")
    try:
        leader.publish(orders(*(f"s{i}" for i in range(10))))
        got_a = a.receive(6, 0.5)
        got_b = b.receive(10, 0.5)
        names = sorted(d.order.source for d in got_a + got_b if d.order)
        assert names == sorted(f"s{i}" for i in range(10))
        assert len(got_a) == 6 and len(got_b) == 4
        assert leader.depth() == 10  # delivered but not acknowledged yet
        for d in got_a + got_b:
            (a if d in got_a else b).ack(d.ref)
        assert leader.depth() == 0
        assert a.receive(5, 0.2) == [] and b.reclaim(5) == []
    finally:
        for q in (leader, a, b):
            q.close()


def test_a_dead_workers_orders_are_taken_over_and_a_live_ones_are_not(
    redis_queue: RedisQueue,
) -> None:
    leader = RedisStreams(redis_queue.url, redis_queue.name)
    dead = RedisStreams(redis_queue.url, redis_queue.name, "dead", claim_idle=0.5)
    live = RedisStreams(redis_queue.url, redis_queue.name, "live", claim_idle=0.5)
    other = RedisStreams(redis_queue.url, redis_queue.name, "other", claim_idle=0.5)
    try:
        leader.publish(orders("x"))
        (held_dead,) = dead.receive(1, 0.5)
        leader.publish(orders("y"))
        (held_live,) = live.receive(1, 0.5)
        assert other.reclaim(10) == []  # not idle long enough yet
        for _ in range(4):
            time.sleep(0.3)
            live.keepalive([held_live.ref])  # the live worker keeps its order
        taken = other.reclaim(10)
        assert [d.order.source for d in taken if d.order] == ["x"]
        assert taken[0].ref == held_dead.ref
        other.ack(taken[0].ref)
        live.ack(held_live.ref)
        assert leader.depth() == 0
    finally:
        for q in (leader, dead, live, other):
            q.close()


def test_a_malformed_order_is_delivered_as_such_and_can_be_acknowledged(
    redis_queue: RedisQueue,
) -> None:
    import redis

    client = redis.Redis.from_url(redis_queue.url)
    worker = RedisStreams(redis_queue.url, redis_queue.name, "w")
    try:
        worker.ensure_group()
        client.xadd(f"{redis_queue.name}:orders", {"order": b"\x00not json"})
        client.xadd(f"{redis_queue.name}:orders", {"something": "else"})
        got = worker.receive(5, 0.5)
        assert len(got) == 2 and all(d.order is None and d.error for d in got)
        for d in got:
            worker.ack(d.ref)
        assert client.xlen(f"{redis_queue.name}:orders") == 0
    finally:
        worker.close()
        client.close()


def test_a_queue_that_lost_its_contents_is_noticed(redis_queue: RedisQueue) -> None:
    import redis

    leader = RedisStreams(redis_queue.url, redis_queue.name)
    client = redis.Redis.from_url(redis_queue.url)
    try:
        assert leader.lost() is False  # first look: nothing known before
        leader.publish(orders("a"))
        assert leader.lost() is False
        client.delete(f"{redis_queue.name}:orders", f"{redis_queue.name}:epoch")  # a flush
        assert leader.lost() is True
        assert leader.lost() is False
        leader.publish(orders("b"))  # the stream and group are made again
        worker = RedisStreams(redis_queue.url, redis_queue.name, "w")
        assert [d.order.source for d in worker.receive(5, 0.5) if d.order] == ["b"]
        worker.close()
    finally:
        leader.close()
        client.close()


def test_an_unreachable_redis_is_one_clear_error() -> None:
    queue = RedisStreams("redis://127.0.0.1:9/0", "x", "w")
    with pytest.raises(QueueError, match="redis unreachable"):
        queue.receive(1, 0.1)
    with pytest.raises(QueueError, match="redis"):
        queue.publish(orders("a"))
    queue.close()


def test_local_orders_travel_over_a_pipe_and_end_with_it() -> None:
    read, write = io.BytesIO(), io.BytesIO()
    publisher = PipePublisher()
    with pytest.raises(QueueError):
        publisher.publish(orders("a"))
    publisher.attach(write)
    assert publisher.lost() is True and publisher.lost() is False
    publisher.publish(orders("a", "b"))
    read = io.BytesIO(write.getvalue() + b"garbage\n")
    consumer = StdinConsumer(read)
    got = consumer.receive(10, 1.0)
    assert [d.order.source for d in got if d.order] == ["a", "b"]
    assert got[2].order is None and "not JSON" in (got[2].error or "")
    assert consumer.receive(1, 0.1) == []
    assert consumer.ended.wait(1.0)
    json.loads(write.getvalue().splitlines()[0])
