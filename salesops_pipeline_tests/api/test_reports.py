"""Each report's figures equal the ones computed in Python from the same lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.deps import Period, last_complete_week
from salesops_pipeline_tests.api import expected
from salesops_pipeline_tests.api.builders import (
    line,
    random_lines,
    write_quality,
    write_quality_sample,
    write_reports,
)

START = date(2026, 1, 1)  # a Thursday: the first week is cut by the period
LINES = random_lines(400, start=START, days=45)
PERIODS = [(START, START + timedelta(days=44)), (date(2026, 1, 7), date(2026, 1, 20)),
           (date(2026, 1, 10), date(2026, 1, 10)), (date(2025, 1, 1), date(2025, 12, 31))]


def _get(client: TestClient, path: str, start: date, end: date, **params) -> dict:
    r = client.get(path, params={"start_date": start.isoformat(), "end_date": end.isoformat(),
                                 **params})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(body["data"])
    assert (body["start_date"], body["end_date"]) == (start.isoformat(), end.isoformat())
    return body


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_every_report_matches_python(viewer: TestClient, sql, start: date, end: date) -> None:
    write_reports(sql, LINES)
    expected.assert_rows(_get(viewer, "/reports/weekly-summary", start, end)["data"],
                         expected.weekly(LINES, start, end))
    expected.assert_rows(_get(viewer, "/reports/seller-ranking", start, end)["data"],
                         expected.sellers(LINES, start, end))
    expected.assert_rows(_get(viewer, "/reports/top-products", start, end, limit=4)["data"],
                         expected.products(LINES, start, end, 4))
    expected.assert_rows(_get(viewer, "/reports/shipping-breakdown", start, end)["data"],
                         expected.shipping(LINES, start, end))


def test_weekly_summary_groups_days_into_iso_weeks(viewer: TestClient, sql) -> None:
    lines = [line(date(2026, 3, 1), "Ada", "Laptop", "10.10"),   # Sunday: week of Feb 23
             line(date(2026, 3, 2), "Ada", "Laptop", "0.20"),    # Monday: new week
             line(date(2026, 3, 8), "Bob", "Mouse", "0.30", units="3")]  # Sunday
    write_reports(sql, lines)
    data = _get(viewer, "/reports/weekly-summary", date(2026, 2, 1), date(2026, 3, 31))["data"]
    assert data == [
        {"week_start": "2026-02-23", "week_end": "2026-03-01", "revenue": "10.10",
         "units": "1", "line_count": 1},
        {"week_start": "2026-03-02", "week_end": "2026-03-08", "revenue": "0.50",
         "units": "4", "line_count": 2},
    ]


def test_ties_share_a_rank_and_are_ordered_by_name(viewer: TestClient, sql) -> None:
    day = date(2026, 3, 4)
    write_reports(sql, [line(day, "Zed", "B", "5.00"), line(day, "Amy", "A", "5.0"),
                        line(day, "Kim", "C", "7"), line(day, "Lou", "D", "1")])
    sellers = _get(viewer, "/reports/seller-ranking", day, day)["data"]
    assert [(s["rank"], s["seller"]) for s in sellers] == [(1, "Kim"), (2, "Amy"), (2, "Zed"),
                                                           (4, "Lou")]
    products = _get(viewer, "/reports/top-products", day, day, limit=2)["data"]
    assert [(p["rank"], p["product"]) for p in products] == [(1, "C"), (2, "A")]


def test_shipping_share_rounds_and_groups_unknown(viewer: TestClient, sql) -> None:
    day = date(2026, 3, 4)
    write_reports(sql, [line(day, "A", "P", "1", shipping="DHL"),
                        line(day, "A", "P", "1", shipping=None),
                        line(day, "A", "P", "1", shipping="UPS")])
    data = _get(viewer, "/reports/shipping-breakdown", day, day)["data"]
    assert [(r["shipping_company"], r["revenue_share"]) for r in data] == [
        ("DHL", "0.333333"), ("UNKNOWN", "0.333333"), ("UPS", "0.333333")]


def test_shipping_share_is_zero_when_revenue_sums_to_zero(viewer: TestClient, sql) -> None:
    day = date(2026, 3, 4)
    write_reports(sql, [line(day, "A", "P", "3", shipping="DHL"),
                        line(day, "A", "P", "-3", shipping="UPS")])
    data = _get(viewer, "/reports/shipping-breakdown", day, day)["data"]
    assert {r["revenue_share"] for r in data} == {"0.000000"}


def test_empty_period_gives_empty_reports(viewer: TestClient) -> None:
    for path in ("weekly-summary", "seller-ranking", "top-products", "shipping-breakdown"):
        body = _get(viewer, f"/reports/{path}", date(2026, 1, 1), date(2026, 12, 31))
        assert body == {"start_date": "2026-01-01", "end_date": "2026-12-31", "data": [],
                        "count": 0}


def test_default_period_is_the_last_complete_week(viewer: TestClient, sql) -> None:
    week = last_complete_week(datetime.now(UTC).date())
    write_reports(sql, [line(week.start, "A", "P", "2"), line(week.end, "A", "P", "3"),
                        line(week.end + timedelta(days=1), "A", "P", "100")])
    body = viewer.get("/reports/weekly-summary").json()
    assert (body["start_date"], body["end_date"]) == (week.start.isoformat(),
                                                      week.end.isoformat())
    assert [row["revenue"] for row in body["data"]] == ["5.00"]


@pytest.mark.parametrize("today", [date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 8)])
def test_last_complete_week(today: date) -> None:
    assert last_complete_week(today) == Period(date(2026, 2, 23), date(2026, 3, 1))


def _quality(sql) -> None:
    write_quality(sql, date(2026, 3, 2), tolerance="0.01", mismatched_total_count=2,
                  rejected_row_count=1)
    write_quality(sql, date(2026, 3, 3), tolerance="0.05", nonpositive_units_count=3,
                  negative_amount_count=4, missing_shipping_company_count=5)
    write_quality(sql, date(2026, 3, 9), tolerance="0.02", mismatched_total_count=100)
    write_quality_sample(sql, date(2026, 3, 3), "nonpositive_units", 7, {"units": "0"})
    write_quality_sample(sql, date(2026, 3, 2), "mismatched_total", 5, {"total": "9.99"})


def test_data_quality_sums_counts_and_shows_samples_to_admin(admin: TestClient, sql) -> None:
    _quality(sql)
    body = admin.get("/reports/data-quality",
                     params={"start_date": "2026-03-01", "end_date": "2026-03-08"}).json()
    assert body["status"] == "warn"
    assert body["counts"] == {"mismatched_total_count": 2, "nonpositive_units_count": 3,
                              "negative_amount_count": 4, "missing_shipping_company_count": 5,
                              "rejected_row_count": 1}
    assert body["tolerance"] == "0.05"  # the latest day's
    assert [(s["day"], s["rule"], s["source_row_number"], s["row_values"])
            for s in body["samples"]] == [
        ("2026-03-02", "mismatched_total", 5, {"total": "9.99"}),
        ("2026-03-03", "nonpositive_units", 7, {"units": "0"})]


def test_data_quality_hides_samples_from_viewers(viewer: TestClient, sql) -> None:
    _quality(sql)
    body = viewer.get("/reports/data-quality",
                      params={"start_date": "2026-03-01", "end_date": "2026-03-31"}).json()
    assert body["samples"] is None
    assert body["counts"]["mismatched_total_count"] == 102


def test_data_quality_is_ok_without_findings(viewer: TestClient, sql) -> None:
    write_quality(sql, date(2026, 3, 2), tolerance="0.03")
    body = viewer.get("/reports/data-quality",
                      params={"start_date": "2026-03-01", "end_date": "2026-03-31"}).json()
    assert body["status"] == "ok"
    assert set(body["counts"].values()) == {0}
    assert body["tolerance"] == "0.03"
    empty = viewer.get("/reports/data-quality",
                       params={"start_date": "2020-01-01", "end_date": "2020-01-31"}).json()
    assert (empty["status"], empty["tolerance"]) == ("ok", "0.01")  # settings' default
