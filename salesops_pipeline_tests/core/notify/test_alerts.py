"""core/notify/alerts.py against a real local HTTP receiver and a real local SMTP server."""

from __future__ import annotations

import pytest

from salesops_pipeline.core.notify.alerts import (
    Alert,
    AlertConfig,
    deliver,
    post_webhook,
    run_link,
    webhook_body,
)
from salesops_pipeline.core.notify.mail import SmtpConfig
from salesops_pipeline.errors import AlertDeliveryFailed
from salesops_pipeline_tests.core.notify.smtp_server import body, free_port, smtp_server
from salesops_pipeline_tests.core.notify.webhook_receiver import webhook_receiver

ALERT = Alert(title="WARN check mismatched_total on fact_sales_line failed", severity="WARN",
              subject="file may.xlsx", run_id="abc-123",
              link=run_link("http://dagster.example:3000/", "abc-123"),
              figures={"count": "2", "tolerance": "0.01"}, kind="check")


def test_webhook_body_has_text_for_slack_and_teams_and_fields() -> None:
    sent = webhook_body(ALERT)
    assert sent["text"] == (
        "[SalesOps WARN] WARN check mismatched_total on fact_sales_line failed — file may.xlsx\n"
        "count: 2\ntolerance: 0.01\n"
        "Run abc-123: http://dagster.example:3000/runs/abc-123")
    assert sent["figures"] == {"count": "2", "tolerance": "0.01"}
    assert (sent["severity"], sent["subject"], sent["link"]) == (
        "WARN", "file may.xlsx", "http://dagster.example:3000/runs/abc-123")


def test_webhook_retried_after_two_500s_then_delivered() -> None:
    waits: list[float] = []
    with webhook_receiver(fail_first=2) as receiver:
        outcomes = deliver(ALERT, AlertConfig(webhook_url=receiver.url, retry_seconds=1.5),
                           lambda m: None, sleep=waits.append)
    assert [(o.destination, o.attempts, o.error) for o in outcomes] == [("webhook", 3, None)]
    assert waits == [1.5, 3.0]  # backoff doubles
    assert receiver.posts == 3 and receiver.bodies == [webhook_body(ALERT)]
    assert receiver.content_types == ["application/json"]


def test_webhook_failing_raises_named_error_without_the_secret_path() -> None:
    with webhook_receiver(fail_first=99) as receiver:
        with pytest.raises(AlertDeliveryFailed) as failed:
            post_webhook(receiver.url, webhook_body(ALERT), attempts=3, sleep=lambda s: None)
    assert failed.value.attempts == 3 and receiver.posts == 3
    assert "HTTP 500" in str(failed.value) and "secret" not in str(failed.value)


def test_deliver_logs_a_dead_destination_and_skips_it_for_the_rest_of_the_tick() -> None:
    logged: list[str] = []
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: connection refused
    skip: set[str] = set()
    config = AlertConfig(webhook_url=dead, attempts=2)
    first = deliver(ALERT, config, logged.append, skip=skip, sleep=lambda s: None)
    second = deliver(ALERT, config, logged.append, skip=skip, sleep=lambda s: None)
    assert first[0].attempts == 2 and "failed after 2 attempt(s)" in first[0].error
    assert second[0].attempts == 0 and skip == {"webhook"}
    assert any("alert delivery failed" in m and "ConnectionRefusedError" in m for m in logged)


def test_nothing_configured_logs_only() -> None:
    logged: list[str] = []
    assert deliver(ALERT, AlertConfig(), logged.append) == []
    assert logged[0] == ("alert: [SalesOps WARN] WARN check mismatched_total on fact_sales_line"
                         " failed — file may.xlsx (http://dagster.example:3000/runs/abc-123)")
    assert "logged only" in logged[1]


def test_email_and_webhook_both_receive_the_alert() -> None:
    with smtp_server(fail_first=1) as server, webhook_receiver() as receiver:
        smtp = SmtpConfig(host="127.0.0.1", port=server.port, security="none",
                          sender="salesops@example.org", retry_seconds=0)
        config = AlertConfig(webhook_url=receiver.url, email_to=("ops@example.org",),
                             smtp=smtp)
        outcomes = deliver(ALERT, config, lambda m: None, sleep=lambda s: None)
    assert [(o.destination, o.attempts, o.error) for o in outcomes] == [
        ("webhook", 1, None), ("email", 2, None)]
    [mail] = server.handler.received
    assert mail.rcpt_tos == ["ops@example.org"]
    assert mail.message["Subject"] == ("[SalesOps WARN] WARN check mismatched_total on "
                                       "fact_sales_line failed — file may.xlsx")
    assert body(mail.message) == ("count: 2\ntolerance: 0.01\n"
                                  "Run abc-123: http://dagster.example:3000/runs/abc-123\n")


HOSTILE = Alert(title="WARN check mismatched_total on fact_sales_line failed", severity="WARN",
                subject="file <!channel>\r\n[Reset password](https://evil.example).xlsx",
                run_id="abc-123", link=run_link("http://dagster.example:3000", "abc-123"),
                detail="sheet <http://evil.example|Q1 & Q2>\nis *bad*",
                figures={"count": "1", "samples": '[{"product": "a_b|c"}]'}, kind="check")


def test_webhook_text_escapes_slack_sequences_and_markdown_but_fields_stay_raw() -> None:
    sent = webhook_body(HOSTILE)
    assert sent["text"] == (
        "[SalesOps WARN] WARN check mismatched_total on fact_sales_line failed — "
        r"file &lt;!channel&gt; \[Reset password\](https://evil.example).xlsx" "\n"
        r"sheet &lt;http://evil.example\|Q1 &amp; Q2&gt; is \*bad\*" "\n"
        "count: 1\n"
        r'samples: \[{"product": "a\_b\|c"}\]' "\n"
        "Run abc-123: http://dagster.example:3000/runs/abc-123")
    assert sent["subject"] == HOSTILE.subject and sent["detail"] == HOSTILE.detail
    assert sent["figures"] == dict(HOSTILE.figures)


def test_hostile_names_reach_both_destinations_once_with_one_line_headers() -> None:
    with smtp_server() as server, webhook_receiver() as receiver:
        smtp = SmtpConfig(host="127.0.0.1", port=server.port, security="none",
                          sender="salesops@example.org", retry_seconds=0)
        config = AlertConfig(webhook_url=receiver.url, email_to=("ops@example.org",),
                             smtp=smtp)
        outcomes = deliver(HOSTILE, config, lambda m: None, sleep=lambda s: None)
    assert [(o.destination, o.error) for o in outcomes] == [("webhook", None), ("email", None)]
    assert receiver.bodies == [webhook_body(HOSTILE)]
    [mail] = server.handler.received
    assert mail.message["Subject"] == (
        "[SalesOps WARN] WARN check mismatched_total on fact_sales_line failed — "
        "file <!channel> [Reset password](https://evil.example).xlsx")
    assert mail.message.get_all("Bcc") is None and mail.rcpt_tos == ["ops@example.org"]
    assert body(mail.message) == (
        "sheet <http://evil.example|Q1 & Q2> is *bad*\ncount: 1\n"
        'samples: [{"product": "a_b|c"}]\n'
        "Run abc-123: http://dagster.example:3000/runs/abc-123\n")


def test_an_alert_that_cannot_be_sent_is_logged_and_the_next_one_still_goes() -> None:
    logged: list[str] = []
    skip: set[str] = set()
    with webhook_receiver() as receiver:
        # A figure that is not text: building either message fails, for this alert only.
        smtp = SmtpConfig(host="127.0.0.1", port=free_port(), security="none",
                          sender="salesops@example.org", retry_seconds=0)
        config = AlertConfig(webhook_url=receiver.url, email_to=("ops@example.org",), smtp=smtp)
        broken = Alert(**{**HOSTILE.__dict__, "figures": {"count": object()}})  # type: ignore[dict-item]
        first = deliver(broken, config, logged.append, skip=skip, sleep=lambda s: None)
        second = deliver(ALERT, AlertConfig(webhook_url=receiver.url), logged.append, skip=skip)
    assert [o.destination for o in first if o.error] == ["webhook", "email"]
    assert any(m.startswith("alert not sent to webhook: TypeError") for m in logged)
    assert skip == set() and [(o.destination, o.error) for o in second] == [("webhook", None)]
    assert receiver.bodies == [webhook_body(ALERT)]
