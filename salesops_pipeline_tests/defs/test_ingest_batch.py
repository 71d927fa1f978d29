"""Batches: many new files imported by one run over their partition range, each exactly once."""

from __future__ import annotations

import shutil
import threading
from collections import defaultdict
from decimal import Decimal

from dagster import DagsterInstance

from salesops_pipeline.core.load import publish as loader
from salesops_pipeline.core.load import staging
from salesops_pipeline_tests.defs.test_ingest import line
from salesops_pipeline_tests.ingest_support import Ingestor, checks_by_name, fact_rows, imports
from salesops_pipeline_tests.workbooks import write_clean_workbook, write_messy_workbook


def test_batch_loads_each_file_once_with_its_own_outcome(ingest, folder, sql) -> None:
    books = [write_messy_workbook(folder / f"shop-{n}.xlsx", seed=20 + n, rows=150)
             for n in range(3)]
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook at all")
    shutil.copy(books[0].path, folder / "shop-0 (copy).xlsx")
    keys = ["shop-0.xlsx", "broken.xlsx", "shop-1.xlsx", "shop-0 (copy).xlsx", "shop-2.xlsx"]
    result = ingest.run_batch(keys)
    assert result.success

    expected = {(b.path.name, e.row_number): e for b in books for e in b.good}
    facts = fact_rows(sql)
    assert set(facts) == set(expected)
    by_seller: dict[str, Decimal] = defaultdict(Decimal)
    for e in expected.values():
        by_seller[e.seller] += e.total_price
    assert dict(sql("SELECT s.name, sum(f.total_price) FROM salesops.fact_sales_line f"
                    " JOIN salesops.dim_seller s USING (seller_id) GROUP BY 1")) == by_seller
    logged = {r[0]: r[1:] for r in imports(sql)}
    for book in books:
        assert logged[book.path.name][:4] == ("loaded", len(book.good) + len(book.rejected),
                                              len(book.good), len(book.rejected))
    assert logged["broken.xlsx"][0] == "rejected"
    assert logged["shop-0 (copy).xlsx"][0] == "duplicate"  # decided while shop-0 was staged

    # Per-file metadata on each partition's materialization; the checks cover the batch.
    raws = {m.partition: m.metadata for m in result.asset_materializations_for_node(
        "raw_sales_rows")}
    assert set(raws) == set(keys)
    assert raws["broken.xlsx"]["action"].value == "rejected"
    assert raws["shop-0 (copy).xlsx"]["action"].value == "duplicate"
    facts_meta = {m.partition: m.metadata for m in result.asset_materializations_for_node(
        "fact_sales_line")}
    assert facts_meta["shop-2.xlsx"]["rows_loaded"].value == len(books[2].good)
    checks = checks_by_name(result)
    readable = checks["file_is_readable_workbook"]
    assert readable.passed is False and "broken.xlsx" in readable.metadata["detail"].value
    assert checks["no_duplicate_source_rows"].passed
    assert checks["no_orphan_keys"].metadata["scope"].value.startswith("5 files: shop-0.xlsx")
    rejected_rows = sum(len(b.rejected) for b in books)
    assert checks["quarantined_rows"].metadata["count"].value == rejected_rows


def test_a_failing_file_fails_the_run_but_not_the_others(ingest, folder, sql,
                                                         monkeypatch) -> None:
    for name, day in (("a.xlsx", 2), ("b.xlsx", 3), ("c.xlsx", 4)):
        write_clean_workbook(folder / name, [line(day, seller=name)])
    publish = loader.publish

    def flaky(conn, *, import_id: int, key: str, **kw):
        if key == "b.xlsx":
            raise RuntimeError("disk on fire")
        return publish(conn, import_id=import_id, key=key, **kw)

    monkeypatch.setattr(loader, "publish", flaky)
    result = ingest.run_batch(["a.xlsx", "b.xlsx", "c.xlsx"])
    assert not result.success
    failure = [e for e in result.all_events if e.is_step_failure][0]
    assert "1 of 3 files not imported" in failure.event_specific_data.error.message
    assert "b.xlsx" in failure.event_specific_data.error.message
    logged = {r[0]: (r[1], r[5]) for r in imports(sql)}
    assert logged["a.xlsx"][0] == logged["c.xlsx"][0] == "loaded"
    assert logged["b.xlsx"][0] == "failed" and "disk on fire" in logged["b.xlsx"][1]
    assert {k[0] for k in fact_rows(sql)} == {"a.xlsx", "c.xlsx"}

    monkeypatch.setattr(loader, "publish", publish)  # fixed: importing again completes it
    assert ingest.run("b.xlsx").success
    assert {k[0] for k in fact_rows(sql)} == {"a.xlsx", "b.xlsx", "c.xlsx"}


def test_same_bytes_under_two_names_in_concurrent_runs_load_once(db, folder, sql) -> None:
    write_clean_workbook(folder / "may.xlsx", [line(d) for d in range(1, 29)])
    for n in range(3):
        shutil.copy(folder / "may.xlsx", folder / f"may ({n}).xlsx")
    names = ["may.xlsx", "may (0).xlsx", "may (1).xlsx", "may (2).xlsx"]
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with DagsterInstance.ephemeral() as instance:
                Ingestor(db, folder, instance).run(name)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(28,)]
    statuses = sorted(r[1] for r in imports(sql))
    assert statuses == ["duplicate", "duplicate", "duplicate", "loaded"]


def test_version_staged_by_a_dead_run_is_published_by_the_next(ingest, folder, sql, db) -> None:
    """A run killed after staging: the next import publishes the complete staged rows."""
    from salesops_pipeline.core.db.connect import connect
    from salesops_pipeline.core.extract.intake.file_keys import file_version
    from salesops_pipeline.core.load import import_log

    write_clean_workbook(folder / "jun.xlsx", [line(d) for d in range(1, 11)])
    version = file_version("jun.xlsx", folder)
    with connect(db) as conn:
        first = import_log.decide(conn.cursor(), version, "dead-run")
    with connect(db) as conn:
        staging.stage_file(conn, import_id=first.import_id, key="jun.xlsx",
                          path=folder / "jun.xlsx")
    with connect(db) as conn:
        again = import_log.decide(conn.cursor(), version, "next-run")
    assert again.action is import_log.Action.STAGED and again.import_id == first.import_id
    result = ingest.run("jun.xlsx")
    raw = result.asset_materializations_for_node("raw_sales_rows")[0].metadata
    assert raw["action"].value == "staged"
    assert imports(sql) == [("jun.xlsx", "loaded", 10, 10, 0, None)]
    assert len(fact_rows(sql)) == 10


def test_a_version_outdated_before_its_publish_is_not_published(ingest, folder, sql,
                                                                monkeypatch) -> None:
    """The file changes while its run is between staging and publishing (e.g. a batch run and
    the corrected re-export's own run overlap): the stale version must not overwrite anything;
    the newer bytes are imported by their own run."""
    path = folder / "jul.xlsx"
    write_clean_workbook(path, [line(1), line(2)])
    ingest.run("jul.xlsx")
    write_clean_workbook(path, [line(3, price="7.00")])  # v2, staged by the run below
    upsert = loader.upsert_dimension
    changed: list[bool] = []

    def change_file_then_upsert(conn, **kw):
        if not changed:  # v3 lands after v2 was staged, before v2 is published
            write_clean_workbook(path, [line(4, price="9.00"), line(5, price="9.00")])
            changed.append(True)
        return upsert(conn, **kw)

    monkeypatch.setattr(loader, "upsert_dimension", change_file_then_upsert)
    assert ingest.run("jul.xlsx").success
    monkeypatch.setattr(loader, "upsert_dimension", upsert)
    # v1 still visible; v2 skipped with the reason, nothing of it published.
    assert {k[1] for k in fact_rows(sql)} == {2, 3}
    logged = imports(sql)
    assert [r[1] for r in logged] == ["loaded", "superseded"]
    assert "the file changed" in logged[1][5]
    assert sql("SELECT count(*) FROM salesops.stage_sales_line") == [(0,)]
    ingest.run("jul.xlsx")  # the run the sensor requests for v3
    facts = fact_rows(sql)
    assert {k[1] for k in facts} == {2, 3} and {v[0].day for v in facts.values()} == {4, 5}
    assert [r[1] for r in imports(sql)] == ["superseded", "superseded", "loaded"]
