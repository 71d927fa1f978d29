"""The file-drop sensor and the stale-reports sensor, through Dagster's own sensor context."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context

from salesops_pipeline.core.extract.intake import folder_scan
from salesops_pipeline.core.extract.intake.folder_scan import load_state, scan
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
    warnings: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    def run(cursor: str | None = None):
        context = build_sensor_context(instance=instance, cursor=cursor or state["cursor"],
                                       resources=resources)
        context.log.addHandler(Keep())  # the sensor's own logger, as the tick records it
        result = sales_folder_sensor(context)
        state["cursor"] = result.cursor
        return result

    run.instance = instance
    run.warnings = warnings
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
    for name in ("~$jan.xlsx", ".~lock.jan.xlsx#", ".hidden.xlsx", "notes.txt", "report.pdf"):
        (folder / name).write_bytes(b"x")
        age(folder / name)
    (folder / "exports").mkdir()
    exported = write_clean_workbook(folder / "exports" / "week.xlsx", ROWS)
    age(exported)
    outside = write_clean_workbook(folder.parent / "outside.xlsx", ROWS)
    os.symlink(outside, folder / "link.xlsx")
    assert tick().run_requests == []


ACCEPTED = "(accepted: .xlsx, .xlsm, .xlsb, .xls, .csv, .tsv)"


def test_csv_and_tsv_exports_are_requested_like_workbooks(tick, folder) -> None:
    (folder / "north").mkdir()
    for name in ("jan.csv", "north/feb.TSV"):
        (folder / name).write_text("Time,Product\n", encoding="utf-8")
        age(folder / name)
    first = tick()
    assert first.dynamic_partitions_requests[0].partition_keys == ["jan.csv", "north/feb.TSV"]
    [batch] = first.run_requests  # two new files: one run over their partition range
    assert (batch.tags["dagster/asset_partition_range_start"],
            batch.tags["dagster/asset_partition_range_end"]) == ("jan.csv", "north/feb.TSV")
    assert tick.warnings == []


def test_an_unsupported_file_is_logged_once_and_locks_stay_silent(tick, folder) -> None:
    (folder / "north").mkdir()
    for name in ("report.pdf", "north/letter.docx", "~$jan.xlsx", ".~lock.jan.xlsx#",
                 ".DS_Store", "jan.xlsx.crdownload"):
        (folder / name).write_bytes(b"x")
    first = tick()
    assert first.run_requests == []
    assert tick.warnings == [f"north/letter.docx: not imported: .docx files are not sales "
                             f"exports {ACCEPTED}",
                             f"report.pdf: not imported: .pdf files are not sales exports "
                             f"{ACCEPTED}"]
    assert json.loads(first.cursor)["reported"] == ["north/letter.docx", "report.pdf"]
    for _ in range(3):
        assert tick().run_requests == []
    assert len(tick.warnings) == 2
    # A new one is reported alone; one that left the folder is forgotten (and reported again
    # if it is dropped once more).
    (folder / "notes.txt").write_bytes(b"x")
    (folder / "report.pdf").unlink()
    tick()
    assert tick.warnings[2:] == [f"notes.txt: not imported: .txt files are not sales exports "
                                 f"{ACCEPTED}"]
    assert json.loads(tick().cursor)["reported"] == ["north/letter.docx", "notes.txt"]
    (folder / "report.pdf").write_bytes(b"x")
    tick()
    tick()
    assert [w.split(":")[0] for w in tick.warnings] == [
        "north/letter.docx", "report.pdf", "notes.txt", "report.pdf"]


def test_links_and_special_files_are_logged_once_and_never_opened(tick, folder) -> None:
    """A FIFO would block whoever opens it: the sensor names it from the listing alone."""
    good = write_clean_workbook(folder / "jan.xlsx", ROWS)
    age(good)
    os.mkfifo(folder / "x.csv")
    os.symlink("/dev/null", folder / "null.xlsx")
    os.symlink(good, folder / "alias.xlsx")
    first = tick()
    assert [r.partition_key for r in first.run_requests] == ["jan.xlsx"]
    link = ("a symbolic link (links are not followed: only regular files inside the data folder "
            "are read)")
    assert tick.warnings == [f"alias.xlsx: not imported: {link}",
                             f"null.xlsx: not imported: {link}",
                             "x.csv: not imported: a FIFO (named pipe), not a regular file"]
    assert tick().run_requests == [] and len(tick.warnings) == 3


def test_the_reported_names_are_bounded(tick, folder, monkeypatch) -> None:
    monkeypatch.setattr(folder_scan, "MAX_REPORTED", 3)
    for n in range(5):
        (folder / f"scan-{n}.pdf").write_bytes(b"x")
    first = tick()
    assert [w.split(":")[0] for w in tick.warnings] == [
        "scan-0.pdf", "scan-1.pdf", "scan-2.pdf",
        "2 more file(s) in the folder not imported (not sales exports, or not readable; "
        "not listed one by one)"]
    assert json.loads(first.cursor)["reported"] == ["scan-0.pdf", "scan-1.pdf", "scan-2.pdf"]
    (folder / "scan-1.pdf").unlink()  # room for one more
    tick()
    assert tick.warnings[4:] == [
        f"scan-3.pdf: not imported: .pdf files are not sales exports {ACCEPTED}",
        "1 more file(s) in the folder not imported (not sales exports, or not readable; "
        "not listed one by one)"]


def test_a_cursor_of_the_first_format_still_reads(tick, folder) -> None:
    """Written before unsupported files were remembered: a bare {key: [size, mtime, ...]}."""
    path = write_clean_workbook(folder / "jan.xlsx", ROWS)
    age(path)
    (folder / "report.pdf").write_bytes(b"x")
    first = tick()
    assert [r.partition_key for r in first.run_requests] == ["jan.xlsx"]
    old = json.dumps(json.loads(first.cursor)["files"])
    again = tick(cursor=old)
    assert again.run_requests == []          # the file's version is remembered
    assert len(tick.warnings) == 2           # the pdf is reported once more, then not again
    assert tick().run_requests == [] and len(tick.warnings) == 2


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
