"""Ingestion through Dagster: every good line exactly once, to the cent, or quarantined."""

from __future__ import annotations

import shutil
import threading
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import pytest
from dagster import DagsterInstance

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.load import publish as loader
from salesops_pipeline.core.load import staging
from salesops_pipeline_tests.ingest_support import Ingestor, checks_by_name, fact_rows, imports
from salesops_pipeline_tests.workbooks import write_clean_workbook, write_messy_workbook


def line(day: int, seller: str = "Ada", product: str = "Laptop", price: str = "10.00",
         units: int = 1, shipper: str | None = "DHL") -> dict[str, object]:
    total = Decimal(price) * units
    return {"sold_at": datetime(2026, 3, day, 10, 0), "product": product, "seller": seller,
            "unit_price": Decimal(price), "units": units, "total_price": total,
            "shipping_company": shipper}


@pytest.mark.parametrize(("seed", "second_sheet"), [(1, False), (2, True), (3, False)])
def test_messy_workbook_loads_exactly(ingest, folder, sql, seed, second_sheet) -> None:
    book = write_messy_workbook(folder / f"export-{seed}.xlsx", seed=seed, rows=400,
                                data_on_second_sheet=second_sheet)
    ingest.run(book.path.name)
    facts = fact_rows(sql)
    expected = {(book.path.name, e.row_number): (e.sold_at, e.product, e.seller,
                e.shipping_company, e.unit_price, e.units, e.total_price) for e in book.good}
    assert set(facts) == set(expected)
    for key, want in expected.items():
        got = facts[key]
        assert got[:4] == want[:4], key
        assert [Decimal(v) for v in got[4:]] == list(want[4:]), key
    # Totals per seller to the cent, computed from the generator's own values.
    by_seller: dict[str, Decimal] = defaultdict(Decimal)
    for e in book.good:
        by_seller[e.seller] += e.total_price
    db_by_seller = dict(sql("SELECT s.name, sum(f.total_price) FROM salesops.fact_sales_line f"
                            " JOIN salesops.dim_seller s USING (seller_id) GROUP BY s.name"))
    assert db_by_seller == dict(by_seller)
    quarantined = sql("SELECT source_row_number, reasons FROM salesops.rejected_row"
                      " ORDER BY source_row_number")
    assert [r[0] for r in quarantined] == book.rejected_rows
    for row_number, reasons in quarantined:
        assert reasons, row_number
        for column in book.rejected[row_number]:
            assert any(r.startswith(column) for r in reasons), (row_number, column, reasons)
    assert imports(sql) == [(book.path.name, "loaded", len(book.good) + len(book.rejected),
                             len(book.good), len(book.rejected), None)]


def test_reimport_same_file_changes_nothing(ingest, folder, sql) -> None:
    write_clean_workbook(folder / "jan.xlsx", [line(2), line(3, seller="Grace")])
    ingest.run("jan.xlsx")
    before = sql("SELECT sales_line_id, source_row_number FROM salesops.fact_sales_line ORDER BY 1")
    result = ingest.run("jan.xlsx")
    assert sql("SELECT sales_line_id, source_row_number FROM salesops.fact_sales_line"
               " ORDER BY 1") == before
    assert [r[1] for r in imports(sql)] == ["loaded"]
    raw = result.asset_materializations_for_node("raw_sales_rows")[0]
    assert raw.metadata["action"].value == "already_loaded"


def test_corrected_reexport_replaces_previous_rows(ingest, folder, sql) -> None:
    path = folder / "feb.xlsx"
    write_clean_workbook(path, [line(2), line(3), line(9, price="5.00", units=3)])
    ingest.run("feb.xlsx")
    write_clean_workbook(path, [line(2, price="12.00"), line(16, seller="Grace")])
    ingest.run("feb.xlsx")
    facts = fact_rows(sql)
    assert set(facts) == {("feb.xlsx", 2), ("feb.xlsx", 3)}
    assert facts[("feb.xlsx", 2)][6] == Decimal("12.00")
    assert facts[("feb.xlsx", 3)][2] == "Grace"
    assert [r[1] for r in imports(sql)] == ["superseded", "loaded"]
    superseded_by = sql("SELECT superseded_by FROM salesops.import_log WHERE import_id = 1")
    assert superseded_by == [(2,)]
    # Days that lost rows are marked for the report refresh too.
    dirty = {r[0].day for r in sql("SELECT day FROM salesops.report_dirty_day")}
    assert dirty == {2, 3, 9, 16}


def test_same_bytes_under_another_name_is_a_duplicate(ingest, folder, sql) -> None:
    write_clean_workbook(folder / "feb.xlsx", [line(2), line(3)])
    shutil.copy(folder / "feb.xlsx", folder / "Feb (copy).xlsx")
    ingest.run("feb.xlsx")
    ingest.run("Feb (copy).xlsx")
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(2,)]
    rows = sql("SELECT source_file, status, duplicate_of FROM salesops.import_log ORDER BY 1")
    assert rows == [("Feb (copy).xlsx", "duplicate", 1), ("feb.xlsx", "loaded", None)]


def test_corrupt_file_is_rejected_and_others_unaffected(ingest, folder, sql) -> None:
    write_clean_workbook(folder / "good.xlsx", [line(2)])
    ingest.run("good.xlsx")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    result = ingest.run("broken.xlsx")
    assert result.success  # recorded, not crashed
    status, error = sql("SELECT status, error FROM salesops.import_log"
                        " WHERE source_file = 'broken.xlsx'")[0]
    assert status == "rejected" and "not a readable" in error.lower()
    check = checks_by_name(result)["file_is_readable_workbook"]
    assert check.passed is False and "not a readable" in check.metadata["detail"].value.lower()
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(1,)]


def test_missing_column_rejects_whole_file_naming_it(ingest, folder, sql) -> None:
    rows = [line(2)]
    write_clean_workbook(folder / "nounits.xlsx", rows,
                         columns=["sold_at", "product", "seller", "unit_price", "total_price"])
    ingest.run("nounits.xlsx")
    status, error = sql("SELECT status, error FROM salesops.import_log")[0]
    assert status == "rejected" and "units" in error
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(0,)]
    assert sql("SELECT count(*) FROM salesops.stage_sales_line") == [(0,)]


def test_crash_during_publish_leaves_nothing_and_rerun_completes(ingest, folder, sql, db) -> None:
    path = folder / "mar.xlsx"
    write_clean_workbook(path, [line(2), line(3)])
    ingest.run("mar.xlsx")
    write_clean_workbook(path, [line(4), line(5), line(6)])
    # Stage the new version the way the raw step does, then crash the publish after its INSERT.
    from salesops_pipeline.core.extract.intake.file_keys import file_version
    from salesops_pipeline.core.load import import_log

    version = file_version("mar.xlsx", folder)
    with connect(db) as conn:
        decision = import_log.decide(conn.cursor(), version, "test-run")
    with connect(db) as conn:
        staging.stage_file(conn, import_id=decision.import_id, key="mar.xlsx", path=path)

    def boom() -> None:
        raise RuntimeError("killed mid-load")

    with pytest.raises(RuntimeError), connect(db) as conn:
        loader.publish(conn, import_id=decision.import_id, key="mar.xlsx", fail_after_insert=boom)
    # The old version is still exactly what readers see.
    assert {k[1] for k in fact_rows(sql)} == {2, 3}
    assert sql("SELECT status FROM salesops.import_log ORDER BY import_id") == [("loaded",),
                                                                                 ("staged",)]
    ingest.run("mar.xlsx")
    facts = fact_rows(sql)
    assert {k[1] for k in facts} == {2, 3, 4}
    assert {v[0].day for v in facts.values()} == {4, 5, 6}
    assert sql("SELECT status FROM salesops.import_log ORDER BY import_id") == [("superseded",),
                                                                                 ("loaded",)]
    assert sql("SELECT count(*) FROM salesops.stage_sales_line") == [(0,)]


@pytest.mark.parametrize("own_partition_rows", [100_000, 3], ids=["shared", "own-partition"])
def test_two_imports_of_the_same_file_at_once_make_one(db, folder, sql,
                                                       own_partition_rows: int) -> None:
    write_clean_workbook(folder / "apr.xlsx", [line(d) for d in range(1, 29)])
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with DagsterInstance.ephemeral() as instance:
                Ingestor(db, folder, instance, own_partition_rows=own_partition_rows
                         ).run("apr.xlsx")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sql("SELECT count(*), count(DISTINCT source_row_number) FROM"
               " salesops.fact_sales_line") == [(28, 28)]
    assert sql("SELECT status FROM salesops.import_log") == [("loaded",)]
    own = [(1,)] if own_partition_rows <= 28 else [(0,)]  # …and one partition of its own
    assert sql("SELECT DISTINCT load_slot FROM salesops.fact_sales_line") == own


def test_key_climbing_out_of_the_folder_is_refused(ingest, folder, sql) -> None:
    outside = folder.parent / "secret.xlsx"
    write_clean_workbook(outside, [line(2)])
    result = ingest.run("../secret.xlsx", raise_on_error=False)
    assert not result.success
    assert sql("SELECT count(*) FROM salesops.import_log") == [(0,)]


def test_materialization_metadata_tells_what_happened(ingest, folder, sql) -> None:
    book = write_messy_workbook(folder / "m.xlsx", seed=11, rows=120)
    result = ingest.run("m.xlsx")
    fact = result.asset_materializations_for_node("fact_sales_line")[0].metadata
    assert fact["rows_loaded"].value == len(book.good)
    assert fact["rows_rejected"].value == len(book.rejected)
    assert fact["sha256"].value and fact["file"].value == "m.xlsx"
    assert "rows_per_second" in fact and "duration_s" in fact
    if book.rejected:
        assert str(book.rejected_rows[0]) in fact["rejected_sample"].value
