"""`/reports/restatements` and `as_of` on the report endpoints, over figures written by the real
publish and refresh code; expected values summed from the sales with Decimal."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.report.restatements import mark_sent
from salesops_pipeline_tests.core.report.restate_support import (
    NEW_A,
    OLD_A,
    W1,
    B,
    by_name,
    db_now,
    expected_figures,
    publish_file,
    refresh_now,
    week_totals,
)

PERIOD = {"start_date": "2026-11-01", "end_date": "2026-11-30"}
WEEK_1 = {"start_date": "2026-11-02", "end_date": "2026-11-08"}


@pytest.fixture
def corrected(api_db: str) -> dict:
    """Week 1 published and e-mailed, then its file replaced by a corrected export."""
    old = publish_file(api_db, "a.csv", OLD_A)
    publish_file(api_db, "b.csv", B)
    refresh_now(api_db)
    with connect(api_db) as conn, conn.cursor() as cur:
        mark_sent(cur, week=W1, channel="email", run_id="weekly")
    before = db_now(api_db)
    new = publish_file(api_db, "a.csv", NEW_A)
    refresh_now(api_db)
    return {"old": old, "new": new, "before": before, "after": db_now(api_db)}


def _dec(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def test_restatements_json_gives_the_exact_differences(viewer: TestClient, corrected) -> None:
    r = viewer.get("/reports/restatements", params=PERIOD)
    assert r.status_code == 200, r.text
    (item,) = r.json()["data"]
    b, a = week_totals(OLD_A, W1), week_totals(NEW_A, W1)
    assert (item["week_start"], item["week_end"], item["iso_week"], item["reported"]) == (
        "2026-11-02", "2026-11-08", "2026-W45", True)
    assert [_dec(item[k]) for k in ("revenue_before", "revenue_after", "revenue_change",
                                    "units_before", "units_after", "units_change")] == [
        b[0], a[0], a[0] - b[0], b[1], a[1], a[1] - b[1]]
    assert (item["lines_before"], item["lines_after"], item["lines_change"]) == (
        b[2], a[2], a[2] - b[2])
    got = {(c["dimension"], c["name"]): (
        _dec(c["revenue_before"]), _dec(c["units_before"]), c["lines_before"],
        _dec(c["revenue_after"]), _dec(c["units_after"]), c["lines_after"])
        for c in item["changes"]}
    assert got == expected_figures(OLD_A, NEW_A, W1)
    assert [(f["import_id"], f["source_file"], f["action"], f["replaced_import"])
            for f in item["files"]] == [(corrected["new"], "a.csv", "replaced", corrected["old"])]
    assert viewer.get("/reports/restatements",
                      params={"start_date": "2026-11-09", "end_date": "2026-11-30"}
                      ).json()["data"] == []


def test_restatements_csv_has_a_row_per_changed_figure(viewer: TestClient, corrected) -> None:
    r = viewer.get("/reports/restatements", params={**PERIOD, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    expected = expected_figures(OLD_A, NEW_A, W1)
    assert [(x["dimension"], x["name"]) for x in rows] == [("total", ""), *sorted(expected)]
    total = rows[0]
    b, a = week_totals(OLD_A, W1), week_totals(NEW_A, W1)
    assert (_dec(total["revenue_before"]), _dec(total["revenue_change"])) == (b[0], a[0] - b[0])
    assert total["files"] == f"a.csv (import {corrected['new']}, replaced import " \
                            f"{corrected['old']})"
    for x in rows[1:]:
        want = expected[(x["dimension"], x["name"])]
        assert (_dec(x["revenue_before"]), _dec(x["revenue_after"])) == (want[0], want[3])
    assert viewer.get("/reports/restatements", params={**PERIOD, "format": "xlsx"}
                      ).status_code == 200


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_as_of_answers_with_the_figures_of_that_moment(viewer: TestClient, corrected) -> None:
    def sellers(**params) -> dict:
        body = viewer.get("/reports/seller-ranking", params={**WEEK_1, **params}).json()
        return {r["seller"]: (Decimal(r["revenue"]), Decimal(r["units"]), r["line_count"])
                for r in body["data"]}

    def week(**params) -> tuple:
        (row,) = viewer.get("/reports/weekly-summary", params={**WEEK_1, **params}).json()["data"]
        return Decimal(row["revenue"]), Decimal(row["units"]), row["line_count"]

    assert week(as_of=_at(corrected["before"])) == week_totals(OLD_A, W1)
    assert week(as_of=_at(corrected["after"])) == week() == week_totals(NEW_A, W1)
    assert sellers(as_of=_at(corrected["before"])) == by_name(OLD_A, W1, "seller")
    assert sellers() == by_name(NEW_A, W1, "seller")
    shipping = viewer.get("/reports/shipping-breakdown",
                          params={**WEEK_1, "as_of": _at(corrected["before"])}).json()["data"]
    assert {r["shipping_company"]: Decimal(r["revenue"]) for r in shipping} == {
        n: v[0] for n, v in by_name(OLD_A, W1, "shipping_company").items()}
    products = viewer.get("/reports/top-products",
                          params={**WEEK_1, "as_of": _at(corrected["before"])}).json()["data"]
    assert {r["product"]: Decimal(r["revenue"]) for r in products} == {
        n: v[0] for n, v in by_name(OLD_A, W1, "product").items()}
    quality = viewer.get("/reports/data-quality",
                         params={**WEEK_1, "as_of": _at(corrected["before"])})
    assert quality.status_code == 200, quality.text
    # Before anything was published the week was empty.
    empty = viewer.get("/reports/weekly-summary",
                       params={**WEEK_1, "as_of": "2020-01-01T00:00:00Z"}).json()["data"]
    assert empty == []


@pytest.mark.parametrize("bad", ["2026-11-09", "2026-11-09T08:00:00", "yesterday",
                                 "2026-13-09T08:00:00Z"])
def test_as_of_needs_a_moment_with_its_offset(viewer: TestClient, api_db, bad: str) -> None:
    r = viewer.get("/reports/weekly-summary", params={**WEEK_1, "as_of": bad})
    assert r.status_code == 422, r.text


def test_as_of_and_tolerance_together_are_refused(viewer: TestClient, api_db) -> None:
    r = viewer.get("/reports/data-quality",
                   params={**WEEK_1, "as_of": "2026-11-09T08:00:00Z", "tolerance": "0.05"})
    assert r.status_code == 422 and "not both" in r.text


@pytest.mark.parametrize("path", ["weekly-summary", "seller-ranking", "top-products"])
def test_as_of_and_compare_together_are_refused(viewer: TestClient, api_db, path: str) -> None:
    r = viewer.get(f"/reports/{path}", params={**WEEK_1, "as_of": "2026-11-09T08:00:00Z",
                                               "compare": "previous"})
    assert r.status_code == 422 and "give as_of or compare, not both" in r.text


def test_an_admins_data_quality_as_of_has_its_samples(admin: TestClient, corrected) -> None:
    """The samples' query names its table (``… AS s``): as_of keeps that alias."""
    r = admin.get("/reports/data-quality", params={**WEEK_1, "as_of": _at(corrected["after"])})
    assert r.status_code == 200, r.text
    assert r.json()["samples"] == admin.get("/reports/data-quality",
                                            params=WEEK_1).json()["samples"]
