"""Hostile and careless names in alerts (issue 24): a file name carrying a line break, a Slack
mention and a Markdown link; an alert that cannot be built. Real imports on a Dagster instance,
the check-failure sensor ticked as the daemon ticks it, a local webhook receiver and a local
SMTP server. Each test is a row of README's Reliability table."""

from __future__ import annotations

import pytest

from salesops_pipeline.defs import alerts
from salesops_pipeline.defs.ingest import FILE_TAG
from salesops_pipeline_tests.core.notify.smtp_server import body, smtp_server
from salesops_pipeline_tests.core.notify.webhook_receiver import webhook_receiver
from salesops_pipeline_tests.defs.alert_support import UI, tick
from salesops_pipeline_tests.defs.test_alerts_hardening import HOSTILE, import_mismatch


@pytest.mark.reliability(case="a file named `may\\r\\n<!channel> [Reset password](mailto:…).xlsx` "
                              "fails a check, with webhook and e-mail alerts configured")
def test_hostile_file_name_is_escaped_alerted_once_and_later_alerts_still_go(
        ingest, alert_env, record_happened) -> None:
    """Escaped for Slack/Teams and Markdown in the webhook text, on one line in the e-mail
    subject; one alert each, and the alerts after it still go out."""
    cursor, _ = tick(ingest.instance, None)
    hostile_run = import_mismatch(ingest, HOSTILE)
    import_mismatch(ingest, "june.xlsx")
    with webhook_receiver() as receiver, smtp_server() as server:
        alert_env(webhook=receiver.url, smtp_port=server.port)
        cursor, _ = tick(ingest.instance, cursor)  # the hostile one and a later one, same tick
        import_mismatch(ingest, "july.xlsx")
        cursor, _ = tick(ingest.instance, cursor)  # the next tick
        _, again = tick(ingest.instance, cursor)
    assert [b["subject"] for b in receiver.bodies] == [
        f"file {HOSTILE}", "file june.xlsx", "file july.xlsx"]  # JSON fields: raw data
    [hostile, *_] = receiver.bodies
    text = hostile["text"].splitlines()
    assert text[0] == ("[SalesOps WARN] WARN check mismatched_total on fact_sales_line failed — "
                       r"file may &lt;!channel&gt; \[Reset password\](mailto:x@evil.example).xlsx")
    assert text[1] == (r"warn: 1 &gt; 0 in may &lt;!channel&gt; \[Reset password\]"
                       "(mailto:x@evil.example).xlsx (1 of 3 lines)")
    assert text[-1] == f"Run {hostile_run}: {UI}/runs/{hostile_run}"
    assert "<" not in hostile["text"] and "\r" not in hostile["text"]
    mails = server.handler.received
    assert len(mails) == 3 and not [m for m in again if m.startswith("alert:")]
    assert [m.message["Subject"].rpartition(" — ")[2] for m in mails] == [
        "file may <!channel> [Reset password](mailto:x@evil.example).xlsx",
        "file june.xlsx", "file july.xlsx"]
    record_happened(f"webhook text: {text[0].rpartition(' — ')[2]}; e-mail subject on one line; "
                    f"{len(receiver.bodies)} webhook posts and {len(mails)} e-mails for 3 "
                    "failures over 3 ticks")
    assert body(mails[0].message).splitlines()[0] == (
        "warn: 1 > 0 in may <!channel> [Reset password](mailto:x@evil.example).xlsx "
        "(1 of 3 lines)")


@pytest.mark.reliability(case="an alert that raises while it is built (e.g. a header with a line "
                              "break), followed by another failure in the same tick")
def test_an_alert_that_fails_to_build_is_logged_skipped_and_never_blocks_the_cursor(
        ingest, alert_env, monkeypatch, record_happened) -> None:
    """The alert is logged and skipped; the cursor moves past it; the next alert goes once."""
    real = alerts.check_alert

    def breaks_on_may(evaluation, run_id, tags, base_url):
        if tags.get(FILE_TAG) == "may.xlsx":
            raise ValueError("Header values may not contain linefeed or carriage return")
        return real(evaluation, run_id, tags, base_url)

    monkeypatch.setattr(alerts, "check_alert", breaks_on_may)
    cursor, _ = tick(ingest.instance, None)
    import_mismatch(ingest, "may.xlsx")
    import_mismatch(ingest, "june.xlsx")
    with webhook_receiver() as receiver:
        alert_env(webhook=receiver.url)
        cursor, logged = tick(ingest.instance, cursor)
        _, again = tick(ingest.instance, cursor)
    [skipped] = [m for m in logged if "not alerted" in m]
    assert skipped.startswith("check evaluation record ") and "ValueError: Header" in skipped
    assert [b["subject"] for b in receiver.bodies] == ["file june.xlsx"]  # once, not per tick
    assert not [m for m in again if m.startswith("alert:")]
    reason = skipped.partition(" not alerted: ")[2]
    record_happened(f"logged as not alerted ({reason[:60]}…), the cursor moved past it; "
                    "'file june.xlsx' alerted once; the next tick sends nothing again")
