"""Drift through the real ingest job into PostgreSQL: a second version of a file with a renamed,
moved, missing and new column records exactly those changes; a file whose folder's other files
have another header (and date order) records them against the folder; an unchanged file records
none and alerts nothing; a changed one fails file_shape_unchanged and sends a WARN alert to a
local webhook; two LibreOffice exports of one file differ in the sale-time columns, the date
order and the decimal separator.

The expected changes are written out from the headers the tests chose, never read from SQL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dagster import AssetCheckSeverity

from salesops_pipeline.core.load.drift import FOLDER, PREVIOUS, Change, Drift, DriftKind, Reference
from salesops_pipeline_tests.core.notify.webhook_receiver import webhook_receiver
from salesops_pipeline_tests.defs.alert_support import tick
from salesops_pipeline_tests.drift_support import (
    SALES,
    SOURCE,
    loaded_totals,
    recorded_drift,
    write_csv,
)
from salesops_pipeline_tests.ingest_support import checks_by_name
from salesops_pipeline_tests.real_exports_support import stage_metadata

CHECK = "file_shape_unchanged"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "csv"


def _import_id(sql, source_file: str) -> int:
    return sql("SELECT max(import_id) FROM salesops.import_log WHERE source_file = %s",
               (source_file,))[0][0]


def test_a_second_version_records_renamed_moved_missing_and_new(ingest, folder: Path,
                                                                 sql) -> None:
    write_csv(folder / "jan.csv", SOURCE)
    first = ingest.run("jan.csv")
    assert recorded_drift(sql, "jan.csv") == Drift()  # nothing to compare with
    assert checks_by_name(first)[CHECK].passed
    v1 = _import_id(sql, "jan.csv")
    # Units first, "Unit Price" spelled "Price", no Shipping Company, a Region column at the end.
    header = [("Units", "units"), ("Time", "sold_at"), ("Product", "product"),
              ("Seller", "seller"), ("Price", "unit_price"), ("Total Price", "total_price"),
              ("Region", None)]
    totals = write_csv(folder / "jan.csv", header)
    second = ingest.run("jan.csv")
    assert loaded_totals(sql, "jan.csv") == totals  # the new shape loads as before
    drift = recorded_drift(sql, "jan.csv")
    assert drift is not None
    assert drift.references == (Reference(PREVIOUS, "jan.csv", v1),)
    assert sorted(drift.changes, key=lambda c: c.kind) == sorted([
        Change(DriftKind.NEW, PREVIOUS, None, None, after="Region", after_position=6),
        Change(DriftKind.MISSING, PREVIOUS, None, "shipping_company", before="Shipping Company",
               before_position=6),
        Change(DriftKind.RENAMED, PREVIOUS, None, "unit_price", "Unit Price", "Price", 3, 4),
        Change(DriftKind.MOVED, PREVIOUS, None, "units", "Units", "Units", 4, 0),
    ], key=lambda c: c.kind)
    check = checks_by_name(second)[CHECK]
    assert check.passed is False and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["changes"].value == 4
    assert check.description.startswith("jan.csv: 4 header change(s): ")
    assert "renamed 'Unit Price' → 'Price'" in check.metadata["drift"].value
    meta = stage_metadata(second)
    assert meta["header_changes"] == 4
    assert "column units moved from E to A" not in meta["drift"]  # names are quoted
    assert "column 'Units' (units) moved from E to A" in meta["drift"]
    assert "Region" in meta["drift"] and "How to fix at the source" in meta["drift"]


def test_a_file_whose_folder_has_another_header_and_date_order(ingest, folder: Path,
                                                                sql) -> None:
    write_csv(folder / "north" / "a.csv", SOURCE)
    write_csv(folder / "north" / "b.csv", SOURCE, sales=SALES[:2])  # other bytes, same shape
    write_csv(folder / "south" / "z.csv", [("Qty" if t == "Units" else t, c) for t, c in SOURCE])
    for key in ("north/a.csv", "north/b.csv", "south/z.csv"):
        ingest.run(key)
    b = _import_id(sql, "north/b.csv")
    header = [("Qty" if text == "Units" else text, column) for text, column in SOURCE]
    totals = write_csv(folder / "north" / "c.csv", header, order="mdy")
    result = ingest.run("north/c.csv")
    assert loaded_totals(sql, "north/c.csv") == totals
    assert recorded_drift(sql, "north/c.csv") == Drift(
        (Change(DriftKind.RENAMED, FOLDER, None, "units", "Units", "Qty", 4, 4),
         Change(DriftKind.DATE_ORDER, FOLDER, None, before="dmy", after="mdy")),
        (Reference(FOLDER, "north/b.csv", b, files_alike=2, files_compared=2),))
    assert not checks_by_name(result)[CHECK].passed
    # south/z.csv is alone in its folder: nothing to compare with.
    assert recorded_drift(sql, "south/z.csv") == Drift()


def test_an_unchanged_file_alerts_nothing_a_changed_one_a_warn(ingest, folder: Path, sql,
                                                               alert_env) -> None:
    write_csv(folder / "w.csv", SOURCE)
    ingest.run("w.csv")
    with webhook_receiver() as receiver:
        alert_env(webhook=receiver.url)
        cursor, _ = tick(ingest.instance, None)  # starts from now
        sales = [dict(s, units="3") for s in SALES]
        write_csv(folder / "w.csv", SOURCE, sales=sales)  # new figures, same shape
        same = ingest.run("w.csv")
        assert checks_by_name(same)[CHECK].passed
        drift = recorded_drift(sql, "w.csv")
        assert drift is not None and drift.changes == () and len(drift.references) == 1
        cursor, _ = tick(ingest.instance, cursor)
        assert receiver.bodies == []  # clean figures, unchanged shape: no alert at all

        write_csv(folder / "w.csv", [(t, c) for t, c in SOURCE if c != "shipping_company"])
        changed = ingest.run("w.csv")
        assert not checks_by_name(changed)[CHECK].passed
        tick(ingest.instance, cursor)
    shape = [b for b in receiver.bodies if CHECK in b["title"]]
    assert len(shape) == 1, receiver.bodies
    (sent,) = shape
    assert sent["severity"] == "WARN" and sent["kind"] == "check"
    assert sent["title"] == f"WARN check {CHECK} on raw_sales_rows failed"
    assert sent["subject"] == "file w.csv"
    assert sent["detail"] == ("w.csv: 1 header change(s): against the last version: column "
                              "'Shipping Company' (shipping_company) missing (was in G)")
    assert "shipping\\_company" in sent["text"]  # the webhook text is escaped Markdown


def test_libreoffice_exports_of_one_file_split_the_time_and_change_order_and_separator(
        ingest, folder: Path, sql) -> None:
    """A US export (month-first, decimal points), then a German one of the same file (Datum and
    Uhrzeit in two columns, day-first decided by its days, decimal commas)."""
    target = folder / "lo" / "sales.csv"
    target.parent.mkdir()
    shutil.copyfile(FIXTURES / "libreoffice_us_month_first.csv", target)
    ingest.run("lo/sales.csv")
    first = _import_id(sql, "lo/sales.csv")
    shutil.copyfile(FIXTURES / "libreoffice_de_split_date_time.csv", target)
    ingest.run("lo/sales.csv")
    assert recorded_drift(sql, "lo/sales.csv") == Drift(
        (Change(DriftKind.NEW, PREVIOUS, None, "sold_at_date", after="Datum", after_position=0),
         Change(DriftKind.NEW, PREVIOUS, None, "sold_at_time", after="Uhrzeit",
                after_position=1),
         Change(DriftKind.MISSING, PREVIOUS, None, "sold_at", before="Time", before_position=0),
         Change(DriftKind.DATE_ORDER, PREVIOUS, None, before="mdy", after="dmy"),
         Change(DriftKind.DECIMAL_SEPARATOR, PREVIOUS, None, before=".", after=",")),
        (Reference(PREVIOUS, "lo/sales.csv", first),))
