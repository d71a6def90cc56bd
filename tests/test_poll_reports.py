"""A finished poll's failure travels typed: worker -> JSON line -> service metrics, by kind."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine

from scheduler.metrics import ServiceMetrics, WorkerMetrics
from scheduler.workerproc import _report_to_stdout, read_poll_report
from wirecore.outcomes import FailureKind, RunFailure


@pytest.mark.parametrize(
    "failure",
    [
        None,
        RunFailure(FailureKind.TIMEOUT, "still running after 600s: a: b"),
        RunFailure(FailureKind.FETCH, "нет ответа"),
    ],
)
def test_a_poll_report_reads_back_as_it_was_written(
    capsys: pytest.CaptureFixture[str], failure: RunFailure | None
) -> None:
    _report_to_stdout("tass-ru", 1.23456, failure)
    line = capsys.readouterr().out
    assert line.endswith("\n") and line.count("\n") == 1
    assert read_poll_report(line.encode()) == ("tass-ru", 1.235, failure)


@pytest.mark.parametrize("line", [b"", b"{}", b'{"source": "a", "seconds": 1, "kind": "oops"}'])
def test_an_unreadable_poll_report_raises(line: bytes) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        read_poll_report(line)


def test_service_metrics_count_failures_by_kind() -> None:
    metrics = ServiceMetrics(create_engine("sqlite://"))
    metrics.observe_poll("w0", "tass-ru", 0.5, None)
    metrics.observe_poll("w0", "tass-ru", 9.0, RunFailure(FailureKind.TIMEOUT, "x: y"))
    metrics.observe_poll("w0", "kyodo", 1.0, RunFailure(FailureKind.FETCH, "no feed"))
    value = metrics.registry.get_sample_value
    assert value("wirewatch_worker_polls_total", {"worker": "w0", "outcome": "ok"}) == 1
    assert value("wirewatch_worker_polls_total", {"worker": "w0", "outcome": "failed"}) == 2
    labels = {"source": "tass-ru", "reason": "timeout"}
    assert value("wirewatch_crawl_failures_total", labels) == 1
    assert value("wirewatch_crawl_failures_total", {"source": "kyodo", "reason": "fetch"}) == 1


def test_worker_metrics_count_a_poll_without_failure_as_ok() -> None:
    worker = SimpleNamespace(name="w1", active={}, stats=SimpleNamespace(queue_error=None))
    metrics = WorkerMetrics(worker)
    metrics.observe("tass-ru", 0.5, None)
    metrics.observe("tass-ru", 0.5, RunFailure(FailureKind.CRASH, "boom"))
    metrics.observe("tass-ru", 0.5, None)
    value = metrics.registry.get_sample_value
    assert value("wirewatch_worker_polls_total", {"worker": "w1", "outcome": "ok"}) == 2
    assert value("wirewatch_worker_polls_total", {"worker": "w1", "outcome": "failed"}) == 1
