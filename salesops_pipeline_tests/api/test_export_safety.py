"""Exports are safe to open: a name that looks like a formula never runs as one.

Names come from dropped files. CSV has no types, so a text cell starting with =, +, -, @, tab or
carriage return leaves with a leading ' (OWASP, CSV injection); XLSX writes it as a string cell.
Numbers, negative money included, are never changed.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.core.report.render import to_csv, to_xlsx
from salesops_pipeline_tests.api.builders import line, write_facts, write_reports

DAY = date(2026, 3, 4)
PERIOD = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
FORMULAS = ['=HYPERLINK("http://example.com/x","open")', "+cmd", "-2+3", "@SUM(A1)", "\tx",
            "\rx"]
HARMLESS = ["Ada", "2+3", "a=b", "'quoted", "x-1"]


def _csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def _text(cell: openpyxl.cell.Cell) -> object:
    """The cell's value with OOXML's _xHHHH_ escapes (a carriage return is _x000D_) undone,
    as Excel reads it; openpyxl leaves them in."""
    value = cell.value
    if isinstance(value, str):
        return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), value)
    return value


def _xlsx_cells(body: bytes) -> list[dict[str, openpyxl.cell.Cell]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def named(sql) -> None:
    """One line per dangerous or harmless name, as product and as seller; one negative line."""
    lines = [line(DAY, name, name, str(10 + i), row=2 + i)
             for i, name in enumerate(FORMULAS + HARMLESS)]
    lines.append(line(DAY, "Refunds", "Returned", "-12.50", units="2", row=99))
    write_reports(sql, lines)
    write_facts(sql, lines)


@pytest.mark.parametrize(("path", "column", "params"), [
    ("seller-ranking", "seller", {}), ("top-products", "product", {"limit": 100}),
    ("lines", "seller", {"limit": 100}), ("lines", "product", {"limit": 100})])
def test_csv_neutralises_formula_names(admin: TestClient, named, path: str, column: str,
                                       params: dict) -> None:
    r = admin.get(f"/reports/{path}", params={**PERIOD, **params, "format": "csv"})
    assert r.status_code == 200, r.text
    names = {row[column] for row in _csv(r.content)}
    assert {"'" + name for name in FORMULAS} <= names
    assert set(HARMLESS) <= names
    assert not any(name.startswith(("=", "+", "-", "@", "\t", "\r")) for name in names)


@pytest.mark.parametrize(("path", "column"), [("seller-ranking", "seller"),
                                              ("lines", "product")])
def test_xlsx_writes_formula_names_as_strings(admin: TestClient, named, path: str,
                                              column: str) -> None:
    r = admin.get(f"/reports/{path}", params={**PERIOD, "limit": 100, "format": "xlsx"}
                  if path == "lines" else {**PERIOD, "format": "xlsx"})
    assert r.status_code == 200, r.text
    cells = {_text(row[column]): row[column] for row in _xlsx_cells(r.content)}
    for name in FORMULAS + HARMLESS:
        assert cells[name].data_type == "s", name  # the name itself, as text: never a formula


def test_negative_money_stays_a_number(admin: TestClient, named) -> None:
    sellers = {row["seller"]: row for row in _csv(admin.get(
        "/reports/seller-ranking", params={**PERIOD, "format": "csv"}).content)}
    assert (sellers["Refunds"]["revenue"], sellers["Refunds"]["units"]) == ("-12.50", "2")
    [refund] = list(_csv(admin.get(
        "/reports/lines", params={**PERIOD, "seller": "Refunds", "format": "csv"}).content))
    assert (refund["unit_price"], refund["total_price"]) == ("-6.25", "-12.50")
    x = _xlsx_cells(admin.get("/reports/lines", params={**PERIOD, "seller": "Refunds",
                                                         "format": "xlsx"}).content)[0]
    assert (x["total_price"].data_type, x["total_price"].value) == ("n", -12.5)


def test_writer_neutralises_only_text() -> None:
    rows = [{"name": name, "amount": Decimal("-12.500000"), "units": Decimal("-1.000000"),
             "n": -3, "share": Decimal("-0.250000")} for name in FORMULAS]
    columns = ["name", "amount", "units", "n", "share"]
    got = _csv(to_csv(rows, columns, {"amount": "money", "units": "units"}))
    assert [g["name"] for g in got] == ["'" + name for name in FORMULAS]
    assert {(g["amount"], g["units"], g["n"], g["share"]) for g in got} == \
        {("-12.50", "-1", "-3", "-0.250000")}
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows, columns, "t"))).worksheets[0]
    assert [(_text(c), c.data_type) for c in sheet["A"][1:]] == [(n, "s") for n in FORMULAS]
    assert {c.data_type for c in sheet["B"][1:]} == {"n"}
