"""core/notify/mail.py against a real local SMTP server: delivery, retries with backoff, no retry of
a permanent error."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesops_pipeline.core.notify.mail import SmtpConfig, send_report, split_addresses
from salesops_pipeline.errors import ConfigError, MailDeliveryFailed
from salesops_pipeline_tests.core.notify.smtp_server import (
    attachments,
    body,
    free_port,
    smtp_server,
)

BODY = "# Weekly sales report\n\n- Revenue: 1234.50 — Zoë\n"


def config(port: int, **overrides) -> SmtpConfig:
    values = {"host": "127.0.0.1", "port": port, "security": "none",
              "sender": "salesops@example.org", "attempts": 3, "retry_seconds": 0.01,
              "timeout_seconds": 5}
    return SmtpConfig(**(values | overrides))


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "weekly_report_2026-03-02_to_2026-03-08.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook \x00\xff" * 100)
    return path


def test_message_arrives_with_body_and_exact_attachment(workbook: Path) -> None:
    with smtp_server() as server:
        sent = send_report(config(server.port), to=["a@example.org", "b@example.org"],
                           subject="Weekly sales report", body=BODY, attachment=workbook)
    assert sent.attempts == 1 and sent.refused == {}
    [got] = server.handler.received
    assert got.mail_from == "salesops@example.org"
    assert got.rcpt_tos == ["a@example.org", "b@example.org"]
    assert got.message["Subject"] == "Weekly sales report"
    assert body(got.message) == BODY
    assert attachments(got.message) == {workbook.name: workbook.read_bytes()}
    assert got.message.get_content_type() == "multipart/mixed"


def test_temporary_failures_are_retried_with_backoff(workbook: Path) -> None:
    waits: list[float] = []
    with smtp_server(fail_first=2) as server:
        sent = send_report(config(server.port, attempts=3, retry_seconds=0.02),
                           to=["a@example.org"], subject="s", body=BODY, attachment=workbook,
                           sleep=waits.append)
    assert sent.attempts == 3
    assert server.handler.data_calls == 3 and len(server.handler.received) == 1
    assert waits == [0.02, 0.04]   # exponential: the first wait, then doubled


def test_too_many_temporary_failures_raise_after_the_last_attempt(workbook: Path) -> None:
    with smtp_server(fail_first=5) as server, pytest.raises(MailDeliveryFailed) as caught:
        send_report(config(server.port, attempts=2), to=["a@example.org"], subject="s",
                    body=BODY, attachment=workbook)
    assert caught.value.attempts == 2 and server.handler.data_calls == 2
    assert "451" in str(caught.value) and "after 2 attempt(s)" in str(caught.value)


def test_closed_port_is_retried_then_named(workbook: Path) -> None:
    port = free_port()
    with pytest.raises(MailDeliveryFailed) as caught:
        send_report(config(port, attempts=3), to=["a@example.org"], subject="s", body=BODY,
                    attachment=workbook)
    assert caught.value.attempts == 3
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "ConnectionRefusedError" in str(caught.value)


def test_permanent_refusal_is_not_retried(workbook: Path) -> None:
    with smtp_server(reply="550 5.7.1 Message rejected") as server, \
            pytest.raises(MailDeliveryFailed) as caught:
        send_report(config(server.port, attempts=4), to=["a@example.org"], subject="s",
                    body=BODY, attachment=workbook)
    assert caught.value.attempts == 1 and server.handler.data_calls == 1
    assert "550" in str(caught.value)


def test_starttls_required_but_not_offered_is_permanent(workbook: Path) -> None:
    with smtp_server() as server, pytest.raises(MailDeliveryFailed) as caught:
        send_report(config(server.port, security="starttls"), to=["a@example.org"],
                    subject="s", body=BODY, attachment=workbook)
    assert caught.value.attempts == 1 and server.handler.received == []
    assert "STARTTLS" in str(caught.value)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_and_a_wrong_password_that_never_shows(workbook: Path) -> None:
    with smtp_server(login=("reports", "s3cret-pw")) as server:
        sent = send_report(config(server.port, user="reports", password="s3cret-pw"),
                           to=["a@example.org"], subject="s", body=BODY, attachment=workbook)
        assert sent.attempts == 1 and len(server.handler.received) == 1
        wrong = config(server.port, user="reports", password="not-the-pw-123")
        with pytest.raises(MailDeliveryFailed) as caught:
            send_report(wrong, to=["a@example.org"], subject="s", body=BODY)
    assert caught.value.attempts == 1   # 535: retrying a bad password cannot help
    assert "535" in str(caught.value)
    assert "not-the-pw-123" not in str(caught.value) and "not-the-pw-123" not in repr(wrong)


@pytest.mark.parametrize(("overrides", "word"), [
    ({"host": ""}, "SALESOPS_SMTP_HOST"), ({"sender": ""}, "SALESOPS_SMTP_FROM"),
    ({"security": "tls"}, "SALESOPS_SMTP_SECURITY"), ({"attempts": 0}, "attempts")])
def test_incomplete_settings_are_named(overrides: dict, word: str) -> None:
    with pytest.raises(ConfigError, match=word):
        config(25, **overrides)


def test_no_recipients_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="SALESOPS_REPORT_EMAIL_TO"):
        send_report(config(25), to=split_addresses(" , "), subject="s", body=BODY)


def test_split_addresses() -> None:
    assert split_addresses(" a@x.org, b@y.org ,,") == ["a@x.org", "b@y.org"]


def test_a_line_break_in_the_subject_adds_no_header(workbook: Path) -> None:
    with smtp_server() as server:
        send_report(config(server.port), to=["a@example.org"],
                    subject="Report for may\r\nBcc: thief@evil.example\n.xlsx", body=BODY,
                    attachment=workbook)
    [got] = server.handler.received
    assert got.message["Subject"] == "Report for may Bcc: thief@evil.example .xlsx"
    assert got.message.get_all("Bcc") is None and got.rcpt_tos == ["a@example.org"]
