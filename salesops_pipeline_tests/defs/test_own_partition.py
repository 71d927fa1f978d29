"""Large file versions: facts built beside the live table and switched in by ATTACH PARTITION.

The threshold is lowered so that small workbooks take this path; every guarantee of the shared
path (exact figures, atomic switch, one version per file, crash safety) must hold on it too.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from dagster import DagsterInstance

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.db.schema import reset
from salesops_pipeline.core.extract.intake.file_keys import file_version
from salesops_pipeline.core.load import import_log, partitions, staging
from salesops_pipeline.core.load import publish as loader
from salesops_pipeline.errors import ImportConflict
from salesops_pipeline_tests.defs.test_ingest import line
from salesops_pipeline_tests.ingest_support import Ingestor, checks_by_name, fact_rows, imports
from salesops_pipeline_tests.workbooks import write_clean_workbook, write_messy_workbook


@pytest.fixture
def big(db: str, folder):
    """An Ingestor for which every file of 3 rows or more is 'large'."""
    with DagsterInstance.ephemeral() as instance:
        yield Ingestor(db, folder, instance, own_partition_rows=3)


def own_tables(sql) -> list[tuple[str, bool]]:
    """(table, attached) for every own partition or unattached build."""
    return sql("SELECT relname, relispartition FROM pg_class WHERE relkind = 'r'"
               " AND relname ~ '^fact_sales_line_import_[0-9]+$' ORDER BY relname")


def test_large_version_loads_exactly_through_its_own_partition(big, folder, sql) -> None:
    book = write_messy_workbook(folder / "big.xlsx", seed=5, rows=300)
    result = big.run("big.xlsx")
    facts = fact_rows(sql)
    expected = {("big.xlsx", e.row_number): (e.sold_at, e.product, e.seller,
                e.shipping_company, e.unit_price, e.units, e.total_price) for e in book.good}
    assert set(facts) == set(expected)
    for key, want in expected.items():
        assert facts[key][:4] == want[:4], key
        assert [Decimal(v) for v in facts[key][4:]] == list(want[4:]), key
    assert sql("SELECT sum(total_price) FROM salesops.fact_sales_line") == [
        (sum((e.total_price for e in book.good), Decimal(0)),)]
    assert own_tables(sql) == [("fact_sales_line_import_1", True)]
    assert sql("SELECT DISTINCT load_slot FROM salesops.fact_sales_line") == [(1,)]
    assert [r[0] for r in sql("SELECT source_row_number FROM salesops.rejected_row ORDER BY 1")
            ] == book.rejected_rows
    assert imports(sql) == [("big.xlsx", "loaded", len(book.good) + len(book.rejected),
                             len(book.good), len(book.rejected), None)]
    fact = result.asset_materializations_for_node("fact_sales_line")[0].metadata
    assert fact["fact_partition"].value == f"own ({len(book.good):,} rows)"
    checks = checks_by_name(result)
    for name in ("no_duplicate_source_rows", "no_orphan_keys", "import_counts_match"):
        assert checks[name].passed, name
    assert sql("SELECT count(*) FROM salesops.stage_sales_line") == [(0,)]


def test_reexports_move_between_shared_and_own_partitions(big, folder, sql) -> None:
    """Each version replaces the previous one wherever either lives; emptied partitions go."""
    path = folder / "feb.xlsx"
    versions = [
        [line(2), line(3)],                                          # 2 rows: shared
        [line(4), line(5, price="7.25"), line(6), line(7)],          # 4 rows: own
        [line(8, units=3), line(9), line(10, seller="Grace")],       # 3 rows: own (replaces own)
        [line(11, price="1.10")],                                    # 1 row: shared again
    ]
    for n, rows in enumerate(versions, 1):
        write_clean_workbook(path, rows)
        big.run("feb.xlsx")
        facts = fact_rows(sql)
        assert sorted((k[1], v[0].day, v[6]) for k, v in facts.items()) == [
            (i, r["sold_at"].day, r["total_price"]) for i, r in enumerate(rows, 2)], n
        own = [(f"fact_sales_line_import_{n}", True)] if len(rows) >= 3 else []
        assert own_tables(sql) == own, n
    assert [r[1] for r in imports(sql)] == ["superseded"] * 3 + ["loaded"]
    days = {r[0].day for r in sql("SELECT day FROM salesops.report_dirty_day")}
    assert days == set(range(2, 12))  # every day that gained or lost rows awaits the refresh


def _stage(db: str, folder, key: str) -> int:
    """Decide and stage the file's current bytes as the raw step does; return the import id."""
    with connect(db) as conn:
        decision = import_log.decide(conn.cursor(), file_version(key, folder), "test-run")
    with connect(db) as conn:
        staging.stage_file(conn, import_id=decision.import_id, key=key, path=folder / key)
    return decision.import_id


def test_crash_after_attach_keeps_the_old_version_and_rerun_completes(big, folder, sql,
                                                                      db) -> None:
    path = folder / "mar.xlsx"
    write_clean_workbook(path, [line(2), line(3), line(4)])
    big.run("mar.xlsx")
    write_clean_workbook(path, [line(5), line(6), line(7), line(8)])
    import_id = _stage(db, folder, "mar.xlsx")
    with connect(db) as conn:
        assert loader.build_own_partition(conn, import_id=import_id, key="mar.xlsx",
                                          min_rows=3) == 4

    def boom() -> None:
        raise RuntimeError("killed mid-publish")

    with pytest.raises(RuntimeError), connect(db) as conn:
        loader.publish(conn, import_id=import_id, key="mar.xlsx", fail_after_insert=boom)
    assert {v[0].day for v in fact_rows(sql).values()} == {2, 3, 4}  # the old version, whole
    assert own_tables(sql) == [("fact_sales_line_import_1", True),
                               ("fact_sales_line_import_2", False)]  # built, not attached
    big.run("mar.xlsx")
    assert {v[0].day for v in fact_rows(sql).values()} == {5, 6, 7, 8}
    assert own_tables(sql) == [("fact_sales_line_import_2", True)]
    assert [r[1] for r in imports(sql)] == ["superseded", "loaded"]


def test_failed_build_changes_nothing_and_rerun_completes(big, folder, sql, monkeypatch) -> None:
    path = folder / "apr.xlsx"
    write_clean_workbook(path, [line(2), line(3), line(4)])
    big.run("apr.xlsx")
    write_clean_workbook(path, [line(9), line(10), line(11)])

    def broken(cur, import_id: int) -> None:
        raise RuntimeError("disk full while indexing")

    monkeypatch.setattr(partitions, "finish", broken)
    assert not big.run("apr.xlsx", raise_on_error=False).success
    assert {v[0].day for v in fact_rows(sql).values()} == {2, 3, 4}
    assert own_tables(sql) == [("fact_sales_line_import_1", True)]  # the build rolled back
    assert [r[1] for r in imports(sql)] == ["loaded", "failed"]
    monkeypatch.undo()
    big.run("apr.xlsx")
    assert {v[0].day for v in fact_rows(sql).values()} == {9, 10, 11}
    assert own_tables(sql) == [("fact_sales_line_import_2", True)]


def test_nightly_maintenance_drops_abandoned_builds_only(big, folder, sql, db) -> None:
    for name, days in (("a.xlsx", (2, 3, 4)), ("b.xlsx", (5, 6, 7))):
        write_clean_workbook(folder / name, [line(d) for d in days])
    big.run("a.xlsx")
    abandoned = _stage(db, folder, "b.xlsx")
    with connect(db) as conn:
        loader.build_own_partition(conn, import_id=abandoned, key="b.xlsx", min_rows=3)
    assert len(own_tables(sql)) == 2
    assert big.run_job("nightly_maintenance").success
    assert len(own_tables(sql)) == 2  # b.xlsx is staged: its build is about to be published
    with connect(db) as conn:
        import_log.mark_failed(conn.cursor(), abandoned, "worker lost")
    assert big.run_job("nightly_maintenance").success
    assert own_tables(sql) == [("fact_sales_line_import_1", True)]
    assert len(fact_rows(sql)) == 3


def test_a_stray_copy_of_a_row_in_another_partition_fails_the_checks(big, folder, sql) -> None:
    """Uniqueness of (file, row) is per partition; the checks guard it across partitions."""
    write_clean_workbook(folder / "jun.xlsx", [line(2), line(3), line(4)])
    big.run("jun.xlsx")
    sql("INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id, unit_price, units,"
        " total_price, source_file, source_sheet, source_row_number, import_id, load_slot)"
        " SELECT sold_at, product_id, seller_id, unit_price, units, total_price, source_file,"
        " source_sheet, source_row_number, import_id, 0 FROM salesops.fact_sales_line LIMIT 1")
    checks = checks_by_name(big.refresh())
    assert not checks["no_duplicate_source_rows"].passed
    assert not checks["import_counts_match"].passed


def test_reset_drops_own_partitions(big, folder, sql, db) -> None:
    write_clean_workbook(folder / "jul.xlsx", [line(2), line(3), line(4)])
    big.run("jul.xlsx")
    reset(db)
    assert own_tables(sql) == []
    big.run("jul.xlsx")  # import 1 again, after the identities restarted
    assert own_tables(sql) == [("fact_sales_line_import_1", True)]
    assert len(fact_rows(sql)) == 3


@pytest.mark.parametrize("min_rows", [3, 0], ids=["own partition", "shared partition"])
@pytest.mark.parametrize(("emptied", "lost"), [("stage_sales_line", "reached the facts"),
                                                ("stage_rejected_row", "reached the quarantine")])
def test_staging_emptied_by_a_crash_never_publishes(big, folder, sql, db, min_rows: int,
                                                    emptied: str, lost: str) -> None:
    """A database crash empties the unlogged staging tables while the import log (logged) still
    says staged: publishing must refuse, not replace the file's facts by what is left."""
    path = folder / "may.xlsx"
    write_clean_workbook(path, [line(2), line(3), line(4)])
    big.run("may.xlsx")
    write_messy_workbook(path, seed=11, rows=60)
    import_id = _stage(db, folder, "may.xlsx")
    assert sql("SELECT count(*) FROM salesops.stage_rejected_row") != [(0,)]
    with connect(db) as conn:
        for table in loader.DIMENSIONS:  # the dimension steps ran, then the database crashed
            loader.upsert_dimension(conn, import_id=import_id, table=table)
        conn.execute(f"TRUNCATE salesops.{emptied}")  # what crash recovery does to it
    with pytest.raises(ImportConflict, match=f"{lost}.*rerun the import"), connect(db) as conn:
        loader.build_own_partition(conn, import_id=import_id, key="may.xlsx", min_rows=min_rows)
        loader.publish(conn, import_id=import_id, key="may.xlsx")
    assert {v[0].day for v in fact_rows(sql).values()} == {2, 3, 4}  # the old version, whole
    assert [r[1] for r in imports(sql)] == ["loaded", "staged"]
