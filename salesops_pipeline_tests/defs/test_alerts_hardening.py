"""The alert sensors against hostile and careless input (issue 24): names that carry line breaks,
Slack mentions and Markdown links; an alert that cannot be built; warehouse-wide findings seen on
every refresh; weekly runs launched for a partition; runs of `salesops ingest`. Real imports and
runs on a Dagster instance, a local webhook receiver and a local SMTP server."""

from __future__ import annotations

import itertools
import json

import pytest
from dagster import (
    DagsterEventType,
    SensorEvaluationContext,
    build_run_status_sensor_context,
    materialize,
    run_failure_sensor,
)
from dagster._core.remote_origin import RegisteredCodeLocationOrigin

from salesops_pipeline.defs import alerts
from salesops_pipeline.defs.alerts import WEEK_TAG, run_failure_alerts, subject_of
from salesops_pipeline.defs.exports import export_weeks, weekly_report_export
from salesops_pipeline.defs.ingest import FILE_TAG
from salesops_pipeline.defs.resources import SalesFolderResource
from salesops_pipeline_tests.core.notify.webhook_receiver import webhook_receiver
from salesops_pipeline_tests.defs.alert_support import line, tick
from salesops_pipeline_tests.defs.test_alerts import broken_job
from salesops_pipeline_tests.workbooks import write_clean_workbook

HOSTILE = "may\r\n<!channel> [Reset password](mailto:x@evil.example).xlsx"
MISMATCH = [line(4, "2.50", 2, "5.00"), line(5, "2.50", 2, "5.02")]  # mismatched_total fails
_DISTINCT = itertools.count(1)


def import_mismatch(ingest, name: str) -> str:
    """Import a file whose second line states a wrong total (one WARN check fails); its run id."""
    # A line of its own per file: workbooks written within one second are otherwise the same
    # bytes, and the second would be a duplicate of the first (no import, no check, no alert).
    units = next(_DISTINCT)
    write_clean_workbook(ingest.folder / name, [*MISMATCH, line(6, "1.00", units, f"{units}.00")])
    return ingest.run(name).run_id


def test_an_old_plain_storage_id_cursor_still_reads(ingest, alert_env) -> None:
    alert_env()
    cursor, _ = tick(ingest.instance, None)
    import_mismatch(ingest, "may.xlsx")
    after = json.loads(cursor)["after"]
    new_cursor, logged = tick(ingest.instance, str(after))  # what earlier versions stored
    assert [m for m in logged if m.startswith("alert: [SalesOps WARN]")]
    assert json.loads(new_cursor)["after"] > after


def test_unchanged_warehouse_wide_warn_alerts_once_and_again_when_its_count_changes(
        ingest, alert_env) -> None:
    cursor, _ = tick(ingest.instance, None)
    with webhook_receiver() as receiver:
        alert_env(webhook=receiver.url)
        import_mismatch(ingest, "may.xlsx")
        ingest.refresh()
        cursor, _ = tick(ingest.instance, cursor)
        ingest.refresh()  # the same findings
        cursor, logged = tick(ingest.instance, cursor)
        write_clean_workbook(ingest.folder / "june.xlsx", [line(6, "2.50", 2, "5.04")])
        ingest.run("june.xlsx")
        ingest.refresh()  # one more mismatched line in the warehouse
        cursor, _ = tick(ingest.instance, cursor)
    sent = [(b["subject"], b["title"].split()[2], b["figures"].get("count"))
            for b in receiver.bodies]
    assert [s for s in sent if s[0] != "whole warehouse"] == [
        ("file may.xlsx", "mismatched_total", "1"), ("file june.xlsx", "mismatched_total", "1")]
    assert [s for s in sent if s[0] == "whole warehouse"] == [
        ("whole warehouse", "mismatched_total", "1"), ("whole warehouse", "mismatched_total", "2")]
    assert any("fact_sales_line:mismatched_total still finds WARN count=1" in m for m in logged)


def test_weekly_partition_run_failure_names_the_week(ingest, alert_env, tmp_path) -> None:
    week = export_weeks.get_last_partition_key()
    blocker = tmp_path / "exports"
    blocker.write_text("a file where the export folder should be")
    resources = {**ingest.resources(),
                 "sales_folder": SalesFolderResource(data_dir=str(ingest.folder),
                                                     export_dir=str(blocker))}
    # The asset launched for its partition, as the UI or a backfill does (no weekly tag).
    result = materialize([weekly_report_export], partition_key=week, instance=ingest.instance,
                         resources=resources, raise_on_error=False)
    assert not result.success and WEEK_TAG not in result.dagster_run.tags
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE]
    with webhook_receiver() as receiver:
        alert_env(webhook=receiver.url)
        run_failure_alerts(build_run_status_sensor_context(
            sensor_name="run_failure_alerts", dagster_instance=ingest.instance,
            dagster_run=result.dagster_run, dagster_event=failure).for_run_failure())
    [sent] = receiver.bodies
    assert sent["subject"] == f"week of {week}"
    assert sent["text"].splitlines()[0] == (f"[SalesOps FAILURE] run of {result.job_def.name} "
                                            f"failed — week of {week}")


@pytest.mark.parametrize(("tags", "partition", "subject"), [
    ({WEEK_TAG: "2026-11-23", "dagster/partition": "2026-11-23"}, None, "week of 2026-11-23"),
    ({"dagster/partition": "2026-11-23"}, None, "week of 2026-11-23"),
    ({"dagster/partition": "2026-11-23", "dagster/backfill": "abcdefgh"}, None,
     "week of 2026-11-23"),
    ({}, "2026-11-23", "week of 2026-11-23"),
    ({"dagster/asset_partition_range_start": "2026-11-16",
      "dagster/asset_partition_range_end": "2026-11-23"}, None,
     "weeks of 2026-11-16 … 2026-11-23"),
    ({FILE_TAG: "2026-11-23.xlsx"}, None, "file 2026-11-23.xlsx"),
    ({"dagster/asset_partition_range_start": "a.xlsx",
      "dagster/asset_partition_range_end": "b.csv"}, None, "files a.xlsx … b.csv"),
    ({}, None, "whole warehouse"),
])
def test_subject_names_the_week_however_the_run_was_launched(tags, partition, subject) -> None:
    assert subject_of(tags, partition) == subject


def daemon_tick(sensor, instance, cursor: str | None) -> str | None:
    """Evaluate a run-status sensor as the daemon does: from its code location, where a run
    executed in another process (no code location of its own) is not the sensor's."""
    context = SensorEvaluationContext(
        instance_ref=None, instance=instance, cursor=cursor, sensor_name=sensor.name,
        repository_name="__repository__",
        code_location_origin=RegisteredCodeLocationOrigin("salesops_pipeline"))
    return sensor.evaluate_tick(context).cursor


@run_failure_sensor(name="location_bound_alerts")
def location_bound_alerts(context) -> None:
    """run_failure_alerts' body without monitor_all_code_locations: Dagster's default."""
    alerts.alert_run_failure(context)


def test_a_failed_run_of_salesops_ingest_alerts_once(ingest, alert_env) -> None:
    with webhook_receiver() as receiver:
        alert_env(webhook=receiver.url)
        cursors = {s.name: daemon_tick(s, ingest.instance, None)
                   for s in (run_failure_alerts, location_bound_alerts)}
        # What `salesops ingest` does: the job executed in this process, on the instance.
        result = broken_job.execute_in_process(instance=ingest.instance, raise_on_error=False,
                                               tags={FILE_TAG: "june.xlsx"})
        assert not result.success and result.dagster_run.remote_job_origin is None
        for sensor in (run_failure_alerts, location_bound_alerts):
            cursor = daemon_tick(sensor, ingest.instance, cursors[sensor.name])
            daemon_tick(sensor, ingest.instance, cursor)  # the next tick sends nothing
    [sent] = receiver.bodies  # from run_failure_alerts; Dagster's default would skip the run
    assert sent["run_id"] == result.run_id and sent["subject"] == "file june.xlsx"
    assert sent["title"] == "run of broken_job failed"


def test_a_tick_past_its_time_budget_leaves_the_rest_for_the_next_tick(
        ingest, alert_env, monkeypatch) -> None:
    """A slow destination must not push a tick past Dagster's 60 s (the cursor would be lost and
    the alerts re-sent): past the budget the tick stops, and the next one goes on from there."""
    cursor, _ = tick(ingest.instance, None)
    for name in ("a.xlsx", "b.xlsx", "c.xlsx"):
        import_mismatch(ingest, name)
    monkeypatch.setattr(alerts, "TICK_BUDGET_SECONDS", 0.0)  # one record per tick
    with webhook_receiver() as receiver:
        alert_env(webhook=receiver.url)
        ticks, cut = 0, 0
        while True:
            before = cursor
            cursor, logged = tick(ingest.instance, cursor)
            ticks += 1
            cut += any("left for the next tick" in m for m in logged)
            if cursor == before or ticks > 200:
                break
    assert [b["subject"] for b in receiver.bodies] == [
        "file a.xlsx", "file b.xlsx", "file c.xlsx"]  # each once, in order, over many ticks
    assert cut == ticks - 2 > 3  # every tick but the last two stopped after one record
