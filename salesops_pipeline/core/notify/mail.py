"""E-mail through SMTP (stdlib smtplib): one generic transport with retries, used for reports.

``send_message`` knows nothing about reports, so alerts can reuse it with their own message.
A transient failure (connection refused or dropped, timeout, a 4xx reply) is retried with
exponential backoff; a permanent one (a 5xx reply such as a refused recipient or bad login, or a
server without STARTTLS when it is required) stops at once, since retrying cannot help. Either
way the last error is raised as :class:`MailDeliveryFailed`, whose message never holds the
password.

Every header :func:`build_message` writes (From, To, Subject, the attachment's name) is put on one
line first (core/report/render.py ``one_line``): a subject carrying a file name with a line break
can neither add a header nor make the stdlib refuse the message.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

from salesops_pipeline.core.report.render import one_line
from salesops_pipeline.errors import ConfigError, MailDeliveryFailed

__all__ = ["SECURITY_MODES", "Delivery", "SmtpConfig", "build_message", "send_message",
           "send_report", "split_addresses"]

Security = Literal["starttls", "ssl", "none"]
SECURITY_MODES: tuple[str, ...] = ("starttls", "ssl", "none")
BACKOFF_FACTOR = 2.0
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def split_addresses(text: str) -> list[str]:
    """``'a@x.org, b@y.org,'`` → ``['a@x.org', 'b@y.org']`` (SALESOPS_REPORT_EMAIL_TO)."""
    return [a.strip() for a in text.split(",") if a.strip()]


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send; ``retry_seconds`` is the first wait, doubled after each attempt."""

    host: str
    sender: str
    port: int = 587
    security: Security = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    timeout_seconds: float = 30.0
    attempts: int = 3
    retry_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ConfigError("SALESOPS_SMTP_HOST is empty: set the SMTP server to send e-mail")
        if not self.sender:
            raise ConfigError("no sender address: set SALESOPS_SMTP_FROM (or SALESOPS_SMTP_USER"
                              " when it is an address)")
        if self.security not in SECURITY_MODES:
            raise ConfigError(f"SALESOPS_SMTP_SECURITY={self.security!r}: use one of "
                              + ", ".join(SECURITY_MODES))
        if self.attempts < 1:
            raise ConfigError("SMTP attempts must be at least 1")


@dataclass(frozen=True)
class Delivery:
    """A delivered message: how many attempts it took and the recipients the server refused."""

    attempts: int
    recipients: tuple[str, ...]
    refused: dict[str, str]


def build_message(config: SmtpConfig, *, to: Sequence[str], subject: str, body: str,
                  attachment: Path | None = None) -> EmailMessage:
    """A plain-text message, with ``attachment`` (its exact bytes) when given. Header values are
    put on one line (control characters become spaces); the body is left as it is."""
    if not to:
        raise ConfigError("no recipients: set SALESOPS_REPORT_EMAIL_TO (comma-separated)")
    message = EmailMessage()
    message["From"] = one_line(config.sender)
    message["To"] = one_line(", ".join(to))
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=one_line(config.sender).rpartition("@")[2] or None)
    message.set_content(body)
    if attachment is not None:
        maintype, subtype = XLSX_TYPE if attachment.suffix == ".xlsx" else (
            "application", "octet-stream")
        message.add_attachment(attachment.read_bytes(), maintype=maintype, subtype=subtype,
                               filename=one_line(attachment.name))
    return message


def send_report(config: SmtpConfig, *, to: Sequence[str], subject: str, body: str,
                attachment: Path | None = None,
                sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Send ``body`` to ``to`` with ``attachment``; raises MailDeliveryFailed after retries."""
    message = build_message(config, to=to, subject=subject, body=body, attachment=attachment)
    return send_message(config, message, sleep=sleep)


def send_message(config: SmtpConfig, message: EmailMessage, *,
                 sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Deliver ``message`` to its To/Cc/Bcc, retrying transient failures with backoff."""
    recipients = tuple(a for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])
                       for a in split_addresses(str(v)))
    delay = config.retry_seconds
    for attempt in range(1, config.attempts + 1):
        try:
            refused = _send_once(config, message)
        except (smtplib.SMTPException, OSError) as exc:
            reason = describe(exc)
            if _permanent(exc) or attempt == config.attempts:
                where = f"{config.host}:{config.port}"
                raise MailDeliveryFailed(
                    f"e-mail to {', '.join(recipients)} via {where} failed after {attempt} "
                    f"attempt(s): {reason}", attempts=attempt) from exc
            sleep(delay)
            delay *= BACKOFF_FACTOR
        else:
            return Delivery(attempt, recipients,
                            {k: f"{v[0]} {_text(v[1])}" for k, v in refused.items()})
    raise AssertionError("unreachable: the loop returns or raises")


def _send_once(config: SmtpConfig, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    context = ssl.create_default_context()
    if config.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port,
                                                timeout=config.timeout_seconds, context=context)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
    with client:
        client.ehlo()
        if config.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if config.user:
            client.login(config.user, config.password)
        return client.send_message(message)


def _permanent(exc: BaseException) -> bool:
    """True when the server said no for good (5xx) or cannot do what the settings ask."""
    if isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def describe(exc: BaseException) -> str:
    """One line naming the failure (the server's reply, or the network error)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipients refused: " + "; ".join(
            f"{who} ({code} {_text(text)})" for who, (code, text) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"server replied {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
