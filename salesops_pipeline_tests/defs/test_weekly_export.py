"""The weekly export as a week-partitioned asset, against PostgreSQL; its schedule in a
timezone other than UTC.

Expected figures are Decimal sums over the generated rows. The schedule is evaluated in a fresh
interpreter whose environment sets SALESOPS_TIMEZONE and SALESOPS_WEEKLY_CRON, so it is the
production schedule that answers, built from those settings as at start-up.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import AssetKey, TableMetadataValue, materialize

from salesops_pipeline.defs.exports import FIRST_WEEK, export_weeks, weekly_report_export
from salesops_pipeline.settings import PROJECT_ROOT
from salesops_pipeline_tests.defs.test_reports import generate
from salesops_pipeline_tests.workbooks import write_clean_workbook

FIRST = date(2026, 2, 23)   # three weeks of sales: Feb 23, Mar 2, Mar 9
KEY = AssetKey("weekly_report_export")
REPORTS = ("weekly_summary", "seller_ranking", "top_products", "shipping_breakdown",
           "data_quality")


def _load(ingest) -> list[dict]:
    rows = generate(41, 500, FIRST, 21)
    write_clean_workbook(ingest.folder / "w.xlsx", rows)
    ingest.run("w.xlsx")
    assert ingest.refresh().success
    return rows


def _export(ingest, week: str):
    return materialize([weekly_report_export], partition_key=week, instance=ingest.instance,
                       resources=ingest.resources())


def _week(rows: list[dict], monday: date) -> list[dict]:
    return [r for r in rows if monday <= r["sold_at"].date() < monday + timedelta(days=7)]


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _assert_files_hold(folder: Path, monday: date, lines: list[dict]) -> None:
    """The week's CSVs carry the week's figures, computed here from the generated rows."""
    stamp = monday.isoformat()
    [summary] = _csv(folder / f"weekly_summary_{stamp}.csv")
    assert summary["week_start"] == stamp
    assert summary["week_end"] == (monday + timedelta(days=6)).isoformat()
    assert Decimal(summary["revenue"]) == sum((r["total_price"] for r in lines), Decimal(0))
    assert Decimal(summary["units"]) == sum(Decimal(r["units"]) for r in lines)
    assert int(summary["line_count"]) == len(lines)
    by_seller: dict[str, Decimal] = defaultdict(Decimal)
    for r in lines:
        by_seller[r["seller"]] += r["total_price"]
    ranking = _csv(folder / f"seller_ranking_{stamp}.csv")
    assert {r["seller"]: Decimal(r["revenue"]) for r in ranking} == dict(by_seller)


def test_materializing_a_week_writes_its_files_and_metadata(ingest, tmp_path: Path) -> None:
    rows = _load(ingest)
    monday = date(2026, 3, 2)
    result = _export(ingest, "2026-03-02")
    assert result.success
    folder = tmp_path / "exports" / "week-2026-03-02"
    lines = _week(rows, monday)
    assert lines and len(lines) < len(rows)   # the week is a strict part of the data
    _assert_files_hold(folder, monday, lines)
    [mat] = result.asset_materializations_for_node("weekly_report_export")
    assert mat.partition == "2026-03-02"
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert (meta["week"], meta["week_start"], meta["week_end"]) == (
        "2026-W10", "2026-03-02", "2026-03-08")
    revenue = sum((r["total_price"] for r in lines), Decimal(0))
    assert Decimal(meta["revenue_exact"]) == revenue
    assert isinstance(meta["revenue"], float) and meta["revenue"] == pytest.approx(float(revenue))
    assert meta["line_count"] == len(lines)
    assert Decimal(meta["units"]) == sum(Decimal(r["units"]) for r in lines)
    files = mat.metadata["files"]
    assert isinstance(files, TableMetadataValue)
    written = {r.data["file"]: r.data["bytes"] for r in files.records}
    on_disk = {p.name: p.stat().st_size for p in folder.iterdir()}
    assert written == on_disk and len(on_disk) == 12   # 5 reports × csv/xlsx, workbook, summary
    assert meta["files_written"] == 12 and meta["bytes_written"] == sum(on_disk.values())
    assert meta["row_counts"]["weekly_summary"] == 1
    assert meta["row_counts"]["seller_ranking"] == len({r["seller"] for r in lines})


def test_an_older_week_is_backfilled_and_both_weeks_show_as_exported(
        ingest, tmp_path: Path) -> None:
    rows = _load(ingest)
    assert _export(ingest, "2026-03-09").success
    assert _export(ingest, "2026-02-23").success   # the missed week, later
    for monday in (date(2026, 3, 9), date(2026, 2, 23)):
        _assert_files_hold(tmp_path / "exports" / f"week-{monday.isoformat()}", monday,
                           _week(rows, monday))
    assert ingest.instance.get_materialized_partitions(KEY) == {"2026-02-23", "2026-03-09"}
    assert not (tmp_path / "exports" / "week-2026-03-02").exists()


def test_weekly_job_backfills_a_week_with_its_reports_refreshed(ingest, tmp_path: Path) -> None:
    """The job (what the schedule and a job backfill launch) refreshes the week's reports too."""
    rows = _load(ingest)
    result = ingest.run_job("weekly_reports", partition_key="2026-02-23")
    assert result.success
    assert result.dagster_run.tags["salesops/week"] == "2026-02-23"
    _assert_files_hold(tmp_path / "exports" / "week-2026-02-23", date(2026, 2, 23),
                       _week(rows, date(2026, 2, 23)))
    reports = result.asset_materializations_for_node("sales_reports")
    assert len(reports) == 5
    assert all(m.metadata["weeks_refreshed"].value == ["2026-02-23"] for m in reports)
    scopes = {e.check_name: e.metadata["scope"].value for e in result.get_asset_check_evaluations()
              if "scope" in e.metadata}
    assert scopes and set(scopes.values()) == {"whole warehouse"}, scopes


def test_partitions_are_iso_weeks_from_the_first_week() -> None:
    assert FIRST_WEEK == date(2019, 12, 30) and FIRST_WEEK.isocalendar()[:2] == (2020, 1)
    keys = export_weeks.get_partition_keys()
    assert keys[0] == "2019-12-30"
    assert all(date.fromisoformat(k).weekday() == 0 for k in keys)
    assert [date.fromisoformat(b) - date.fromisoformat(a)
            for a, b in zip(keys, keys[1:], strict=False)] == [timedelta(days=7)] * (len(keys) - 1)
    window = export_weeks.time_window_for_partition_key("2026-03-02")
    assert (window.start.isoformat(), window.end.isoformat()) == (
        "2026-03-02T00:00:00+00:00", "2026-03-09T00:00:00+00:00")


# -- the schedule in SALESOPS_TIMEZONE ----------------------------------------------------------
EVALUATE = """
import json, sys
from datetime import datetime
from dagster import build_schedule_context
from salesops_pipeline.definitions import defs
schedule = defs.resolve_schedule_def("weekly_reports_schedule")
out = {"cron": schedule.cron_schedule, "timezone": schedule.execution_timezone, "ticks": {}}
for tick in sys.argv[1:]:
    [request] = schedule.evaluate_tick(build_schedule_context(
        scheduled_execution_time=datetime.fromisoformat(tick))).run_requests
    out["ticks"][tick] = {"partition_key": request.partition_key, "run_key": request.run_key,
                          "tags": dict(request.tags), "run_config": request.run_config}
print(json.dumps(out))
"""


def _schedule_in(timezone: str, cron: str, ticks: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "SALESOPS_"))}
    env.update(SALESOPS_TIMEZONE=timezone, SALESOPS_WEEKLY_CRON=cron)
    done = subprocess.run([sys.executable, "-c", EVALUATE, *ticks], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_schedule_requests_the_week_just_ended_in_new_york() -> None:
    ticks = {
        "2026-03-16T06:00:00-04:00": "2026-03-09",   # Monday 06:00 local (EDT since Mar 8)
        "2026-03-18T06:00:00-04:00": "2026-03-09",   # a late tick, Wednesday
        # Sunday 23:30 local is Monday 03:30 UTC: in New York the week is not over yet.
        "2026-03-15T23:30:00-04:00": "2026-03-02",
        "2026-03-09T06:00:00-04:00": "2026-03-02",   # the Monday after the DST change
        "2027-01-04T06:00:00-05:00": "2026-12-28",   # across New Year: ISO week 2026-W53
    }
    got = _schedule_in("America/New_York", "0 6 * * 1", list(ticks))
    assert (got["cron"], got["timezone"]) == ("0 6 * * 1", "America/New_York")
    for tick, week in ticks.items():
        request = got["ticks"][tick]
        assert request["partition_key"] == week, tick
        assert request["run_key"] == week
        assert request["tags"]["salesops/week"] == week
        assert request["tags"]["dagster/partition"] == week
        assert request["run_config"]["ops"]["sales_reports"]["config"]["weeks"] == [week]
        assert request["run_config"]["loggers"] == {"console": {}}


def test_schedule_at_sunday_night_and_monday_midnight_in_berlin() -> None:
    ticks = {
        "2026-03-15T23:30:00+01:00": "2026-03-02",   # Sunday 23:30 local: this week still runs
        # Monday 00:30 local is still Sunday (23:30) in UTC: the Berlin week has ended.
        "2026-03-16T00:30:00+01:00": "2026-03-09",
        "2026-03-29T23:30:00+02:00": "2026-03-16",   # Sunday 23:30 CEST, the DST-change day
    }
    got = _schedule_in("Europe/Berlin", "30 23 * * 0", list(ticks))
    assert (got["cron"], got["timezone"]) == ("30 23 * * 0", "Europe/Berlin")
    assert {t: r["partition_key"] for t, r in got["ticks"].items()} == ticks


def test_an_unknown_timezone_stops_the_code_location_with_the_setting_named() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "SALESOPS_"))}
    env["SALESOPS_TIMEZONE"] = "Europe/Atlantis"
    done = subprocess.run([sys.executable, "-c", "import salesops_pipeline.definitions"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SALESOPS_TIMEZONE='Europe/Atlantis' is not a known IANA timezone" in done.stderr
