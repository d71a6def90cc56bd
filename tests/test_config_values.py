"""The shared configuration validators: one message format for every table."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from wirecore.errors import ConfigError
from wirewatch.config_values import (
    boolean,
    check_keys,
    duration,
    number,
    table,
    whole_number,
    with_env,
)


def test_values_that_pass_come_back_typed() -> None:
    assert whole_number(3, "f", "k", 1, 5) == 3
    assert whole_number(7, "f", "k", 1) == 7
    assert number(2, "f", "k") == 2.0 and isinstance(number(2, "f", "k"), float)
    assert number(0.5, "f", "k", 0, 1) == 0.5
    assert duration(90, "f", "k") == 90.0
    assert duration("1h30m", "f", "k") == 5400.0
    assert boolean(False, "f", "k") is False
    assert table({"t": {"a": 1}}, "t", "f") == {"a": 1}
    assert table({}, "t", "f") == {}
    check_keys({"a": 1}, {"a", "b"}, "f", "x.")


WITHIN = "must be a whole number within 0..9"


@pytest.mark.parametrize(
    ("check", "args", "message"),
    [
        (whole_number, (True, "f", "s.port", 0, 9), f"f: s.port: {WITHIN}"),
        (whole_number, (10, "f", "s.port", 0, 9), f"f: s.port: {WITHIN}"),
        (whole_number, (1.5, "f", "c.retries"), "f: c.retries: must be a whole number"),
        (whole_number, (0, "f", "c.retries", 1), "f: c.retries: must be at least 1"),
        (number, ("2", "f", "d.backoff"), "f: d.backoff: must be a number"),
        (number, (601, "f", "d.backoff", 0, 600), "f: d.backoff: must be a number within 0..600"),
        (number, (-1, "f", "c.delay"), "f: c.delay: must be at least 0"),
        (duration, (True, "f", "s.grace"), "f: s.grace: must be a duration such as '90s'"),
        (duration, (0, "f", "s.grace"), "f: s.grace: must be positive"),
        (duration, ("soon", "f", "s.grace"), "f: s.grace: not a duration: 'soon'"),
        (boolean, (1, "f", "w.enabled"), "f: w.enabled: must be true or false"),
        (table, ({"web": 3}, "web", "f"), "f: web: must be a table, got int"),
        (table, ({"email": []}, "email", "f", "report."), "f: report.email: must be a table"),
        (
            check_keys,
            ({"prot": 1}, {"port", "host"}, "f", "r.e."),
            "f: r.e.prot: unknown key (expected one of: host, port)",
        ),
    ],
)
def test_errors_name_the_file_and_the_key_on_one_line(
    check: Callable[..., object], args: tuple[object, ...], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        check(*args)
    assert "\n" not in str(err.value)


def test_environment_overrides_win_and_blank_ones_are_ignored() -> None:
    overrides = {"W_PORT": "port", "W_HOST": "host"}
    data = {"port": 1, "host": "a"}
    assert with_env(data, overrides, None) == data
    assert with_env(data, overrides, {"W_HOST": "  "}) == data
    got = with_env(data, overrides, {"W_PORT": " 8080 ", "W_HOST": " b "}, numbers={"port"})
    assert got == {"port": 8080, "host": "b"}
    assert with_env({}, overrides, {"W_PORT": "eighty"}, numbers={"port"}) == {"port": "eighty"}
    assert data == {"port": 1, "host": "a"}  # not changed in place
