"""/reports/lines as the dashboard's drill-down: the rule and shipping filters give exactly the
lines behind a figure; bad values are 422 like every other parameter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.routes.lines import FactRule
from salesops_pipeline.core.report.rules import FACT_RULES
from salesops_pipeline_tests.api.builders import Line, write_facts, write_quality_sample

PERIOD = {"start_date": "2026-03-02", "end_date": "2026-03-08"}


def _at(day: int, row: int, price: str, units: str, total: str, *, seller: str = "Ada",
        product: str = "Mouse", shipping: str | None = "DHL") -> Line:
    return Line(datetime(2026, 3, day, 10, row), seller, product, shipping, Decimal(price),
                Decimal(units), Decimal(total), "rules.xlsx", row)


LINES = [
    _at(2, 2, "10.00", "2", "20.00"),                      # clean
    _at(2, 3, "10.00", "2", "20.05"),                      # 0.05 off
    _at(3, 4, "10.00", "2", "21.00", seller="Bob"),        # 1.00 off
    _at(3, 5, "10.00", "0", "0.00"),                       # units 0
    _at(4, 6, "-5.00", "1", "-5.00", product="Dock"),      # negative amount
    _at(4, 7, "7.50", "1", "7.50", shipping=None),         # no shipping company
    _at(5, 8, "3.00", "-1", "-3.00", shipping=None),       # negative units and amount
    _at(9, 9, "10.00", "0", "0.00"),                       # units 0, outside the period
]


def _rows(admin: TestClient, **params: str) -> list[int]:
    body = admin.get("/reports/lines", params={**PERIOD, **params})
    assert body.status_code == 200, body.text
    return [r["source_row_number"] for r in body.json()["data"]]


def test_the_rule_filter_names_the_rules_of_the_registry() -> None:
    assert set(FactRule.__args__) == {r.name for r in FACT_RULES}  # type: ignore[attr-defined]


def test_each_rule_gives_exactly_its_lines(admin: TestClient, sql) -> None:
    write_facts(sql, LINES)
    assert _rows(admin, rule="nonpositive_units") == [5, 8]
    assert _rows(admin, rule="negative_amount") == [6, 8]
    assert _rows(admin, rule="missing_shipping_company") == [7, 8]
    assert _rows(admin, rule="mismatched_total") == [3, 4]  # configured tolerance 0.01
    assert _rows(admin, rule="mismatched_total", tolerance="0.05") == [4]
    assert _rows(admin, rule="mismatched_total", tolerance="1") == []
    assert _rows(admin, rule="mismatched_total", seller="Bob") == [4]
    assert _rows(admin, shipping_company="UNKNOWN", rule="negative_amount") == [8]
    assert _rows(admin, shipping_company="DHL", product="Dock") == [6]


def test_each_line_leads_to_its_import(admin: TestClient, sql) -> None:
    imports = write_facts(sql, LINES)
    body = admin.get("/reports/lines", params={**PERIOD, "rule": "negative_amount"}).json()
    assert {r["import_id"] for r in body["data"]} == {imports["rules.xlsx"]}
    assert {r["source_file"] for r in body["data"]} == {"rules.xlsx"}
    assert admin.get(f"/imports/{imports['rules.xlsx']}/rejections").status_code == 200


def test_rule_pages_and_exports(admin: TestClient, sql) -> None:
    write_facts(sql, LINES)
    first = admin.get("/reports/lines", params={**PERIOD, "rule": "nonpositive_units",
                                                "limit": "1"}).json()
    assert ([r["source_row_number"] for r in first["data"]], first["next_offset"]) == ([5], 1)
    csv = admin.get("/reports/lines", params={**PERIOD, "rule": "nonpositive_units",
                                              "format": "csv"})
    assert csv.status_code == 200 and csv.text.count("rules.xlsx") == 2


@pytest.mark.parametrize("params", [
    {"rule": "quarantined_rows"}, {"rule": "MISMATCHED_TOTAL"}, {"rule": ""},
    {"tolerance": "0.05"}, {"rule": "negative_amount", "tolerance": "0.05"},
    {"rule": "mismatched_total", "tolerance": "6"},
    {"rule": "mismatched_total", "tolerance": "0.001"},
    {"seller": "x" * 201}, {"product": ""}, {"shipping_company": "a\x00b"},
    {"limit": "0"}, {"limit": "10001"}, {"offset": "-1"}, {"offset": "1000001"},
])
def test_bad_filters_are_422(admin: TestClient, params: dict[str, str]) -> None:
    response = admin.get("/reports/lines", params={**PERIOD, **params})
    assert response.status_code == 422, (params, response.text)


def test_drill_down_is_admin_only(viewer: TestClient) -> None:
    assert viewer.get("/reports/lines", params={**PERIOD, "rule": "nonpositive_units"}
                      ).status_code == 403


def test_quality_samples_name_the_shipping_company(admin: TestClient, sql) -> None:
    write_facts(sql, LINES)
    [(dhl,)] = sql("SELECT shipping_company_id FROM salesops.dim_shipping_company"
                   " WHERE name = 'DHL'")
    write_quality_sample(sql, date(2026, 3, 2), "mismatched_total", 3,
                         {"total_price": "20.05", "shipping_company_id": dhl})
    write_quality_sample(sql, date(2026, 3, 4), "missing_shipping_company", 7,
                         {"total_price": "7.50", "shipping_company_id": None})
    samples = admin.get("/reports/data-quality", params=PERIOD).json()["samples"]
    assert [s["row_values"] for s in samples] == [
        {"total_price": "20.05", "shipping_company": "DHL"},
        {"total_price": "7.50", "shipping_company": None}]
    at = admin.get("/reports/data-quality", params={**PERIOD, "tolerance": "0.01"}).json()
    assert {s["row_values"]["shipping_company"] for s in at["samples"]} == {"DHL", None}
