"""Weekly schedule: the right week, its reports and exports; nightly maintenance."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from dagster import RunRequest, build_schedule_context

from salesops_pipeline.definitions import defs
from salesops_pipeline.defs.alerts import subject_of
from salesops_pipeline.defs.schedules import WeeklyCron, weekly_cron
from salesops_pipeline.errors import ConfigError
from salesops_pipeline_tests.defs.test_reports import generate
from salesops_pipeline_tests.workbooks import write_clean_workbook


def weekly_request(tick: datetime) -> RunRequest:
    """What the production weekly schedule (SALESOPS_TIMEZONE=UTC here) requests at ``tick``."""
    schedule = defs.resolve_schedule_def("weekly_reports_schedule")
    [request] = schedule.evaluate_tick(
        build_schedule_context(scheduled_execution_time=tick)).run_requests
    return request


def run_weekly(ingest, tick: datetime):
    """Run the weekly job as the schedule's tick at ``tick`` launches it."""
    request = weekly_request(tick)
    return ingest.run_job("weekly_reports", request.run_config,
                          partition_key=request.partition_key)


@pytest.mark.parametrize(("tick", "week"), [
    (datetime(2026, 3, 9, 6, 0, tzinfo=UTC), date(2026, 3, 2)),     # Monday 06:00
    (datetime(2026, 3, 11, 6, 0, tzinfo=UTC), date(2026, 3, 2)),    # a late tick mid-week
    (datetime(2026, 3, 8, 23, 59, tzinfo=UTC), date(2026, 2, 23)),  # Sunday night: not over yet
    (datetime(2027, 1, 4, 6, 0, tzinfo=UTC), date(2026, 12, 28)),   # across the year boundary
])
def test_schedule_targets_the_previous_iso_week(tick: datetime, week: date) -> None:
    request = weekly_request(tick)
    assert request.partition_key == week.isoformat() and request.run_key == week.isoformat()
    assert request.run_config["ops"]["sales_reports"]["config"]["weeks"] == [week.isoformat()]
    assert request.run_config["loggers"] == {"console": {}}   # defs/logs.py RUN_CONFIG
    assert request.tags["salesops/week"] == week.isoformat()
    assert subject_of(request.tags) == f"week of {week.isoformat()}"   # alerts name the week


def test_schedule_runs_on_the_weekly_cron_in_the_timezone() -> None:
    schedule = defs.resolve_schedule_def("weekly_reports_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * 1", "UTC")
    assert schedule.job_name == "weekly_reports"


@pytest.mark.parametrize(("cron", "offsets"), [
    ("0 6 * * 1", (0, 6, 1)), ("30 23 * * 0", (30, 23, 0)), ("30 23 * * 7", (30, 23, 0)),
    ("15 5 * * MON", (15, 5, 1)), (" 0  6 * *  sun ", (0, 6, 0)),
])
def test_weekly_cron_becomes_the_schedule_offsets(cron: str, offsets: tuple) -> None:
    assert weekly_cron(cron) == WeeklyCron(*offsets)


@pytest.mark.parametrize("cron", ["0 6 * * *", "0 6 1 * 1", "0 6 * 3 1", "60 6 * * 1",
                                  "0 24 * * 1", "0 6 * * 8", "0 6 * * 1-5", "@weekly", ""])
def test_a_cron_that_is_not_weekly_is_refused_with_an_example(cron: str) -> None:
    with pytest.raises(ConfigError, match=r"SALESOPS_WEEKLY_CRON=.*'0 6 \* \* 1'"):
        weekly_cron(cron)


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_weekly_job_exports_match_independent_figures(ingest, tmp_path: Path) -> None:
    rows = generate(21, 300, date(2026, 3, 2), 14)   # weeks of Mar 2 and Mar 9
    write_clean_workbook(ingest.folder / "w.xlsx", rows)
    ingest.run("w.xlsx")
    result = run_weekly(ingest, datetime(2026, 3, 9, 6, 0, tzinfo=UTC))
    assert result.success
    folder = tmp_path / "exports" / "week-2026-03-02"
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        f"{n}_2026-03-02.{ext}" for n in ("weekly_summary", "seller_ranking", "top_products",
                                          "shipping_breakdown", "data_quality")
        for ext in ("csv", "xlsx")] + ["weekly_report_2026-03-02_to_2026-03-08.md",
                                      "weekly_report_2026-03-02_to_2026-03-08.xlsx"])
    week = [r for r in rows if r["sold_at"].date() < date(2026, 3, 9)]
    revenue = sum(r["total_price"] for r in week)
    summary = _csv(folder / "weekly_summary_2026-03-02.csv")
    assert summary == [{"week_start": "2026-03-02", "week_end": "2026-03-08",
                        "revenue": summary[0]["revenue"], "units": summary[0]["units"],
                        "line_count": str(len(week))}]
    assert Decimal(summary[0]["revenue"]) == revenue
    by_seller: dict[str, Decimal] = defaultdict(Decimal)
    for r in week:
        by_seller[r["seller"]] += r["total_price"]
    ranking = _csv(folder / "seller_ranking_2026-03-02.csv")
    assert {r["seller"]: Decimal(r["revenue"]) for r in ranking} == dict(by_seller)
    assert [r["seller"] for r in ranking] == sorted(by_seller, key=lambda s: -by_seller[s])
    # The XLSX holds the same rows as the CSV.
    sheet = openpyxl.load_workbook(folder / "seller_ranking_2026-03-02.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("rank", "seller", "revenue", "units", "line_count")
    assert [(v[1], Decimal(str(v[2]))) for v in values[1:]] == [
        (r["seller"], Decimal(r["revenue"])) for r in ranking]
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["reports_reconcile"] and checks["no_duplicate_source_rows"]
    [export] = result.asset_materializations_for_node("weekly_report_export")
    assert export.partition == "2026-03-02"


def test_nightly_maintenance_analyzes_and_prunes_old_runs(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "n.xlsx", generate(3, 5, date(2026, 3, 2), 3))
    old = ingest.run("n.xlsx")
    sql("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, started_at,"
        " error) VALUES ('x.xlsx', %s, 1, 'failed', now() - interval '3 days', 'boom')"
        " RETURNING import_id", ("d" * 64,))
    result = ingest.run_job("nightly_maintenance", {"ops": {
        "analyze_warehouse": {"config": {"stale_staging_hours": 24}},
        "prune_run_history": {"config": {"history_days": 0}}}})
    assert result.success
    assert ingest.instance.get_run_by_id(old.run_id) is None
    assert ingest.instance.get_run_by_id(result.run_id) is not None
    analyzed = sql("SELECT last_analyze FROM pg_stat_user_tables"
                   " WHERE relname = 'fact_sales_line'")
    assert analyzed[0][0] is not None
