"""The API on real imports: a workbook line carries its sheet, a CSV line none (null), and the
import log shows the rows each file skipped. Files are loaded by the real ingest job."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import DagsterInstance
from fastapi.testclient import TestClient

from salesops_pipeline_tests.exports import write_subtotal_workbook
from salesops_pipeline_tests.exports_csv import write_csv_export
from salesops_pipeline_tests.ingest_support import Ingestor

NOVEMBER = {"start_date": "2026-11-01", "end_date": "2026-11-30", "limit": 1000}


@pytest.fixture
def ingest(api_db: str, folder: Path) -> Iterator[Ingestor]:
    with DagsterInstance.ephemeral() as instance:
        yield Ingestor(api_db, folder, instance)


def test_lines_carry_their_sheet_and_imports_their_skipped_rows(
        ingest: Ingestor, folder: Path, admin: TestClient) -> None:
    book = write_subtotal_workbook(folder / "subtotals.xlsx", seed=7)
    text = write_csv_export(folder / "export.csv", seed=5, dialect="utf8-comma",
                            grand_total=True)
    ingest.run(book.path.name)
    ingest.run(text.path.name)

    body = admin.get("/reports/lines", params=NOVEMBER).json()
    assert body["next_offset"] is None
    got = {(r["source_file"], r["source_sheet"], r["source_row_number"]):
           Decimal(r["total_price"]) for r in body["data"]}
    want = {(out.path.name, ln.sheet, ln.row): ln.total_price
            for out in (book, text) for ln in out.lines}
    assert got == want
    assert {r["source_sheet"] for r in body["data"] if r["source_file"] == "export.csv"} == {None}
    assert {r["source_sheet"] for r in body["data"]
            if r["source_file"] == "subtotals.xlsx"} == {"Sales"}

    imports = {r["source_file"]: r for r in admin.get("/imports").json()["data"]}
    assert {name: (r["status"], r["rows_loaded"], r["rows_skipped"])
            for name, r in imports.items()} == {
        out.path.name: ("loaded", len(out.lines), len(out.skipped)) for out in (book, text)}
    assert len(text.skipped) == 1 and len(book.skipped) == 5


def test_rejections_carry_their_sheet_null_for_csv(ingest: Ingestor, folder: Path,
                                                   admin: TestClient) -> None:
    book = write_subtotal_workbook(folder / "bad.xlsx", seed=7, unreadable_line=5)
    text = write_csv_export(folder / "bad.csv", seed=5, dialect="utf8-comma")
    first = text.lines[0]
    shown = first.sold_at.strftime("%Y-%m-%d %H:%M").encode()
    data = text.path.read_bytes()
    assert shown in data  # its first place is row 2, the first record under the header
    text.path.write_bytes(data.replace(shown, b"31/02/2026", 1))  # no such day
    ingest.run(book.path.name)
    ingest.run(text.path.name)

    ids = {r["source_file"]: r["id"] for r in admin.get("/imports").json()["data"]}
    got = {}
    for name, import_id in ids.items():
        rows = admin.get(f"/imports/{import_id}/rejections").json()["data"]
        got[name] = [(r["source_sheet"], r["source_row_number"]) for r in rows]
    (bad,) = book.quarantined
    assert got == {"bad.xlsx": [("Sales", bad.row)], "bad.csv": [(None, first.row)]}
