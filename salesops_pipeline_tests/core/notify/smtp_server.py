"""A real SMTP server (aiosmtpd) on a free local port, started by the test that needs it.

It keeps every message it accepts; ``fail_first`` makes it answer DATA with 451 (try again)
that many times before accepting, ``reply`` makes it answer DATA with a fixed reply (e.g. 550).
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from salesops_pipeline_tests.pg import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Handler:
    fail_first: int = 0
    reply: str | None = None
    received: list[Received] = field(default_factory=list)
    data_calls: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.data_calls += 1
        if self.reply:
            return self.reply
        if self.data_calls <= self.fail_first:
            return "451 4.3.0 Temporary failure, try again"
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    handler: Handler


@contextmanager
def smtp_server(*, fail_first: int = 0, reply: str | None = None,
                login: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """Serve on 127.0.0.1:<free port> until the block ends; ``login`` requires that user/password
    (AUTH over plain text is allowed here: the test server has no certificate)."""
    handler = Handler(fail_first=fail_first, reply=reply)
    kwargs: dict = {}
    if login is not None:
        def check(server, session, envelope, mechanism, data) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (
                data.login.decode(), data.password.decode()) == login
            return AuthResult(success=ok, handled=False)  # failure: the server replies 535
        kwargs = {"authenticator": check, "auth_require_tls": False, "auth_required": True,
                  "auth_exclude_mechanism": ["LOGIN"]}  # PLAIN is enough to test with
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer(port, handler)
    finally:
        controller.stop()


def attachments(message: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def body(message: EmailMessage) -> str:
    """The plain-text body with SMTP's CRLF line ends read back as the "\n" the sender wrote."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")
