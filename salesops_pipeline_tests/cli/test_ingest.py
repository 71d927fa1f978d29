"""`salesops ingest` of files outside SALES_DATA_DIR: copied into it (never over a different file
of the same name), imported once, and not imported a second time by the sensor."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from datetime import datetime
from decimal import Decimal
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


# ---- progress ----------------------------------------------------------------------------------

PROGRESS_ROWS = [*ROWS, sale(14, "Lamp", "Ada", "19.90", 4),
                 {"sold_at": datetime(2025, 1, 15, 10), "product": "Broken", "seller": "Ada",
                  "unit_price": "not a price", "units": 1, "total_price": Decimal("1.00"),
                  "shipping_company": "DHL"},
                 {"product": "Grand Total", "total_price": Decimal("600.00")}]
GOOD, BAD, TOTALS = 3, 1, 1  # the sales lines, the quarantined row and the total row above
DAGSTER_EVENTS = ("RUN_START", "STEP_START", "STEP_SUCCESS", "ASSET_MATERIALIZATION",
                  "RUN_SUCCESS")


def progress_lines(key: str) -> list[str]:
    rows = GOOD + BAD + TOTALS
    return [f"[1/1] {key}: importing …", f"[1/1] {key}: parsed {rows} rows",
            f"[1/1] {key}: staged {GOOD} lines", f"[1/1] {key}: published {GOOD} lines",
            f"[1/1] {key}: loaded {GOOD} of {GOOD + BAD} rows, {BAD} quarantined, "
            f"{TOTALS} skipped"]


def test_without_a_terminal_each_stage_is_one_line_and_dagster_stays_quiet(
        db: str, tmp_path: Path, folder: Path) -> None:
    write_clean_workbook(folder / "w1.xlsx", PROGRESS_ROWS)
    result = salesops("ingest", "w1.xlsx", env=cli_env(tmp_path, folder, db))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[:5] == progress_lines("w1.xlsx"), result.stdout
    assert "\r" not in result.stdout  # no bar
    assert not [e for e in DAGSTER_EVENTS if e in result.stderr], result.stderr
    assert "parsed" not in result.stderr and " - INFO - " not in result.stderr


def test_verbose_adds_dagsters_events_and_the_runs_progress_log(
        db: str, tmp_path: Path, folder: Path) -> None:
    write_clean_workbook(folder / "w1.xlsx", PROGRESS_ROWS)
    result = salesops("ingest", "--verbose", "w1.xlsx", env=cli_env(tmp_path, folder, db))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[:5] == progress_lines("w1.xlsx")
    assert all(e in result.stderr for e in DAGSTER_EVENTS), result.stderr
    for stage_line in progress_lines("w1.xlsx")[1:4]:  # the run log has the same words
        assert stage_line.removeprefix("[1/1] ") in result.stderr


def test_on_a_terminal_each_stage_is_a_bar_that_ends_at_its_count(
        db: str, tmp_path: Path, folder: Path) -> None:
    write_clean_workbook(folder / "w1.xlsx", PROGRESS_ROWS)
    out = run_on_terminal(["ingest", "w1.xlsx"], cli_env(tmp_path, folder, db),
                          tmp_path / "stderr.txt")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "\r" in out.stdout  # bars redraw in place
    shown = [line.split("\r")[-1].rstrip() for line in out.stdout.split("\r\n")]
    expected = progress_lines("w1.xlsx")
    assert shown[0] == expected[0] and shown[4] == expected[4]
    # Each stage's bar stays as its last state: the final count, 100 %.
    for bar, words in zip(shown[1:4], expected[1:4], strict=True):
        assert bar.startswith(words + " |") and "100%" in bar, (bar, words)
    assert not [e for e in DAGSTER_EVENTS if e in out.stderr], out.stderr


def run_on_terminal(args: list[str], env: dict[str, str], errors: Path
                    ) -> subprocess.CompletedProcess[str]:
    """`salesops ARGS` with stdout on a pseudo-terminal (120 columns), stderr into ``errors``."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    with errors.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "salesops_pipeline.cli", *args], env=env,
                                stdout=slave, stderr=err, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    code = proc.wait(timeout=180)
    return subprocess.CompletedProcess(args, code, b"".join(chunks).decode(),
                                       errors.read_text())
