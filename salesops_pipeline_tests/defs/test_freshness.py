"""Import freshness watched every hour: what counts as published, the hourly job and schedule,
and its alerts (on the transition to failing, at a local webhook receiver) on real imports."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from dagster import (
    AssetCheckSeverity,
    DefaultScheduleStatus,
    Definitions,
    ExecuteInProcessResult,
    build_schedule_context,
)

from salesops_pipeline.core.load import withdraw
from salesops_pipeline.core.report import quality
from salesops_pipeline.defs.freshness import freshness_job, freshness_schedule, import_freshness
from salesops_pipeline.defs.ingest import ingest_assets
from salesops_pipeline.defs.resources import QualityResource, WarehouseResource
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.core.notify.webhook_receiver import webhook_receiver
from salesops_pipeline_tests.defs.alert_support import tick
from salesops_pipeline_tests.workbooks import write_clean_workbook

LIMIT_H = QualityResource().max_import_age_hours  # the ingest runs' checks use it too
UI = "http://dagster.example:3000"
NOT_A_WORKBOOK = b"PK\x03\x04 this is not really a workbook"


def line(day: int, total: str = "5.00") -> dict[str, object]:
    return {"sold_at": datetime(2026, 5, day, 9), "product": "A", "seller": "S",
            "unit_price": Decimal("2.50"), "units": 2, "total_price": Decimal(total),
            "shipping_company": "DHL"}


def check_freshness(ingest) -> ExecuteInProcessResult:
    """One hourly run: the schedule's request, executed as the daemon would launch it."""
    [request] = freshness_schedule.evaluate_tick(
        build_schedule_context(instance=ingest.instance,
                               scheduled_execution_time=datetime.now(UTC))).run_requests
    job = Definitions(assets=ingest_assets, asset_checks=[import_freshness],
                      jobs=[freshness_job], resources=ingest.resources()).resolve_job_def(
                          request.job_name or freshness_job.name)
    result = job.execute_in_process(instance=ingest.instance, run_config=request.run_config,
                                    tags=request.tags)
    assert result.success
    return result


def evaluation(result: ExecuteInProcessResult):
    [only] = result.get_asset_check_evaluations()  # the job runs this check and nothing else
    assert only.check_name == "import_freshness"
    assert result.get_asset_materialization_events() == []
    return only


def finished(sql, source_file: str, status: str, hours_ago: float) -> datetime:
    """Move a version's finished time back (how old it is); return the stored time."""
    [(at,)] = sql("UPDATE salesops.import_log SET finished_at = now() - %s * interval '1 hour'"
                  " WHERE source_file = %s AND status = %s RETURNING finished_at",
                  (hours_ago, source_file, status))
    return at


def test_schedule_runs_only_the_check_every_hour_and_is_registered() -> None:
    from salesops_pipeline.definitions import defs

    assert freshness_schedule.cron_schedule == "0 * * * *"
    assert freshness_schedule.execution_timezone == Settings().timezone
    assert freshness_schedule.default_status == DefaultScheduleStatus.RUNNING
    assert defs.resolve_schedule_def("freshness_schedule").job_name == "check_freshness"
    job = defs.resolve_job_def("check_freshness")
    assert job.asset_layer.executable_asset_keys == set()  # materializes nothing
    assert [node.name for node in job.nodes] == ["fact_sales_line_import_freshness"]


def test_a_rejected_or_duplicate_drop_newer_than_the_limit_is_not_fresh(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "good.xlsx", [line(4), line(5)])
    ingest.run("good.xlsx")
    published = finished(sql, "good.xlsx", "loaded", LIMIT_H + 5)
    [(good_id, good_sha)] = sql("SELECT import_id, sha256 FROM salesops.import_log"
                                " WHERE source_file = 'good.xlsx'")
    assert evaluation(check_freshness(ingest)).passed is False  # stale before any new drop
    # Now, inside the limit: a broken file (rejected) and the same bytes under another name.
    (ingest.folder / "broken.xlsx").write_bytes(NOT_A_WORKBOOK)
    ingest.run("broken.xlsx")
    (ingest.folder / "copy.xlsx").write_bytes((ingest.folder / "good.xlsx").read_bytes())
    ingest.run("copy.xlsx")
    assert sorted(sql("SELECT source_file, status FROM salesops.import_log")) == [
        ("broken.xlsx", "rejected"), ("copy.xlsx", "duplicate"), ("good.xlsx", "loaded")]
    check = evaluation(check_freshness(ingest))
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    meta = {k: v.value for k, v in check.metadata.items()}
    assert meta["latest_import_file"] == "good.xlsx" and meta["latest_import_id"] == good_id
    assert meta["latest_import"] == published.isoformat()
    assert meta["latest_import_sha256"] == good_sha[:12]
    assert LIMIT_H + 5 <= meta["age_hours"] < LIMIT_H + 5.1 and meta["max_age_hours"] == LIMIT_H
    assert meta["not_published_counts"] == {"rejected": 1, "duplicate": 1}
    assert meta["not_published_since"] == "1 duplicate, 1 rejected"
    newest = meta["newest_not_published"]
    assert [d["source_file"] for d in newest] == ["copy.xlsx", "broken.xlsx"]
    assert newest[1]["status"] == "rejected" and newest[1]["error"]
    assert check.description.startswith(f"Latest published: good.xlsx (import {good_id}) at ")
    assert f"older than the limit of {LIMIT_H} h" in check.description
    assert "not counted as fresh): 1 duplicate, 1 rejected" in check.description
    # A version published now makes it fresh, and nothing since then is listed.
    write_clean_workbook(ingest.folder / "new.xlsx", [line(6)])
    ingest.run("new.xlsx")
    check = evaluation(check_freshness(ingest))
    assert check.passed and check.metadata["latest_import_file"].value == "new.xlsx"
    assert check.metadata["not_published_counts"].value == {}
    assert check.metadata["age_hours"].value < 0.1


def test_nothing_ever_published_fails(ingest) -> None:
    (ingest.folder / "broken.xlsx").write_bytes(NOT_A_WORKBOOK)
    ingest.run("broken.xlsx")
    check = evaluation(check_freshness(ingest))
    assert not check.passed
    assert check.metadata["latest_import"].value == "never"
    assert check.metadata["age_hours"].value is None
    assert check.metadata["not_published_counts"].value == {"rejected": 1}
    assert check.description == (f"No file version has ever been published (limit {LIMIT_H} h)."
                                 " Drops not published (not counted as fresh): 1 rejected.")


def test_superseded_versions_were_published_withdrawn_ones_not(ingest, sql, db) -> None:
    write_clean_workbook(ingest.folder / "a.xlsx", [line(4)])
    ingest.run("a.xlsx")
    v1_at = finished(sql, "a.xlsx", "loaded", LIMIT_H + 30)
    write_clean_workbook(ingest.folder / "a.xlsx", [line(4), line(5)])  # new bytes, same name
    ingest.run("a.xlsx")
    v2_at = finished(sql, "a.xlsx", "loaded", LIMIT_H - 20)
    [(v1, v2)] = sql("SELECT min(import_id), max(import_id) FROM salesops.import_log")
    assert sql("SELECT import_id, status, superseded_by FROM salesops.import_log"
               " ORDER BY import_id") == [(v1, "superseded", v2), (v2, "loaded", None)]
    # A staged version outdated before it was published is superseded too, but published
    # nothing (publish._outdated: no superseded_by); newer than both, it must not count.
    sql("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, finished_at)"
        " VALUES ('a.xlsx', repeat('e', 64), 1, 'superseded', now() - interval '1 hour')")
    warehouse = WarehouseResource(database_url=db)
    with warehouse.connection() as conn, conn.cursor() as cur:
        latest = quality.latest_import(cur)
    assert (latest.import_id, latest.published_at) == (v2, v2_at)
    assert evaluation(check_freshness(ingest)).passed
    with warehouse.connection() as conn:
        withdraw.withdraw_file(conn, "a.xlsx")
    with warehouse.connection() as conn, conn.cursor() as cur:
        latest = quality.latest_import(cur)
        since = quality.unpublished_since(cur, latest.published_at)
    # v2 is withdrawn: the latest published version is v1, at the time it was published.
    assert (latest.import_id, latest.source_file, latest.published_at) == (v1, "a.xlsx", v1_at)
    assert since.counts == {"superseded": 1, "withdrawn": 1}
    assert [d["status"] for d in since.newest] == ["withdrawn", "superseded"]
    check = evaluation(check_freshness(ingest))
    assert not check.passed and check.metadata["latest_import_id"].value == v1
    assert LIMIT_H + 30 <= check.metadata["age_hours"].value < LIMIT_H + 30.1


@pytest.fixture
def alerting(monkeypatch):
    with webhook_receiver() as receiver:
        monkeypatch.setenv("SALESOPS_ALERT_WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("SALESOPS_ALERT_EMAIL_TO", "")
        monkeypatch.setenv("SALESOPS_DAGSTER_URL", UI)
        monkeypatch.setenv("SALESOPS_ALERT_RETRY_SECONDS", "0")
        yield receiver


def freshness_alerts(receiver) -> list[dict]:
    return [b for b in receiver.bodies if "import_freshness" in b["title"]]


def test_alerts_when_it_starts_failing_not_every_hour_and_again_after_recovery(
        ingest, sql, alerting) -> None:
    write_clean_workbook(ingest.folder / "s.xlsx", [line(4)])
    ingest.run("s.xlsx")  # its run's freshness evaluation passed: the check's last outcome
    cursor, _ = tick(ingest.instance, None)
    finished(sql, "s.xlsx", "loaded", LIMIT_H + 1)

    first = check_freshness(ingest)
    assert not evaluation(first).passed
    cursor, _ = tick(ingest.instance, cursor)
    [sent] = alerting.bodies  # exactly one alert for the failed evaluation
    assert sent["title"] == "WARN check import_freshness on fact_sales_line failed"
    assert sent["subject"] == "whole warehouse" and sent["link"] == f"{UI}/runs/{first.run_id}"
    assert sent["figures"]["latest_import_file"] == "s.xlsx"
    assert sent["figures"]["max_age_hours"] == str(LIMIT_H)
    assert sent["figures"]["not_published_since"] == "none"
    assert f"older than the limit of {LIMIT_H} h" in sent["detail"]
    cursor, logged = tick(ingest.instance, cursor)  # nothing new evaluated: nothing sent
    assert len(alerting.bodies) == 1 and not [m for m in logged if m.startswith("alert")]

    # A rejected drop: its own check alerts; freshness, evaluated in that run, still fails
    # (the drop published nothing) and is not alerted again.
    (ingest.folder / "late.xlsx").write_bytes(NOT_A_WORKBOOK)
    rejected = ingest.run("late.xlsx")
    assert not {e.check_name: e.passed for e in rejected.get_asset_check_evaluations()}[
        "import_freshness"]
    cursor, _ = tick(ingest.instance, cursor)
    assert len(freshness_alerts(alerting)) == 1
    assert [b["title"] for b in alerting.bodies[1:]] == [
        "ERROR check file_is_readable_workbook on raw_sales_rows failed"]

    second = check_freshness(ingest)  # an hour later, still failing: logged, not alerted
    assert not evaluation(second).passed
    cursor, logged = tick(ingest.instance, cursor)
    assert len(alerting.bodies) == 2
    assert [m for m in logged if "still failing" in m] == [
        f"import_freshness still failing (run {second.run_id}): alerted when it started "
        "failing, not again until it has passed"]

    finished(sql, "s.xlsx", "loaded", 1)  # recovered
    assert evaluation(check_freshness(ingest)).passed
    cursor, _ = tick(ingest.instance, cursor)
    assert len(alerting.bodies) == 2
    finished(sql, "s.xlsx", "loaded", LIMIT_H + 2)  # failing again: a new alert
    third = check_freshness(ingest)
    cursor, _ = tick(ingest.instance, cursor)
    assert [b["link"] for b in freshness_alerts(alerting)] == [
        f"{UI}/runs/{first.run_id}", f"{UI}/runs/{third.run_id}"]
    assert "not counted as fresh): 1 rejected" in freshness_alerts(alerting)[1]["detail"]


def test_repeats_within_one_tick_alert_once(ingest, sql, alerting) -> None:
    """The sensor behind by several hourly runs: only the first failure of the streak alerts."""
    cursor, _ = tick(ingest.instance, None)
    runs = [check_freshness(ingest) for _ in range(3)]  # nothing ever published: all fail
    assert not any(evaluation(r).passed for r in runs)
    tick(ingest.instance, cursor)
    assert [b["link"] for b in alerting.bodies] == [f"{UI}/runs/{runs[0].run_id}"]
