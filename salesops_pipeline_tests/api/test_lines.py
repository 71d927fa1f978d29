"""/reports/lines: the audit trail; its lines add up to the report figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from salesops_pipeline_tests.api import expected
from salesops_pipeline_tests.api.builders import random_lines, write_facts, write_reports

LINES = random_lines(300, start=date(2026, 2, 2), days=28, seed=3)
PERIOD = {"start_date": "2026-02-09", "end_date": "2026-02-15"}
START, END = date(2026, 2, 9), date(2026, 2, 15)


def _all(admin: TestClient, **params) -> list[dict]:
    rows, offset = [], 0
    while offset is not None:
        page = admin.get("/reports/lines", params={**PERIOD, **params, "limit": 40,
                                                   "offset": offset}).json()
        assert page["count"] == len(page["data"]) <= 40
        rows += page["data"]
        offset = page["next_offset"]
    return rows


def test_lines_are_the_period_with_their_source(admin: TestClient, sql) -> None:
    imports = write_facts(sql, LINES)
    rows = _all(admin)
    want = sorted((x for x in LINES if START <= x.day <= END), key=lambda x: x.sold_at)
    assert len(rows) == len(want) > 40
    assert [r["sold_at"] for r in rows] == sorted(r["sold_at"] for r in rows)
    by_source = {(x.source_file, x.source_row_number): x for x in want}
    for r in rows:
        x = by_source[r["source_file"], r["source_row_number"]]
        assert r["import_id"] == imports[x.source_file]
        assert (r["seller"], r["product"], r["shipping_company"]) == \
            (x.seller, x.product, x.shipping_company)
        assert expected.figure_ok("unit_price", r["unit_price"], x.unit_price)
        assert expected.figure_ok("total_price", r["total_price"], x.total_price)
        assert expected.figure_ok("units", r["units"], x.units)
        assert len(r["import_sha256"]) == 64


def test_lines_add_up_to_the_seller_ranking(admin: TestClient, sql) -> None:
    write_facts(sql, LINES)
    write_reports(sql, LINES)
    ranking = admin.get("/reports/seller-ranking", params=PERIOD).json()["data"]
    expected.assert_rows(ranking, expected.sellers(LINES, START, END))
    for row in ranking:
        lines = _all(admin, seller=row["seller"])
        assert len(lines) == row["line_count"]
        assert sum(Decimal(x["total_price"]) for x in lines) == Decimal(row["revenue"])


def test_unknown_shipping_company_matches_lines_without_one(admin: TestClient, sql) -> None:
    write_facts(sql, LINES)
    unknown = _all(admin, shipping_company="UNKNOWN")
    assert unknown and {r["shipping_company"] for r in unknown} == {None}
    assert len(unknown) == sum(1 for x in LINES
                               if START <= x.day <= END and x.shipping_company is None)
    dhl = _all(admin, shipping_company="DHL", product="Mouse")
    assert {(r["shipping_company"], r["product"]) for r in dhl} == {("DHL", "Mouse")}


def test_unknown_names_give_no_lines(admin: TestClient, sql) -> None:
    write_facts(sql, LINES)
    for params in ({"seller": "Nobody"}, {"product": "'; DROP TABLE x; --"}):
        body = admin.get("/reports/lines", params={**PERIOD, **params}).json()
        assert (body["data"], body["next_offset"]) == ([], None)


def test_a_name_asked_in_another_spelling_finds_its_lines(admin: TestClient, sql) -> None:
    """Names are stored in one spelling (NFC, trimmed): asked as a Mac pastes it (NFD) or with
    a no-break space around it, the same lines come back; another case is another name."""
    write_facts(sql, LINES)
    stored = _all(admin, seller="\u00c9lodie")
    assert stored and {r["seller"] for r in stored} == {"\u00c9lodie"}
    for asked in ("E\u0301lodie", "\u00a0\u00c9lodie\u202f", " E\u0301lodie\t"):
        assert _all(admin, seller=asked) == stored, repr(asked)
    assert _all(admin, seller="\u00e9lodie") == []
    assert _all(admin, shipping_company="\u00a0DHL", product="Mouse\u00a0") == \
        _all(admin, shipping_company="DHL", product="Mouse")
