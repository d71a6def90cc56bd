"""The small validators every configuration table uses: one error format, one place.

Each takes the raw TOML value, ``where`` (the file) and ``name`` (the dotted key) and
returns the typed value or raises ConfigError as ``<file>: <key>: <problem>``, one line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from wirecore.errors import ConfigError
from wirewatch.durations import parse_duration


def check_keys(data: Mapping[str, Any], allowed: Collection[str], where: str, prefix: str) -> None:
    """Refuse a key of ``data`` that is not in ``allowed`` (a typo is an error, not ignored)."""
    for key in data:
        if key not in allowed:
            hint = ", ".join(sorted(allowed))
            raise ConfigError(f"{where}: {prefix}{key}: unknown key (expected one of: {hint})")


def table(data: Mapping[str, Any], key: str, where: str, prefix: str = "") -> dict[str, Any]:
    """The table ``data[key]`` (empty when absent), or ConfigError when it is not a table."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {prefix}{key}: must be a table, got {type(value).__name__}")
    return value


def with_env(
    data: Mapping[str, Any],
    overrides: Mapping[str, str],
    env: Mapping[str, str] | None,
    numbers: Collection[str] = (),
) -> dict[str, Any]:
    """``data`` with the keys its environment variables set (``overrides``: variable -> key).

    A variable that is unset or blank changes nothing; for the keys in ``numbers`` a value
    of digits becomes an int (anything else is left for the validator to refuse).
    """
    merged = dict(data)
    for var, key in overrides.items():
        value = (env or {}).get(var, "").strip()
        if value:
            merged[key] = int(value) if key in numbers and value.isdigit() else value
    return merged


def boolean(raw: Any, where: str, name: str) -> bool:
    """``raw`` when it is ``true`` or ``false``."""
    if not isinstance(raw, bool):
        raise ConfigError(f"{where}: {name}: must be true or false")
    return raw


def whole_number(raw: Any, where: str, name: str, low: int = 0, high: int | None = None) -> int:
    """``raw`` as a whole number of at least ``low`` (and at most ``high``)."""
    whole = isinstance(raw, int) and not isinstance(raw, bool)
    return int(_bounded(raw, whole, where, name, "a whole number", low, high))


def number(raw: Any, where: str, name: str, low: float = 0.0, high: float | None = None) -> float:
    """``raw`` (an integer or a decimal) as a float of at least ``low`` (at most ``high``)."""
    numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
    return float(_bounded(raw, numeric, where, name, "a number", low, high))


def _bounded(
    raw: Any, kind_ok: bool, where: str, name: str, kind: str, low: float, high: float | None
) -> Any:
    """``raw`` when it is of its kind and within ``low``..``high``; else a `ConfigError`."""
    if high is not None:
        if not kind_ok or not low <= raw <= high:
            raise ConfigError(f"{where}: {name}: must be {kind} within {_show(low)}..{_show(high)}")
        return raw
    if not kind_ok:
        raise ConfigError(f"{where}: {name}: must be {kind}")
    if raw < low:
        raise ConfigError(f"{where}: {name}: must be at least {_show(low)}")
    return raw


def _show(bound: float) -> str:
    """A bound as the message shows it: a whole number as written, a decimal in short form."""
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def duration(raw: Any, where: str, name: str) -> float:
    """``raw`` (seconds, or a duration such as ``"90s"`` or ``"1h30m"``) as positive seconds."""
    if isinstance(raw, bool):
        raise ConfigError(f"{where}: {name}: must be a duration such as '90s' or '15m'")
    try:
        seconds = float(raw) if isinstance(raw, int | float) else parse_duration(str(raw))
    except ValueError as err:
        raise ConfigError(f"{where}: {name}: {err}") from None
    if seconds <= 0:
        raise ConfigError(f"{where}: {name}: must be positive")
    return seconds
