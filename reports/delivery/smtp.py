"""The report as an email: HTML with a plain-text alternative and the chart attached inline."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage, MIMEPart
from email.utils import formatdate, make_msgid

from reports.delivery.settings import EmailSettings

CHART_CID = "trend-chart@wirewatch"
"""Content-ID of the chart image inside the email (referenced as ``cid:`` from the HTML)."""


def build_message(
    settings: EmailSettings,
    *,
    subject: str,
    text: str,
    html: str | None,
    chart_svg: str | None,
) -> EmailMessage:
    """A multipart email: text/plain, then text/html with the chart as a related image."""
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject.split())
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=_domain(settings.sender))
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        if chart_svg is not None:
            html_part = msg.get_body(preferencelist=("html",))
            if isinstance(html_part, MIMEPart):
                svg = chart_svg.encode("utf-8")
                html_part.add_related(svg, "image", "svg+xml", cid=f"<{CHART_CID}>")
    return msg


def send_message(settings: EmailSettings, msg: EmailMessage, timeout: float) -> None:
    """Send over SMTP (STARTTLS, implicit TLS or plain), logging in when a user is set."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with smtp:
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(msg)


def _domain(sender: str) -> str:
    addr = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return addr.rsplit("@", 1)[1] if "@" in addr else "wirewatch.localhost"
