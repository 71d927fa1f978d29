"""Withdrawing a file: its facts leave, the reports refresh to the other files' figures, its bytes
in the folder do not bring it back, new bytes and `--reimport` do."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from dagster import DagsterInstance, RunRequest, build_sensor_context

from salesops_pipeline.cli.main import main
from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.db.migrations import upgrade
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.load.withdraw import withdraw_file
from salesops_pipeline.defs.ingest import FILE_TAG, REIMPORT_TAG, ingest_job
from salesops_pipeline.defs.resources import WarehouseResource
from salesops_pipeline.defs.sensors import stale_reports_sensor
from salesops_pipeline.defs.withdraw import withdraw_file as withdraw_job
from salesops_pipeline.errors import NothingToWithdraw
from salesops_pipeline_tests.cli.support import cli_env
from salesops_pipeline_tests.defs.test_own_partition import own_tables
from salesops_pipeline_tests.defs.test_reports import assert_reports_match, generate
from salesops_pipeline_tests.ingest_support import Ingestor, fact_rows, imports
from salesops_pipeline_tests.workbooks import write_clean_workbook

BAD = {"sold_at": None, "product": "Laptop", "seller": "Ada", "unit_price": Decimal("1.00"),
       "units": "lots", "total_price": Decimal("1.00"), "shipping_company": "DHL"}


def two_files(ingest: Ingestor) -> tuple[list[dict], list[dict]]:
    """jan.xlsx (300 lines + 2 quarantined) and feb.xlsx (250 lines + 1), both loaded."""
    jan = generate(11, 300, date(2026, 1, 5), 21)
    feb = generate(12, 250, date(2026, 1, 19), 28)
    write_clean_workbook(ingest.folder / "jan.xlsx", [*jan[:100], BAD, *jan[100:], BAD])
    write_clean_workbook(ingest.folder / "feb.xlsx", [*feb, BAD])
    ingest.run("jan.xlsx")
    ingest.run("feb.xlsx")
    assert ingest.refresh().success
    return jan, feb


def run_withdraw(ingest: Ingestor, key: str):
    return withdraw_job.execute_in_process(
        partition_key=key, instance=ingest.instance, raise_on_error=False,
        resources={"warehouse": WarehouseResource(database_url=ingest.database_url)})


def rejected_counted(sql) -> int:
    return sql("SELECT coalesce(sum(rejected_row_count), 0)"
               " FROM salesops.report_daily_quality")[0][0]


def test_withdraw_job_removes_the_file_and_the_refresh_leaves_the_other_files(ingest, sql
                                                                             ) -> None:
    jan, feb = two_files(ingest)
    assert rejected_counted(sql) == 3
    result = run_withdraw(ingest, "jan.xlsx")
    assert result.success
    output = next(e for e in result.events_for_node("withdraw_loaded_version")
                  if e.event_type_value == "STEP_OUTPUT")
    meta = {k: v.value for k, v in output.event_specific_data.metadata.items()}
    today = sql("SELECT current_date")[0][0]
    jan_days = {r["sold_at"].date() for r in jan}
    assert (meta["rows_removed"], meta["import_id"], meta["days_marked"]) == (
        300, 1, len(jan_days | {today}))
    assert {r[0] for r in sql("SELECT day FROM salesops.report_dirty_day")} == jan_days | {today}
    assert fact_rows(sql, "jan.xlsx") == {}
    assert [r[:2] for r in imports(sql)] == [("jan.xlsx", "withdrawn"), ("feb.xlsx", "loaded")]
    observation = result.asset_observations_for_node("withdraw_loaded_version")[0]
    assert (observation.partition, observation.metadata["action"].value) == ("jan.xlsx",
                                                                            "withdrawn")
    # The stale-reports sensor asks for the refresh, as after any import; it leaves feb alone.
    request = stale_reports_sensor(build_sensor_context(
        instance=ingest.instance, resources={"warehouse": WarehouseResource(
            database_url=ingest.database_url)}))
    assert isinstance(request, RunRequest)
    refreshed = ingest.refresh()
    assert refreshed.success  # every check too, reports_reconcile and import_counts_match included
    assert_reports_match(sql, feb)
    assert rejected_counted(sql) == 1  # jan's quarantined rows no longer count
    assert sql("SELECT count(*) FROM salesops.rejected_row WHERE import_id = 1") == [(2,)]


def test_withdrawn_bytes_stay_out_until_reimported_with_exact_figures(ingest, sql) -> None:
    jan, feb = two_files(ingest)
    before = fact_rows(sql, "jan.xlsx")
    assert run_withdraw(ingest, "jan.xlsx").success
    again = ingest.run("jan.xlsx")  # the bytes are still in the folder (a sensor re-scan)
    raw = again.asset_materializations_for_node("raw_sales_rows")[0]
    assert raw.metadata["action"].value == "withdrawn"
    assert "--reimport jan.xlsx" in raw.metadata["detail"].value
    assert fact_rows(sql, "jan.xlsx") == {}
    assert [r[:2] for r in imports(sql)] == [("jan.xlsx", "withdrawn"), ("feb.xlsx", "loaded")]
    job = ingest.definitions().resolve_job_def(ingest_job.name)
    back = job.execute_in_process(partition_key="jan.xlsx", instance=ingest.instance,
                                  tags={FILE_TAG: "jan.xlsx", REIMPORT_TAG: "true"})
    assert back.success
    assert fact_rows(sql, "jan.xlsx") == before
    assert imports(sql)[0] == ("jan.xlsx", "loaded", 302, 300, 2, None)
    assert sql("SELECT withdrawn_at FROM salesops.import_log WHERE import_id = 1") == [(None,)]
    assert ingest.refresh().success
    assert_reports_match(sql, jan + feb)
    assert rejected_counted(sql) == 3


def test_new_bytes_under_a_withdrawn_name_import_normally(ingest, sql) -> None:
    jan, feb = two_files(ingest)
    assert run_withdraw(ingest, "jan.xlsx").success
    fixed = generate(13, 40, date(2026, 2, 2), 7)
    write_clean_workbook(ingest.folder / "jan.xlsx", fixed)
    ingest.run("jan.xlsx")
    assert [r[:4] for r in imports(sql)] == [("jan.xlsx", "withdrawn", 302, 300),
                                             ("feb.xlsx", "loaded", 251, 250),
                                             ("jan.xlsx", "loaded", 40, 40)]
    assert ingest.refresh().success
    assert_reports_match(sql, feb + fixed)


def test_same_bytes_as_a_withdrawn_file_under_another_name_are_not_a_duplicate(ingest, sql
                                                                               ) -> None:
    rows = generate(14, 30, date(2026, 3, 2), 5)
    write_clean_workbook(ingest.folder / "a.xlsx", rows)
    ingest.run("a.xlsx")
    assert run_withdraw(ingest, "a.xlsx").success
    (ingest.folder / "b.xlsx").write_bytes((ingest.folder / "a.xlsx").read_bytes())
    ingest.run("b.xlsx")
    assert [r[:4] for r in imports(sql)] == [("a.xlsx", "withdrawn", 30, 30),
                                             ("b.xlsx", "loaded", 30, 30)]
    assert ingest.refresh().success
    assert_reports_match(sql, rows)


def test_nothing_loaded_is_refused_saying_what_the_log_shows(ingest, db, sql) -> None:
    write_clean_workbook(ingest.folder / "a.xlsx", generate(15, 5, date(2026, 3, 2), 2))
    ingest.run("a.xlsx")
    (ingest.folder / "broken.xlsx").write_bytes(b"not a workbook")
    ingest.run("broken.xlsx")
    with connect(db) as conn, pytest.raises(NothingToWithdraw, match="no such file"):
        withdraw_file(conn, "nope.xlsx")
    with connect(db) as conn, pytest.raises(NothingToWithdraw, match="is rejected"):
        withdraw_file(conn, "broken.xlsx")
    assert run_withdraw(ingest, "a.xlsx").success
    failed = run_withdraw(ingest, "a.xlsx")
    assert not failed.success
    failure = failed.failure_data_for_node("withdraw_loaded_version")
    assert "already withdrawn" in failure.user_failure_data.description
    assert "salesops ingest --reimport a.xlsx" in failure.user_failure_data.description
    assert [r[1] for r in imports(sql)] == ["withdrawn", "rejected"]


def test_cli_withdraw_of_a_large_version_retires_its_partition(db, folder, sql, monkeypatch,
                                                                capsys) -> None:
    monkeypatch.setenv("SALES_DATA_DIR", str(folder))
    rows = generate(16, 20, date(2026, 3, 2), 5)
    write_clean_workbook(folder / "big.xlsx", rows)
    with DagsterInstance.ephemeral() as instance:
        Ingestor(db, folder, instance, own_partition_rows=3).run("big.xlsx")
    assert own_tables(sql) == [("fact_sales_line_import_1", True)]
    assert main(["withdraw", "unknown.xlsx", "--yes"]) == 1
    assert "no such file in the import log" in capsys.readouterr().err
    assert main(["withdraw", "big.xlsx"]) == 1  # not a terminal: refuses without --yes
    assert sql("SELECT status FROM salesops.import_log") == [("loaded",)]
    assert main(["withdraw", str(folder / "big.xlsx"), "--yes"]) == 0  # a path works too
    out = capsys.readouterr().out
    assert "20 sales lines will be removed" in out and "withdrawn: 20 rows removed" in out
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(0,)]
    assert own_tables(sql) == []
    assert sql("SELECT status FROM salesops.import_log") == [("withdrawn",)]


def test_cli_ingest_reimport_brings_a_withdrawn_file_back(db, folder, sql, tmp_path) -> None:
    rows = generate(17, 25, date(2026, 3, 2), 5)
    write_clean_workbook(folder / "jan.xlsx", rows)
    env = cli_env(tmp_path, folder, db)  # its own Dagster storage: no runs left in the shared one

    def salesops(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "salesops_pipeline.cli", *args], env=env,
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)

    assert salesops("ingest", str(folder / "jan.xlsx")).returncode == 0
    done = salesops("withdraw", "jan.xlsx", "--yes")
    assert done.returncode == 0, done.stderr
    kept_out = salesops("ingest", "jan.xlsx")  # a name as the log shows it, from elsewhere
    assert kept_out.returncode == 0, kept_out.stdout + kept_out.stderr
    assert "jan.xlsx: withdrawn: 25 fact rows removed" in kept_out.stdout
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(0,)]
    back = salesops("ingest", "--reimport", "jan.xlsx")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "loaded 25 of 25 rows" in back.stdout
    facts = sql("SELECT sum(total_price), sum(units), count(*) FROM salesops.fact_sales_line")
    assert facts == [(sum((r["total_price"] for r in rows), Decimal(0)),
                      sum((Decimal(r["units"]) for r in rows), Decimal(0)), 25)]


def test_status_check_is_upgraded_in_place_and_lists_every_status(db, sql) -> None:
    def check() -> tuple[int, str]:
        return sql("SELECT oid, pg_get_constraintdef(oid) FROM pg_constraint"
                   " WHERE conname = 'import_log_status_check'")[0]

    sql("ALTER TABLE salesops.import_log DROP CONSTRAINT import_log_status_check,"
        " ADD CONSTRAINT import_log_status_check CHECK (status IN ('running', 'staged',"
        " 'loaded', 'rejected', 'duplicate', 'superseded', 'failed'))")  # the old schema
    sql("ALTER TABLE salesops.import_log DROP COLUMN withdrawn_at")
    sql("DROP TABLE salesops.alembic_version")  # a database from before Alembic: upgraded in place
    upgrade(db)
    oid, definition = check()
    assert set(re.findall(r"'(\w+)'::text", definition)) == {s.value for s in ImportStatus}
    upgrade(db)
    assert check()[0] == oid  # nothing to do: not replaced again
    assert sql("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'salesops'"
               " AND table_name = 'import_log' AND column_name = 'withdrawn_at'") == [(1,)]
    with pytest.raises(psycopg.errors.CheckViolation):
        sql("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status)"
            " VALUES ('x.xlsx', %s, 1, 'gone')", ("0" * 64,))
