"""The alert sensors on a Dagster instance where real imports failed checks and a run failed;
alerts go to a local webhook receiver and a local SMTP server started here."""

from __future__ import annotations

from dagster import (
    DagsterEventType,
    build_run_status_sensor_context,
    job,
    op,
)

from salesops_pipeline.defs.alerts import run_failure_alerts
from salesops_pipeline.defs.ingest import FILE_TAG
from salesops_pipeline_tests.core.notify.smtp_server import body, free_port, smtp_server
from salesops_pipeline_tests.core.notify.webhook_receiver import webhook_receiver
from salesops_pipeline_tests.defs.alert_support import UI, line, tick
from salesops_pipeline_tests.workbooks import write_clean_workbook


def test_failed_warn_check_alerts_once_with_file_figures_and_link(ingest, alert_env) -> None:
    # Row 2 states 5.02 for 2 × 2.50: mismatched_total (WARN) fails for this file only.
    write_clean_workbook(ingest.folder / "may.xlsx",
                         [line(4, "2.50", 2, "5.00"), line(5, "2.50", 2, "5.02")])
    with webhook_receiver() as receiver, smtp_server() as server:
        alert_env(webhook=receiver.url, smtp_port=server.port)
        cursor, _ = tick(ingest.instance, None)  # first tick: starts from now
        result = ingest.run("may.xlsx")
        failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
        assert [e.check_name for e in failed] == ["mismatched_total"]
        cursor, _ = tick(ingest.instance, cursor)
        _, logged_again = tick(ingest.instance, cursor)
    [sent] = receiver.bodies  # one alert across both ticks
    link = f"{UI}/runs/{result.run_id}"
    assert sent["severity"] == "WARN" and sent["kind"] == "check"
    assert sent["title"] == "WARN check mismatched_total on fact_sales_line failed"
    assert sent["subject"] == "file may.xlsx" and sent["link"] == link
    assert sent["figures"]["count"] == "1" and sent["figures"]["tolerance"] == "0.01"
    assert "5.02" in sent["figures"]["samples"]
    assert sent["text"].startswith("[SalesOps WARN] WARN check mismatched_total on "
                                   "fact_sales_line failed — file may.xlsx\n")
    assert f"Run {result.run_id}: {link}" in sent["text"] and "count: 1" in sent["text"]
    [mail] = server.handler.received
    assert mail.message["Subject"] == sent["text"].splitlines()[0]
    # The webhook's lines after the summary, as plain text (the webhook escapes ">", "_", …).
    mailed = body(mail.message).splitlines()
    assert mailed[:2] == ["warn: 1 > 0 in may.xlsx (1 of 2 lines)", "count: 1"]
    assert mailed[-1] == f"Run {result.run_id}: {link}"
    assert len(mailed) == len(sent["text"].splitlines()) - 1
    assert not [m for m in logged_again if m.startswith("alert:")]


def test_failed_error_check_alerts_and_a_dead_webhook_never_raises(ingest, alert_env) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens
    alert_env(webhook=dead)
    cursor, _ = tick(ingest.instance, None)
    (ingest.folder / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    result = ingest.run("broken.xlsx")
    assert result.success  # the import is recorded, not crashed
    failed = {e.check_name: e.severity.value for e in result.get_asset_check_evaluations()
              if not e.passed}
    assert failed.get("file_is_readable_workbook") == "ERROR"
    cursor, logged = tick(ingest.instance, cursor)  # does not raise
    alerts = [m for m in logged if m.startswith("alert: ")]
    assert sorted(alerts) == sorted(
        f"alert: [SalesOps {sev}] {sev} check {name} on "
        f"{'raw_sales_rows' if name == 'file_is_readable_workbook' else 'fact_sales_line'}"
        f" failed — file broken.xlsx ({UI}/runs/{result.run_id})"
        for name, sev in failed.items())
    failures = [m for m in logged if m.startswith("alert delivery failed")]
    assert len(failures) == 1 and "failed after 3 attempt(s)" in failures[0]
    assert len([m for m in logged if "failed earlier in this tick" in m]) == len(failed) - 1


def test_nothing_configured_logs_only(ingest, alert_env) -> None:
    alert_env()
    cursor, _ = tick(ingest.instance, None)
    write_clean_workbook(ingest.folder / "w.xlsx", [line(4, "2.50", 2, "5.03")])
    ingest.run("w.xlsx")
    _, logged = tick(ingest.instance, cursor)
    assert [m for m in logged if m.startswith("alert: [SalesOps WARN] WARN check "
                                              "mismatched_total")]
    assert any("logged only" in m for m in logged)
    assert not [m for m in logged if "delivery failed" in m]


@op
def explode() -> None:
    raise RuntimeError("the export folder is not writable")


@job
def broken_job() -> None:
    explode()


def test_failed_run_alerts_with_job_file_error_and_link(ingest, alert_env) -> None:
    with webhook_receiver(fail_first=2) as receiver:
        alert_env(webhook=receiver.url)
        result = broken_job.execute_in_process(instance=ingest.instance, raise_on_error=False,
                                               tags={FILE_TAG: "june.xlsx"})
        assert not result.success
        [failure] = [e for e in result.all_events
                     if e.event_type == DagsterEventType.RUN_FAILURE]
        context = build_run_status_sensor_context(
            sensor_name="run_failure_alerts", dagster_instance=ingest.instance,
            dagster_run=result.dagster_run, dagster_event=failure).for_run_failure()
        run_failure_alerts(context)
    assert receiver.posts == 3  # two 500s, retried, then accepted
    [sent] = receiver.bodies
    assert sent["severity"] == "FAILURE" and sent["kind"] == "run"
    assert sent["title"] == "run of broken_job failed"
    assert sent["subject"] == "file june.xlsx"
    assert sent["link"] == f"{UI}/runs/{result.run_id}"
    assert "explode: RuntimeError: the export folder is not writable" in sent["detail"]
    assert sent["figures"] == {"job": "broken_job"}
    assert sent["text"].startswith("[SalesOps FAILURE] run of broken_job failed — file june.xlsx")


def test_alert_sensors_are_registered_and_on_by_default() -> None:
    from dagster import DefaultSensorStatus

    from salesops_pipeline.definitions import defs

    for name in ("run_failure_alerts", "check_failure_alerts"):
        assert defs.get_sensor_def(name).default_status == DefaultSensorStatus.RUNNING
