"""Report delivery config: email, webhooks, retries, and the secrets from the environment."""

from __future__ import annotations

from typing import Any

import pytest

from wirecore.errors import ConfigError
from wirewatch.config import build_config

EMAIL = {
    "host": "smtp.example.org",
    "sender": "wirewatch <r@example.org>",
    "recipients": ["desk@example.org"],
    "username": "r@example.org",
}


def _config(report: dict[str, Any], env: dict[str, str] | None = None) -> Any:
    return build_config({"report": report}, where="w.toml", path=None, env=env or {})


def test_defaults_deliver_nowhere() -> None:
    settings = _config({}).report_delivery
    assert settings.channels == 0 and settings.attempts == 4


def test_email_webhooks_and_retries() -> None:
    env = {"WIREWATCH_SMTP_PASSWORD": "hunter2", "WIREWATCH_WEBHOOK_URL": "https://h.example/T/B/x"}
    settings = _config(
        {
            "email": {**EMAIL, "security": "ssl"},
            "webhook": {"urls": ["https://hooks.example/services/T/B/tok"]},
            "delivery": {"attempts": 2, "backoff": 0, "timeout": 5},
        },
        env,
    ).report_delivery
    assert settings.email is not None
    assert (settings.email.port, settings.email.security) == (465, "ssl")
    assert settings.email.password == "hunter2"
    assert [w.target for w in settings.webhooks] == ["https://hooks.example", "https://h.example"]
    assert (settings.attempts, settings.backoff, settings.timeout) == (2, 0.0, 5.0)
    assert "hunter2" not in repr(settings) and "tok" not in repr(settings)


@pytest.mark.parametrize(
    ("report", "env", "message"),
    [
        ({"email": {**EMAIL, "prot": 1}}, {}, "report.email.prot: unknown key"),
        ({"email": EMAIL}, {}, "set WIREWATCH_SMTP_PASSWORD"),
        ({"email": {**EMAIL, "security": "tls"}}, {"WIREWATCH_SMTP_PASSWORD": "p"}, "security"),
        ({"email": {**EMAIL, "recipients": []}}, {"WIREWATCH_SMTP_PASSWORD": "p"}, "recipients"),
        ({"webhook": {"urls": ["ftp://x/secret-token"]}}, {}, "a webhook URL must be http(s)"),
        ({"delivery": {"attempts": 0}}, {}, "report.delivery.attempts: must be a whole number"),
        ({"delivery": {"timeout": "soon"}}, {}, "report.delivery.timeout: must be a number"),
        ({"email": "smtp.example.org"}, {}, "report.email: must be a table"),
    ],
)
def test_bad_delivery_config_is_one_clear_error(
    report: dict[str, Any], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _config(report, env)
    assert message in str(info.value) and str(info.value).startswith("w.toml: ")
    assert "secret-token" not in str(info.value)
