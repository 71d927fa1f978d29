"""compare=previous|year on the weekly summary, seller ranking and top products: the compared
figures and changes equal sums computed here from the lines, with Decimal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from fastapi.testclient import TestClient

from salesops_pipeline_tests.api.builders import line, random_lines, write_reports

# 2026-W10..W11 (2026-03-02..15); the previous two weeks 2026-02-16..03-01; a year before the
# same ISO weeks 2025-W10..W11, 2025-03-03..16 (Monday to Sunday).
PERIOD = {"start_date": "2026-03-02", "end_date": "2026-03-15"}
NOW = (date(2026, 3, 2), date(2026, 3, 15))
PREVIOUS = (date(2026, 2, 16), date(2026, 3, 1))
YEAR = (date(2025, 3, 3), date(2025, 3, 16))
LINES = (random_lines(160, start=date(2026, 2, 9), days=42, seed=11)
         + random_lines(80, start=date(2025, 3, 1), days=20, seed=12)
         + [line(date(2026, 2, 20), "Gone", "Abacus", "99.99")])  # sold only before


def _sum(start: date, end: date, **match: str) -> tuple[Decimal, Decimal, int]:
    chosen = [x for x in LINES if start <= x.day <= end
              and all(getattr(x, k) == v for k, v in match.items())]
    return (sum((x.total_price for x in chosen), Decimal(0)),
            sum((x.units for x in chosen), Decimal(0)), len(chosen))


def _pct(now: Decimal, then: Decimal) -> Decimal | None:
    if then == 0:
        return None
    return ((now - then) / then * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _dec(text: object) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def test_weekly_summary_against_the_previous_weeks_and_a_year_before(viewer: TestClient,
                                                                    sql) -> None:
    write_reports(sql, LINES)
    for compare, (start, end) in (("previous", PREVIOUS), ("year", YEAR)):
        body = viewer.get("/reports/weekly-summary",
                          params={**PERIOD, "compare": compare}).json()
        c = body["comparison"]
        assert (c["compare"], c["start_date"], c["end_date"]) == \
            (compare, start.isoformat(), end.isoformat())
        revenue, units, n = _sum(*NOW)
        old_revenue, old_units, old_n = _sum(start, end)
        assert (Decimal(c["revenue"]), Decimal(c["compared_revenue"])) == (revenue, old_revenue)
        assert (Decimal(c["units"]), Decimal(c["compared_units"])) == (units, old_units)
        assert (c["line_count"], c["compared_line_count"]) == (n, old_n)
        assert Decimal(c["revenue_change"]) == revenue - old_revenue
        assert _dec(c["revenue_change_pct"]) == _pct(revenue, old_revenue)
        assert [r["week_start"] for r in body["data"]] == ["2026-03-02", "2026-03-09"]
        for i, row in enumerate(body["data"]):
            monday, earlier = NOW[0] + timedelta(weeks=i), start + timedelta(weeks=i)
            now_week = _sum(monday, monday + timedelta(days=6))
            then_week = _sum(earlier, earlier + timedelta(days=6))
            assert row["compared_week_start"] == earlier.isoformat()
            assert (Decimal(row["revenue"]), Decimal(row["compared_revenue"])) == \
                (now_week[0], then_week[0])
            assert row["compared_line_count"] == then_week[2]
            assert Decimal(row["revenue_change"]) == now_week[0] - then_week[0]
            assert _dec(row["revenue_change_pct"]) == _pct(now_week[0], then_week[0])


def test_sellers_with_their_change_and_the_one_who_stopped(viewer: TestClient, sql) -> None:
    write_reports(sql, LINES)
    body = viewer.get("/reports/seller-ranking",
                      params={**PERIOD, "compare": "previous"}).json()
    rows = {r["seller"]: r for r in body["data"]}
    assert body["data"][-1]["seller"] == "Gone" and body["data"][-1]["rank"] is None
    assert Decimal(rows["Gone"]["revenue_change"]) == Decimal("-99.99")
    assert rows["Gone"]["revenue_change_pct"] == "-100.00"
    for name, row in rows.items():
        revenue, _, n = _sum(*NOW, seller=name)
        old_revenue, old_units, old_n = _sum(*PREVIOUS, seller=name)
        assert (Decimal(row["revenue"]), row["line_count"]) == (revenue, n)
        assert (Decimal(row["compared_revenue"]), Decimal(row["compared_units"]),
                row["compared_line_count"]) == (old_revenue, old_units, old_n)
        assert Decimal(row["revenue_change"]) == revenue - old_revenue
        assert _dec(row["revenue_change_pct"]) == _pct(revenue, old_revenue)


def test_top_products_compare_the_same_products_a_year_before(viewer: TestClient, sql) -> None:
    write_reports(sql, LINES)
    body = viewer.get("/reports/top-products",
                      params={**PERIOD, "compare": "year", "limit": "3"}).json()
    assert len(body["data"]) == 3 and body["comparison"]["start_date"] == "2025-03-03"
    for row in body["data"]:
        old_revenue, old_units, _ = _sum(*YEAR, product=row["product"])
        assert (Decimal(row["compared_revenue"]), Decimal(row["compared_units"])) == \
            (old_revenue, old_units)
        assert Decimal(row["revenue_change"]) == _sum(*NOW, product=row["product"])[0] \
            - old_revenue


def test_compare_exports_and_bad_values(viewer: TestClient, sql) -> None:
    write_reports(sql, LINES)
    csv = viewer.get("/reports/seller-ranking",
                     params={**PERIOD, "compare": "year", "format": "csv"})
    assert csv.status_code == 200
    assert csv.text.splitlines()[0].lstrip("\ufeff").startswith(
        "rank,seller,revenue,units,line_count,compared_revenue")
    for bad in ("Previous", "month", ""):
        assert viewer.get("/reports/weekly-summary",
                          params={**PERIOD, "compare": bad}).status_code == 422


def test_a_week_that_sold_only_a_year_before_reads_zero(viewer: TestClient, sql) -> None:
    lines = [line(date(2026, 3, 3), "Ada", "Dock", "10.00"),     # 2026-W10
             line(date(2025, 3, 4), "Ada", "Dock", "30.00"),     # 2025-W10
             line(date(2025, 3, 11), "Ada", "Dock", "40.00")]    # 2025-W11: 2026-W11 sold nothing
    write_reports(sql, lines)
    body = viewer.get("/reports/weekly-summary",
                      params={"start_date": "2026-03-02", "end_date": "2026-03-29",
                              "compare": "year"}).json()
    assert [(r["week_start"], r["compared_week_start"], r["revenue"], r["compared_revenue"],
             r["revenue_change"], r["revenue_change_pct"]) for r in body["data"]] == [
        ("2026-03-02", "2025-03-03", "10.00", "30.00", "-20.00", "-66.67"),
        ("2026-03-09", "2025-03-10", "0.00", "40.00", "-40.00", "-100.00")]  # W12, W13: nothing


def test_no_period_before_the_first_day_is_a_422(viewer: TestClient) -> None:
    for compare in ("previous", "year"):
        response = viewer.get("/reports/seller-ranking", params={
            "start_date": "0001-01-01", "end_date": "0001-01-07", "compare": compare})
        assert response.status_code == 422, response.text
        assert "before 0001-01-01" in response.text
    assert viewer.get("/reports/weekly-summary", params={
        "start_date": "0001-01-01", "end_date": "9999-12-31"}).status_code == 200
