"""?format=csv|xlsx: the same rows as the JSON answer, as a named download."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api import schemas
from salesops_pipeline.core.report.figures import MONEY_XLSX_FORMAT, UNITS_XLSX_FORMAT
from salesops_pipeline.core.report.render import (
    FIGURE_KINDS,
    cell_text,
    exact_float,
    to_csv,
    to_xlsx,
)
from salesops_pipeline_tests.api import expected
from salesops_pipeline_tests.api.builders import (
    line,
    random_lines,
    write_facts,
    write_quality,
    write_reports,
)

LINES = random_lines(120, start=date(2026, 2, 2), days=20, seed=11)
PERIOD = {"start_date": "2026-02-01", "end_date": "2026-02-28"}
ENDPOINTS = [("weekly-summary", {}), ("seller-ranking", {}), ("top-products", {"limit": 3}),
             ("shipping-breakdown", {}), ("lines", {"limit": 25, "seller": "Ada"})]


def _csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def _xlsx_rows(body: bytes) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def _same(json_value: object, exported: object) -> bool:
    """An exported cell equals the JSON value (decimals compared exactly, as numbers)."""
    if json_value is None:
        return exported in (None, "")
    if isinstance(exported, datetime):  # xlsx: naive (UTC) date or date-time
        if exported.time() == datetime.min.time() and len(str(json_value)) == 10:
            return exported.date().isoformat() == json_value
        want = datetime.fromisoformat(str(json_value)).replace(tzinfo=None)
        return abs(exported - want) <= timedelta(milliseconds=1)  # Excel keeps milliseconds
    if isinstance(json_value, str) and "T" in json_value and isinstance(exported, str):
        try:  # csv: the same instant, written with +00:00 instead of Z
            return datetime.fromisoformat(exported) == datetime.fromisoformat(json_value)
        except ValueError:
            pass
    if isinstance(exported, int | float) and not isinstance(exported, bool):
        return Decimal(repr(exported)) == Decimal(str(json_value))
    return str(exported) == str(json_value)


@pytest.fixture
def loaded(sql) -> None:
    write_reports(sql, LINES)
    write_facts(sql, LINES)


@pytest.mark.parametrize(("name", "params"), ENDPOINTS)
def test_csv_and_xlsx_hold_the_json_rows(admin: TestClient, loaded, name: str, params) -> None:
    path = f"/reports/{name}"
    rows = admin.get(path, params={**PERIOD, **params}).json()["data"]
    assert rows
    for fmt, parse in (("csv", _csv_rows), ("xlsx", _xlsx_rows)):
        r = admin.get(path, params={**PERIOD, **params, "format": fmt})
        assert r.status_code == 200, r.text
        assert r.headers["content-disposition"] == \
            f'attachment; filename="{name}_2026-02-01_2026-02-28.{fmt}"'
        exported = parse(r.content)
        assert len(exported) == len(rows)
        for want, got in zip(rows, exported, strict=True):
            assert list(got) == list(want)
            for column, value in want.items():
                assert _same(value, got[column]), (fmt, column, value, got[column])


def test_csv_is_exact_text(admin: TestClient, loaded) -> None:
    rows = admin.get("/reports/seller-ranking", params=PERIOD).json()["data"]
    r = admin.get("/reports/seller-ranking", params={**PERIOD, "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert _csv_rows(r.content) == [{k: str(v) for k, v in row.items()} for row in rows]


def test_data_quality_exports_one_row(viewer: TestClient, sql) -> None:
    write_quality(sql, date(2026, 2, 3), tolerance="0.01", rejected_row_count=2)
    r = viewer.get("/reports/data-quality", params={**PERIOD, "format": "csv"})
    assert _csv_rows(r.content) == [{
        "mismatched_total_count": "0", "nonpositive_units_count": "0",
        "negative_amount_count": "0", "missing_shipping_company_count": "0",
        "rejected_row_count": "2", "start_date": "2026-02-01", "end_date": "2026-02-28",
        "status": "warn", "tolerance": "0.01"}]
    x = viewer.get("/reports/data-quality", params={**PERIOD, "format": "xlsx"})
    assert _xlsx_rows(x.content)[0]["rejected_row_count"] == 2


def test_xlsx_keeps_decimals_no_double_can_hold_as_text() -> None:
    big = Decimal("123456789012345.123456")
    rows = [{"a": big, "b": Decimal("0.1"), "c": "=1+1", "d": date(2026, 1, 2), "e": None}]
    got = _xlsx_rows(to_xlsx(rows, ["a", "b", "c", "d", "e"], "t"))[0]
    assert got["a"] == str(big)
    assert got["b"] == 0.1
    assert got["c"] == "=1+1"  # a string, never a formula
    assert got["d"] == datetime(2026, 1, 2)
    assert got["e"] is None


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1.500000"), "1.500000"), (None, ""), (date(2026, 1, 2), "2026-01-02"),
    ({"b": 1, "a": "x"}, '{"a": "x", "b": 1}'), ("Zoë, \"q\"", "Zoë, \"q\"")])
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text
    assert _csv_rows(to_csv([{"v": value}], ["v"])) == [{"v": text}]


@pytest.mark.parametrize(("value", "exact"), [
    (Decimal("0.1"), 0.1), (Decimal("1.500000"), 1.5), (Decimal("12345678901234567890"), None),
    (Decimal("0.1234567890123456789"), None), (Decimal("NaN"), None)])
def test_exact_float(value: Decimal, exact: float | None) -> None:
    assert exact_float(value) == exact


def test_figures_read_as_people_write_them_in_every_format(admin: TestClient, sql) -> None:
    """JSON, CSV and XLSX show the same figures: money with two decimals (more only when
    stored), units without trailing zeros, each exactly the stored value."""
    day = date(2026, 2, 3)
    lines = [line(day, "Ada", "Laptop", "2142715.53", units="3", row=2),
             line(day, "Bob", "Mouse", "1.2345", units="2.5", row=3),
             line(day, "Chen", "Dock", "-7", units="0.125", row=4)]
    write_reports(sql, lines)
    write_facts(sql, lines)
    want = {"Ada": ("2142715.53", "3"), "Bob": ("1.2345", "2.5"), "Chen": ("-7.00", "0.125")}
    rows = admin.get("/reports/seller-ranking", params=PERIOD).json()["data"]
    assert {r["seller"]: (r["revenue"], r["units"]) for r in rows} == want
    got = _csv_rows(admin.get("/reports/seller-ranking",
                              params={**PERIOD, "format": "csv"}).content)
    assert {r["seller"]: (r["revenue"], r["units"]) for r in got} == want
    lines_csv = _csv_rows(admin.get("/reports/lines", params={**PERIOD, "format": "csv"}).content)
    assert {r["seller"]: (r["unit_price"], r["total_price"], r["units"]) for r in lines_csv} == {
        "Ada": ("714238.51", "2142715.53", "3"), "Bob": ("0.4938", "1.2345", "2.5"),
        "Chen": ("-56.00", "-7.00", "0.125")}
    sheet = openpyxl.load_workbook(io.BytesIO(admin.get(
        "/reports/lines", params={**PERIOD, "format": "xlsx"}).content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        x = next(x for x in lines if x.seller == cells["seller"].value)
        for column, stored in (("unit_price", x.unit_price), ("total_price", x.total_price),
                               ("units", x.units)):
            cell = cells[column]
            assert cell.data_type == "n" and Decimal(repr(cell.value)) == stored
            assert cell.number_format == (UNITS_XLSX_FORMAT if column == "units"
                                          else MONEY_XLSX_FORMAT)
        assert cells["source_row_number"].number_format == "General"


def test_money_format_shows_two_to_six_decimals() -> None:
    """The XLSX money format: at least two decimals, up to the six numeric(24, 6) stores."""
    integer, decimals = MONEY_XLSX_FORMAT.split(".")
    assert integer.endswith("0") and decimals == "00####"


def test_csv_figures_match_python(admin: TestClient, loaded) -> None:
    got = _csv_rows(admin.get("/reports/top-products",
                              params={**PERIOD, "limit": 100, "format": "csv"}).content)
    want = expected.products(LINES, date(2026, 2, 1), date(2026, 2, 28), 100)
    expected.assert_rows([{**g, "rank": int(g["rank"])} for g in got], want)


ROW_MODELS = [schemas.WeeklySummaryRow, schemas.SellerRankRow, schemas.TopProductRow,
              schemas.ShippingRow, schemas.SalesLine, schemas.DataQualityRow]


@pytest.mark.parametrize("model", ROW_MODELS)
def test_json_and_exports_agree_on_which_columns_are_figures(model) -> None:
    """A column is money or units in JSON (schemas.Money / Units) exactly when the export
    writers format it so (FIGURE_KINDS)."""
    annotation = {schemas.Money.__metadata__: "money", schemas.Units.__metadata__: "units"}
    kinds = {name: annotation.get(tuple(field.metadata))
             for name, field in model.model_fields.items()}
    assert kinds == {name: FIGURE_KINDS.get(name) for name in model.model_fields}
