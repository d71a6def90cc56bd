"""The [cluster] table: defaults for one node, queue URLs checked, every key documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wirecore.errors import ConfigError
from wirewatch.config import build_config
from wirewatch.config_cluster import ENV_OVERRIDES, ClusterConfig

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def cluster(table: dict[str, object], env: dict[str, str] | None = None) -> ClusterConfig:
    data = {"builtin_sources": False, "cluster": table}
    return build_config(data, where="c.toml", path=None, env=env or {}).cluster


def test_one_node_needs_no_queue() -> None:
    got = cluster({})
    assert got == ClusterConfig() and not got.queued and got.workers == 1


def test_queue_from_file_and_environment() -> None:
    got = cluster({"queue_url": "redis://q:6379/1", "lease": "45s", "workers": 0})
    assert got.queued and got.lease == 45.0 and got.workers == 0
    env = {"WIREWATCH_QUEUE_URL": "rediss://q.example:6380/0", "WIREWATCH_QUEUE_NAME": "prod"}
    got = cluster({}, env)
    assert got.queue_url.startswith("rediss://") and got.queue_name == "prod"
    assert cluster({}, {"WIREWATCH_WORKER_HEALTH_PORT": "8081"}).health_port == 8081


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"queue_url": "amqp://guest@mq/"}, "cluster.queue_url: unsupported queue"),
        ({"queue_url": "redis://"}, "cluster.queue_url: no host"),
        ({"queue_url": "redis://h:99999/0"}, "cluster.queue_url: malformed URL"),
        ({"queue_url": 5}, "cluster.queue_url: must be a string"),
        ({"queue_name": "two words"}, "cluster.queue_name: must be 1-100 printable"),
        ({"workers": 0}, "cluster.workers: 0 needs cluster.queue_url"),
        ({"workers": 2}, "more than one worker needs cluster.queue_url"),
        (
            {"polls_per_worker": 0},
            "cluster.polls_per_worker: must be a whole number within 1..1024",
        ),
        ({"lease": "soon"}, "cluster.lease: not a duration"),
        ({"leader": True}, "cluster.leader: unknown key"),
    ],
)
def test_errors_name_the_file_and_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        cluster(table)
    assert str(err.value).startswith("c.toml: ") and "\n" not in str(err.value)


def test_every_cluster_key_and_variable_is_documented() -> None:
    block = README.split("## Running as a service", 1)[1].split("[cluster]", 1)[1]
    for key in ClusterConfig.__slots__:
        assert re.search(rf"^{key} = ", block, re.M), f"[cluster] {key} is not documented"
    for var in ENV_OVERRIDES:
        assert f"`{var}`" in README, f"{var} is not documented"
