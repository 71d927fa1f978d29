"""`salesops ingest` of files outside SALES_DATA_DIR: copied into it (never over a different file
of the same name), imported once, and not imported a second time by the sensor."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context

from salesops_pipeline.defs.resources import SalesFolderResource, WarehouseResource
from salesops_pipeline.defs.sensors import sales_folder_sensor
from salesops_pipeline_tests.cli.support import cli_env, salesops
from salesops_pipeline_tests.ingest_support import Ingestor, fact_rows, imports
from salesops_pipeline_tests.reliability.harness import sale
from salesops_pipeline_tests.workbooks import write_clean_workbook

ROWS = [sale(12, "Cable", "Ada", "3.10", 7), sale(13, "Desk", "Grace", "249.99", 2, None)]


def expected_facts(key: str, rows: list[dict[str, object]]) -> dict[tuple[str, int], tuple]:
    """The fact rows of a clean workbook (header on row 1), from the rows written."""
    return {(key, n): (r["sold_at"], r["product"], r["seller"], r["shipping_company"],
                       r["unit_price"], r["units"], r["total_price"])
            for n, r in enumerate(rows, start=2)}


def folder_contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def test_sales_data_file_outside_is_copied_imported_and_not_reimported_by_the_sensor(
        db: str, tmp_path: Path, folder: Path, elsewhere: Path, sql) -> None:
    source = write_clean_workbook(elsewhere / "april.xlsx", ROWS)
    env = {**cli_env(tmp_path, folder, db), "SALES_DATA_FILE": str(source)}
    result = salesops("ingest", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"copied {source} into the data folder as april.xlsx" in result.stdout
    assert folder_contents(folder) == {"april.xlsx": source.read_bytes()}
    assert fact_rows(sql) == expected_facts("april.xlsx", ROWS)
    logged = imports(sql)
    assert logged == [("april.xlsx", "loaded", 2, 2, 0, None)]

    # The sensor, which never saw the file, finds it and asks for its version once; that run
    # finds the same name and bytes loaded and changes nothing.
    resources = {
        "sales_folder": SalesFolderResource(data_dir=str(folder), settle_seconds=0,
                                            export_dir=str(tmp_path / "exports")),
        "warehouse": WarehouseResource(database_url=db),
    }
    with DagsterInstance.ephemeral() as instance:
        first = sales_folder_sensor(build_sensor_context(instance=instance, resources=resources))
        assert [r.partition_key for r in first.run_requests] == ["april.xlsx"]
        again = sales_folder_sensor(build_sensor_context(instance=instance, cursor=first.cursor,
                                                         resources=resources))
        assert again.run_requests == []
        run = Ingestor(db, folder, instance).run("april.xlsx")
    assert run.success
    assert imports(sql) == logged
    assert sql("SELECT count(*) FROM salesops.import_log") == [(1,)]
    assert fact_rows(sql) == expected_facts("april.xlsx", ROWS)


def test_a_different_file_of_the_same_name_in_the_folder_is_never_replaced(
        db: str, tmp_path: Path, folder: Path, elsewhere: Path, sql) -> None:
    write_clean_workbook(folder / "april.xlsx", [sale(20, "Kept")])
    before = folder_contents(folder)
    source = write_clean_workbook(elsewhere / "april.xlsx", ROWS)
    result = salesops("ingest", str(source), env=cli_env(tmp_path, folder, db))
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith("error: cannot copy") and message.count("\n") == 0
    assert str(source) in message and str(folder.resolve() / "april.xlsx") in message
    assert "rename" in message and "remove" in message
    assert "Traceback" not in result.stdout + result.stderr
    assert folder_contents(folder) == before
    assert sql("SELECT count(*) FROM salesops.import_log") == [(0,)]
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(0,)]


def test_two_different_files_of_one_name_copy_nothing(
        db: str, tmp_path: Path, folder: Path, elsewhere: Path, sql) -> None:
    (elsewhere / "a").mkdir()
    first = write_clean_workbook(elsewhere / "a" / "april.xlsx", ROWS)
    second = write_clean_workbook(elsewhere / "april.xlsx", [sale(20, "Other")])
    result = salesops("ingest", str(first), str(second), env=cli_env(tmp_path, folder, db))
    assert result.returncode == 1
    assert str(first) in result.stderr and str(second) in result.stderr
    assert folder_contents(folder) == {}
    assert sql("SELECT count(*) FROM salesops.import_log") == [(0,)]


def test_the_same_bytes_already_in_the_folder_are_imported_in_place(
        db: str, tmp_path: Path, folder: Path, elsewhere: Path, sql) -> None:
    source = write_clean_workbook(elsewhere / "april.xlsx", ROWS)
    shutil.copyfile(source, folder / "april.xlsx")
    result = salesops("ingest", str(source), env=cli_env(tmp_path, folder, db))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{source}: already in the data folder as april.xlsx (same bytes)" in result.stdout
    assert folder_contents(folder) == {"april.xlsx": source.read_bytes()}
    assert fact_rows(sql) == expected_facts("april.xlsx", ROWS)


def test_a_file_that_is_no_sales_export_is_skipped_with_the_reason(
        db: str, tmp_path: Path, folder: Path, elsewhere: Path, sql) -> None:
    (elsewhere / "report.pdf").write_bytes(b"%PDF-1.7")
    (elsewhere / "~$april.xlsx").write_bytes(b"lock")
    result = salesops("ingest", str(elsewhere / "report.pdf"), str(elsewhere / "~$april.xlsx"),
                      env=cli_env(tmp_path, folder, db))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"skipping {elsewhere / 'report.pdf'}: .pdf files are not sales exports (accepted: "
        ".xlsx, .xlsm, .xlsb, .xls, .csv, .tsv)",
        f"skipping {elsewhere / '~$april.xlsx'}: a lock, hidden or temporary file",
        "no workbook to import"]
    assert folder_contents(folder) == {}
