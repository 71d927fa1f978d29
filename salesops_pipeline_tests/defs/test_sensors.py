"""The file-drop sensor and the stale-reports sensor, through Dagster's own sensor context."""

from __future__ import annotations

import os
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context

from salesops_pipeline.core.folder_scan import load_state, scan
from salesops_pipeline.defs.resources import SalesFolderResource, WarehouseResource
from salesops_pipeline.defs.sensors import sales_folder_sensor, stale_reports_sensor
from salesops_pipeline_tests.workbooks import write_clean_workbook

ROWS = [{"sold_at": datetime(2026, 3, 2, 9), "product": "A", "seller": "S",
         "unit_price": Decimal("1.00"), "units": 1, "total_price": Decimal("1.00"),
         "shipping_company": "DHL"}]


def age(path: Path, seconds: float = 60) -> None:
    """Make the file look settled (written a while ago)."""
    past = time.time() - seconds
    os.utime(path, (past, past))



@pytest.fixture
def tick(db: str, folder: Path, tmp_path: Path):
    instance = DagsterInstance.ephemeral()
    resources = {
        "sales_folder": SalesFolderResource(data_dir=str(folder),
                                            export_dir=str(folder / "exports")),
        "warehouse": WarehouseResource(database_url=db),
    }
    state = {"cursor": None}

    def run():
        context = build_sensor_context(instance=instance, cursor=state["cursor"],
                                       resources=resources)
        result = sales_folder_sensor(context)
        state["cursor"] = result.cursor
        return result

    run.instance = instance
    yield run
    instance.dispose()


def test_new_file_requests_one_run_for_its_partition(tick, folder) -> None:
    (folder / "north").mkdir()
    path = write_clean_workbook(folder / "north" / "jan.xlsx", ROWS)
    age(path)
    first = tick()
    assert [r.partition_key for r in first.run_requests] == ["north/jan.xlsx"]
    assert first.run_requests[0].tags["salesops/file"] == "north/jan.xlsx"
    assert first.dynamic_partitions_requests[0].partition_keys == ["north/jan.xlsx"]
    again = tick()
    assert again.run_requests == [] and again.dynamic_partitions_requests == []


def test_changed_bytes_request_a_new_run_with_a_new_key(tick, folder) -> None:
    path = write_clean_workbook(folder / "feb.xlsx", ROWS)
    age(path, 120)
    first = tick().run_requests[0]
    write_clean_workbook(path, [*ROWS, *ROWS])
    age(path, 60)
    second = tick().run_requests
    assert len(second) == 1 and second[0].run_key != first.run_key
    assert second[0].partition_key == "feb.xlsx"
    # Touching without changing the bytes requests nothing.
    age(path, 30)
    assert tick().run_requests == []


def test_growing_file_waits_until_it_holds_still(tick, folder) -> None:
    path = folder / "big.xlsx"
    path.write_bytes(b"PK\x03\x04partial")
    assert tick().run_requests == []              # just written: wait
    with path.open("ab") as fh:
        fh.write(b"more bytes")
    assert tick().run_requests == []              # still changing: wait
    assert len(tick().run_requests) == 1          # unchanged since the last tick: go


def test_ignored_files_never_trigger_runs(tick, folder) -> None:
    for name in ("~$jan.xlsx", ".~lock.jan.xlsx#", ".hidden.xlsx", "notes.txt", "data.csv"):
        (folder / name).write_bytes(b"x")
        age(folder / name)
    (folder / "exports").mkdir()
    exported = write_clean_workbook(folder / "exports" / "week.xlsx", ROWS)
    age(exported)
    outside = write_clean_workbook(folder.parent / "outside.xlsx", ROWS)
    os.symlink(outside, folder / "link.xlsx")
    assert tick().run_requests == []


def test_vanished_file_is_marked_source_missing_and_keeps_data(tick, folder, sql) -> None:
    path = write_clean_workbook(folder / "gone.xlsx", ROWS)
    age(path)
    tick()
    sql("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status)"
        " VALUES ('gone.xlsx', %s, 1, 'loaded')", ("c" * 64,))
    path.unlink()
    assert tick().run_requests == []
    assert sql("SELECT source_missing FROM salesops.import_log") == [(True,)]
    # It comes back: requested again (the import then clears the flag).
    write_clean_workbook(folder / "gone.xlsx", ROWS)
    age(folder / "gone.xlsx")
    assert len(tick().run_requests) == 1


def test_tick_stays_cheap_with_thousands_of_files(tick, folder) -> None:
    template = write_clean_workbook(folder.parent / "t.xlsx", ROWS).read_bytes()
    for i in range(2000):
        p = folder / f"f{i:04}.xlsx"
        p.write_bytes(template + str(i).encode())
        age(p)
    first = tick()
    assert len(first.dynamic_partitions_requests[0].partition_keys) == 2000
    assert len(first.run_requests) == 2000 // 25  # in batches of SALESOPS_INGEST_BATCH_FILES
    assert tick().run_requests == []
    # The cursor is what makes it cheap: a second scan stats every file but hashes none.
    state = load_state(None)
    assert scan(folder, state).hashed == 2000
    (folder / "f0007.xlsx").write_bytes(template + b"changed")
    age(folder / "f0007.xlsx")
    again = scan(folder, state)
    assert again.hashed == 1 and [k for k, _, _ in again.new_versions] == ["f0007.xlsx"]


def test_stale_reports_sensor_requests_a_refresh_only_when_needed(db, sql) -> None:
    resources = {"warehouse": WarehouseResource(database_url=db)}
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, resources=resources)
        assert isinstance(stale_reports_sensor(context), SkipReason)
        sql("INSERT INTO salesops.report_dirty_day (day) VALUES ('2026-03-02')")
        request = stale_reports_sensor(build_sensor_context(instance=instance,
                                                            resources=resources))
        assert request.run_key.startswith("dirty:")


def test_many_new_files_are_batched_into_partition_ranges(tick, folder, db) -> None:
    for n in range(60):
        age(write_clean_workbook(folder / f"drop-{n:02d}.xlsx", ROWS))
    first = tick()
    added = first.dynamic_partitions_requests[0].partition_keys
    assert sorted(added) == [f"drop-{n:02d}.xlsx" for n in range(60)]
    ranges = [(r.tags["dagster/asset_partition_range_start"],
               r.tags["dagster/asset_partition_range_end"], r.tags["salesops/batch_files"])
              for r in first.run_requests]
    # Batches of SALESOPS_INGEST_BATCH_FILES (25) are contiguous slices of the order added.
    assert ranges == [(added[0], added[24], "25"), (added[25], added[49], "25"),
                      (added[50], added[59], "10")]
    assert all(r.partition_key is None for r in first.run_requests)
    assert len({r.run_key for r in first.run_requests}) == 3

    # The daemon adds the partitions; a changed known file then runs alone, new ones batched.
    tick.instance.add_dynamic_partitions("sales_files", list(added))
    write_clean_workbook(folder / "drop-07.xlsx", [*ROWS, *ROWS])
    age(folder / "drop-07.xlsx", 30)
    for name in ("late-a.xlsx", "late-b.xlsx"):
        age(write_clean_workbook(folder / name, ROWS))
    second = tick()
    lone = [r for r in second.run_requests if r.partition_key]
    assert [r.partition_key for r in lone] == ["drop-07.xlsx"]
    batch = [r for r in second.run_requests if not r.partition_key]
    assert [(r.tags["dagster/asset_partition_range_start"],
             r.tags["dagster/asset_partition_range_end"]) for r in batch] == [
        ("late-a.xlsx", "late-b.xlsx")]
    assert second.dynamic_partitions_requests[0].partition_keys == ["late-a.xlsx", "late-b.xlsx"]
