"""/reports/data-quality?tolerance= (alias tol): the price-mismatch count at a tolerance of the
caller's choosing, read from the period's lines; every other figure still from the report
tables. Expected counts are computed here with Decimal from the lines themselves."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline_tests.api.builders import (
    Line,
    write_facts,
    write_quality,
    write_quality_sample,
)

DAY = date(2026, 3, 2)
PERIOD = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
REPORTED = {"mismatched_total_count": 100, "nonpositive_units_count": 3,
            "negative_amount_count": 4, "missing_shipping_company_count": 5,
            "rejected_row_count": 1}


def _line(day: date, row: int, price: str, units: str, total: str) -> Line:
    return Line(datetime.combine(day, datetime.min.time()) + timedelta(hours=row % 24), "Ada",
                "Laptop", "DHL", Decimal(price), Decimal(units), Decimal(total), "q.xlsx", row)


# |total − round(price × units, 2)|: 0, 0 (0.999999 rounds to 1.00), 0.01 (0.125 rounds half
# away from zero to 0.13), 0.04, 0.05, 0.06, 4.99, 5.00, 5.01, and −0.50.
LINES = [_line(DAY, 2, "10.00", "1", "10.00"), _line(DAY, 3, "0.333333", "3", "1.00"),
         _line(DAY, 4, "0.125", "1", "0.12"), _line(DAY + timedelta(1), 5, "2.50", "2", "5.04"),
         _line(DAY + timedelta(1), 6, "7", "1", "7.05"), _line(DAY, 7, "1", "3", "3.06"),
         _line(DAY + timedelta(2), 8, "1", "1", "5.99"), _line(DAY, 9, "20", "0.5", "15.00"),
         _line(DAY + timedelta(6), 10, "1", "1", "6.01"), _line(DAY, 11, "9", "2", "17.50"),
         _line(DAY + timedelta(7), 12, "1", "1", "99")]  # the next Monday: outside the period


def _expected(tolerance: Decimal) -> list[Line]:
    """The period's lines breaking the rule at ``tolerance``, in Python."""
    end = date.fromisoformat(PERIOD["end_date"])
    return [x for x in LINES if DAY <= x.day <= end and abs(
        x.total_price - (x.unit_price * x.units).quantize(Decimal("0.01"), ROUND_HALF_UP)
    ) > tolerance]


@pytest.fixture
def data(sql) -> None:
    write_facts(sql, LINES)
    write_quality(sql, DAY, tolerance="0.01", **REPORTED)
    write_quality_sample(sql, DAY, "nonpositive_units", 40, {"units": "0"})
    write_quality_sample(sql, DAY, "mismatched_total", 41, {"total": "from the refresh"})


def _quality(client: TestClient, **params: str) -> dict:
    r = client.get("/reports/data-quality", params={**PERIOD, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_expected_counts_differ_per_tolerance() -> None:
    """The data is a real test: each tolerance below gives a different count."""
    assert [len(_expected(Decimal(t))) for t in ("0", "0.05", "5")] == [8, 5, 1]


@pytest.mark.parametrize(("given", "applied"), [("0", "0.00"), ("0.05", "0.05"), ("5", "5.00"),
                                                ("0.5", "0.50"), ("4.99", "4.99")])
def test_mismatch_count_is_computed_for_the_given_tolerance(
        viewer: TestClient, data, given: str, applied: str) -> None:
    body = _quality(viewer, tolerance=given)
    assert body["tolerance"] == applied and Decimal(body["tolerance"]) == Decimal(given)
    assert body["counts"] == {**REPORTED,
                              "mismatched_total_count": len(_expected(Decimal(given)))}
    assert body["status"] == "warn"


def test_tol_is_an_alias(viewer: TestClient, data) -> None:
    assert _quality(viewer, tol="0.05") == _quality(viewer, tolerance="0.05")
    assert _quality(viewer, tol="0.05")["counts"]["mismatched_total_count"] == \
        len(_expected(Decimal("0.05")))


def test_without_tolerance_the_report_tables_answer(viewer: TestClient, data) -> None:
    body = _quality(viewer)
    assert (body["counts"], body["tolerance"]) == (REPORTED, "0.01")


def test_samples_follow_the_tolerance(admin: TestClient, data) -> None:
    body = _quality(admin, tolerance="5")
    rows = [(s["rule"], s["source_row_number"]) for s in body["samples"]]
    assert rows == [("nonpositive_units", 40), ("mismatched_total", 10)]  # by day, then rule
    sample = body["samples"][1]
    assert (sample["day"], sample["source_file"], sample["source_sheet"]) == \
        ("2026-03-08", "q.xlsx", None)
    assert Decimal(str(sample["row_values"]["total_price"])) == Decimal("6.01")  # a JSON number
    zero = _quality(admin, tolerance="0")["samples"]
    assert sorted(s["source_row_number"] for s in zero if s["rule"] == "mismatched_total") == \
        sorted(x.source_row_number for x in _expected(Decimal(0)))
    default = _quality(admin)["samples"]
    assert [(s["rule"], s["source_row_number"]) for s in default] == \
        [("mismatched_total", 41), ("nonpositive_units", 40)]


def test_csv_export_says_the_tolerance_used(viewer: TestClient, data) -> None:
    for params, tolerance, count in (({"tolerance": "0.05"}, "0.05", 5),
                                     ({"tol": "0"}, "0.00", 8), ({}, "0.01", 100)):
        r = viewer.get("/reports/data-quality", params={**PERIOD, **params, "format": "csv"})
        assert r.status_code == 200, r.text
        [row] = list(csv.DictReader(io.StringIO(r.content.decode())))
        assert (row["tolerance"], row["mismatched_total_count"]) == (tolerance, str(count))
        assert row["rejected_row_count"] == "1"


@pytest.mark.parametrize("params", [
    {"tolerance": "0.05", "tol": "0.05"}, {"tolerance": "0.055"}, {"tolerance": "0.050"},
    {"tolerance": "5.01"}, {"tolerance": "6"}, {"tolerance": "-0.01"}, {"tol": "+0.05"},
    {"tolerance": "1e-2"}, {"tolerance": "NaN"}, {"tolerance": "Infinity"}, {"tol": ""},
    {"tolerance": "abc"}, {"tolerance": ".5"}, {"tolerance": "05"}, {"tolerances": "0.05"}])
def test_bad_tolerance_is_422(viewer: TestClient, data, params: dict[str, str]) -> None:
    r = viewer.get("/reports/data-quality", params={**PERIOD, **params})
    assert r.status_code == 422, r.text


def test_repeated_tolerance_is_422(viewer: TestClient, data) -> None:
    r = viewer.get("/reports/data-quality?tolerance=0&tolerance=5&start_date=2026-03-02"
                   "&end_date=2026-03-08")
    assert r.status_code == 422, r.text


def test_revalidation_never_answers_for_another_tolerance(viewer: TestClient, data,
                                                          sql) -> None:
    """The default answer carries an ETag and revalidates to 304; a tolerance's answer is read
    from the fact lines, so it has no ETag and is never a 304, whatever the client sends."""
    first = viewer.get("/reports/data-quality", params=PERIOD)
    assert first.json()["counts"]["mismatched_total_count"] == 100
    tag = first.headers["etag"]
    again = viewer.get("/reports/data-quality", params=PERIOD, headers={"If-None-Match": tag})
    assert (again.status_code, again.content) == (304, b"")
    for given, count in (("0", 8), ("0.00", 8), ("5", 1), ("0.05", 5)):
        for name in ("tolerance", "tol"):
            r = viewer.get("/reports/data-quality", params={**PERIOD, name: given},
                           headers={"If-None-Match": tag})
            assert r.status_code == 200 and "etag" not in r.headers, (name, given)
            assert r.json()["counts"]["mismatched_total_count"] == count == len(
                _expected(Decimal(given))), (name, given)
    # A line changed to break the rule at 5 is seen at once (no refresh needed for this count).
    sql("UPDATE salesops.fact_sales_line SET total_price = 17 WHERE source_row_number = 2")
    r = viewer.get("/reports/data-quality", params={**PERIOD, "tolerance": "5"})
    assert r.json()["counts"]["mismatched_total_count"] == 2
