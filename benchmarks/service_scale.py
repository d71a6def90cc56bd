"""Can `wirewatch run` keep up with a thousand sources? A benchmark that prints numbers.

Starts the many-source mock wire (``benchmarks.scalewire``: each source its own feed, one
new item per ten minutes on average, some slow, hanging, failing or answering 429) and the
real service on it, every source polled every 60 s (``interval = min_interval =
max_interval = 60``, so adaptive polling does not stretch quiet feeds), then reports:

- coverage: the share of healthy sources polled in each 60-second window after warm-up;
- lateness: how late healthy sources' polls come against a 60-s rhythm (p50/p99/max);
- freshness: seconds from an item appearing in its feed to its article stored and flagged;
- memory: PSS and RSS summed over every process of the service, over time and at peak;
- CPU: the service's CPU seconds per wall second, and what it leaves idle of the machine.

    python -m benchmarks.service_scale --sources 1000 --minutes 8
    python -m benchmarks.service_scale --sources 300 --minutes 4 --polls-per-worker 4  # overload

With ``--queue redis://127.0.0.1:6379/0 --workers 2`` the service runs two workers on the
queue instead of the local one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.scalewire import item_times, kind_of

INTERVAL = 60.0


def write_config(path: Path, db: str, port: int, sources: int, args: Any) -> None:
    """The service's config: the mock wire's sources, every one polled each minute."""
    lines = [
        "builtin_sources = false",
        f'data_dir = "{path.parent}"',
        "[database]",
        f"url = {json.dumps(db)}",
        "[crawl]",
        "timeout = 45",
        "retries = 0",
        "max_age_days = 3650",
        "[service]",
        f"health_port = {args.health_port}",
        "stop_grace = 20",
        "[cluster]",
        f"polls_per_worker = {args.polls_per_worker}",
    ]
    if args.queue:
        lines += [f'queue_url = "{args.queue}"', f'queue_name = "bench-{os.getpid()}"']
        lines += [f"workers = {args.workers}"]
    for i in range(sources):
        lines += [
            "[[sources]]",
            f'name = "s{i:04d}"',
            f'feeds = ["http://127.0.0.1:{port}/s/{i}/feed.xml"]',
            'language = "en"',
            f"interval = {INTERVAL}",
            f"min_interval = {INTERVAL}",
            f"max_interval = {INTERVAL}",
            "delay = 1",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def tree(root: int) -> list[int]:
    """``root`` and all its descendants (every task's children, from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def memory(pids: list[int]) -> tuple[float, float]:
    """(PSS, RSS) in MB summed over ``pids``."""
    pss = rss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return pss / 1024, rss / 1024


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each live process, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def machine_idle() -> tuple[float, float]:
    """(idle, total) jiffies of the whole machine."""
    values = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return values[3] + values[4], sum(values)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values`` (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def fetch(url: str) -> str:
    """GET ``url`` (an empty string on error)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.read().decode()
    except OSError as err:
        return getattr(err, "read", lambda: b"")().decode(errors="replace")


def run(args: Any) -> dict[str, Any]:
    """Run the service on the mock wire for ``args.minutes``; the raw observations."""
    work = Path(tempfile.mkdtemp(prefix="wirewatch-scale-"))
    start = time.time()
    wire = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.scalewire", "--sources", str(args.sources),
         "--start", str(start), "--seed", str(args.seed)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert wire.stdout is not None
    port = int(wire.stdout.readline())
    db = args.db or f"sqlite:///{work / 'scale.db'}"
    config = work / "wirewatch.toml"
    write_config(config, db, port, args.sources, args)
    log = (work / "service.log").open("w")
    svc = subprocess.Popen(
        [sys.executable, "-m", "wirewatch", "--config", str(config), "run"],
        stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    samples: list[tuple[float, float, float]] = []
    cpu_first: dict[int, float] = {}
    cpu_last: dict[int, float] = {}
    idle0 = total0 = 0.0
    t_warm = start + args.warmup
    deadline = start + args.minutes * 60
    metrics = ""
    try:
        while time.time() < deadline and svc.poll() is None:
            pids = tree(svc.pid)
            pss, rss = memory(pids)
            samples.append((time.time() - start, pss, rss))
            now_cpu = cpu_seconds(pids)
            if time.time() >= t_warm and not cpu_first:
                cpu_first = now_cpu
                idle0, total0 = machine_idle()
            cpu_last.update(now_cpu)
            time.sleep(2.0)
        idle1, total1 = machine_idle()
        if args.health_port:
            metrics = fetch(f"http://127.0.0.1:{args.health_port}/metrics")
    finally:
        if svc.poll() is None:
            svc.send_signal(signal.SIGTERM)
            try:
                svc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(svc.pid, signal.SIGKILL)
        feed_log = [
            json.loads(line) for line in fetch(f"http://127.0.0.1:{port}/_log").splitlines()
        ]
        wire.terminate()
        wire.wait(timeout=10)
        log.close()
    steady = deadline - t_warm
    busy = sum(cpu_last[p] - cpu_first.get(p, 0.0) for p in cpu_last if p in cpu_first)
    born = sum(cpu_last[p] for p in cpu_last if p not in cpu_first)
    return {
        "work": work, "db": db, "start": start, "t_warm": t_warm, "end": deadline,
        "feed_log": feed_log, "samples": samples, "metrics": metrics,
        "cpu": (busy + born) / steady if steady > 0 else float("nan"),
        "idle": (idle1 - idle0) / (total1 - total0) if total1 > total0 else float("nan"),
    }  # fmt: skip


def coverage(obs: dict[str, Any], sources: int) -> tuple[list[float], list[float]]:
    """Per 60-s window after warm-up, the share of healthy sources polled; poll lateness."""
    healthy = {i for i in range(sources) if kind_of(i) == "healthy"}
    polls: dict[int, list[float]] = {}
    for index, when, _status in obs["feed_log"]:
        polls.setdefault(index, []).append(when)
    shares = []
    t = obs["t_warm"]
    while t + INTERVAL <= obs["end"]:
        hit = sum(1 for i in healthy if any(t <= w < t + INTERVAL for w in polls.get(i, [])))
        shares.append(hit / len(healthy))
        t += INTERVAL
    late = []
    for i in healthy:
        times = [w for w in polls.get(i, []) if w >= obs["t_warm"]]
        late += [max(0.0, b - a - INTERVAL) for a, b in itertools.pairwise(times)]
    return shares, late


def freshness(obs: dict[str, Any], args: Any) -> tuple[list[float], int]:
    """Seconds from an item appearing to its article stored and flagged; how many never were."""
    from sqlalchemy import create_engine, text

    engine = create_engine(obs["db"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.url, a.first_seen FROM articles a WHERE EXISTS "
                "(SELECT 1 FROM topic_matches m WHERE m.article_id = a.id)"
            )
        ).all()
    engine.dispose()
    stored = {}
    for url, first_seen in rows:
        parts = url.split("/")
        seen = first_seen if isinstance(first_seen, float) else _epoch(first_seen)
        stored[(int(parts[-3]), int(parts[-1].split(".")[0]))] = seen
    delays, missing = [], 0
    for i in range(args.sources):
        if kind_of(i) != "healthy":
            continue
        times = item_times(i, args.seed, obs["start"], 600.0, obs["end"])
        for k, appeared in enumerate(times):
            if obs["t_warm"] <= appeared <= obs["end"] - 2 * INTERVAL:
                if (i, k) in stored:
                    delays.append(stored[(i, k)] - appeared)
                else:
                    missing += 1
    return delays, missing


def _epoch(value: Any) -> float:
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return float(value.timestamp())


def report(obs: dict[str, Any], args: Any) -> None:
    """Print the numbers."""
    shares, late = coverage(obs, args.sources)
    delays, missing = freshness(obs, args)
    samples = obs["samples"]
    peak_pss = max((s[1] for s in samples), default=0.0)
    peak_rss = max((s[2] for s in samples), default=0.0)
    healthy = sum(1 for i in range(args.sources) if kind_of(i) == "healthy")
    print(f"sources: {args.sources} ({healthy} healthy), interval {INTERVAL:.0f}s, "
          f"{args.minutes} min, warm-up {args.warmup:.0f}s, work dir {obs['work']}")  # fmt: skip
    if shares:
        print(f"coverage per 60-s window after warm-up: min {min(shares):.4f}, "
              f"mean {statistics.mean(shares):.4f} over {len(shares)} windows")  # fmt: skip
    print(f"poll lateness (healthy, s): p50 {percentile(late, 50):.1f}, "
          f"p99 {percentile(late, 99):.1f}, max {max(late, default=0):.1f}")  # fmt: skip
    print(f"item -> stored and flagged (s): median {percentile(delays, 50):.1f}, "
          f"p95 {percentile(delays, 95):.1f}, max {max(delays, default=0):.1f}; "
          f"{len(delays)} items, {missing} not stored")  # fmt: skip
    print(f"memory, whole service: peak PSS {peak_pss:.0f} MB, peak RSS {peak_rss:.0f} MB")
    step = max(1, len(samples) // 12)
    series = ", ".join(f"{t:.0f}s {p:.0f}/{r:.0f}" for t, p, r in samples[::step])
    print(f"PSS/RSS MB over time: {series}")
    steady = [w for _i, w, _s in obs["feed_log"] if w >= obs["t_warm"]]
    rate = len(steady) / max(1.0, obs["end"] - obs["t_warm"])
    print(f"CPU: service {obs['cpu']:.2f} cores busy on average after warm-up; "
          f"machine idle {100 * obs['idle']:.0f}% (of 2 cores, incl. the mock wire)")  # fmt: skip
    print(
        f"polls: {rate * 60:.0f} a minute after warm-up; "
        f"{1000 * obs['cpu'] / rate if rate else float('nan'):.1f} ms of service CPU a poll"
    )
    for name in ("wirewatch_due_sources", "wirewatch_oldest_due_seconds"):
        for line in obs["metrics"].splitlines():
            if line.startswith(name + " "):
                print(f"at the end: {line}")


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service_scale")
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument("--queue", default=None, help="redis:// URL: workers read the queue")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--polls-per-worker", type=int, default=32)
    parser.add_argument("--health-port", type=int, default=18931)
    args = parser.parse_args(argv)
    report(run(args), args)


if __name__ == "__main__":
    main()
