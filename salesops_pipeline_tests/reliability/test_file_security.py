"""Nothing outside SALES_DATA_DIR is ever read, and no password reaches an error or a log.

"Read" is observed, not assumed: ``watch_reads`` records every file this process opens (Python's
audit hook) that resolves into the forbidden folder, while the sensor and the ingest job run.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from dagster import DagsterInstance, build_sensor_context
from dagster._serdes import serialize_value

from salesops_pipeline.core.load import import_log
from salesops_pipeline.defs.resources import SalesFolderResource, WarehouseResource
from salesops_pipeline.defs.sensors import sales_folder_sensor
from salesops_pipeline_tests.cli.support import cli_env, salesops
from salesops_pipeline_tests.ingest_support import Ingestor, fact_rows
from salesops_pipeline_tests.pg import free_port
from salesops_pipeline_tests.reliability import corpus
from salesops_pipeline_tests.reliability.harness import (
    GOOD_FILE,
    Bench,
    open_sql,
    sale,
    watch_reads,
)
from salesops_pipeline_tests.workbooks import write_clean_workbook

reliability = pytest.mark.reliability
PASSWORD = "S3cr3t-pw"
SECRET_PRODUCT = "TOP SECRET"


@pytest.fixture
def secret(shared_bench: Bench) -> Path:
    """A valid workbook next to (not inside) the drop folder."""
    outside = shared_bench.folder.parent / "outside"
    outside.mkdir(exist_ok=True)
    return write_clean_workbook(outside / "secret.xlsx", [sale(9, SECRET_PRODUCT)])


def failure_message(result) -> str:
    failures = [event for event in result.all_events if event.is_step_failure]
    assert failures, "the run did not fail"
    return failures[0].step_failure_data.error.message


def sensor_keys(bench: Bench) -> list[str]:
    """Partition keys the real file-drop sensor requests for the folder as it is now."""
    resources = {
        "sales_folder": SalesFolderResource(data_dir=str(bench.folder), settle_seconds=0,
                                            export_dir=str(bench.folder.parent / "exports")),
        "warehouse": WarehouseResource(database_url=bench.ingest.database_url),
    }
    context = build_sensor_context(instance=bench.ingest.instance, resources=resources)
    return [request.partition_key for request in sales_folder_sensor(context).run_requests]


def assert_refused(bench: Bench, key: str, secret: Path, fragment: str,
                   record_happened) -> None:
    """The run fails naming the problem, the secret is never opened, nothing is recorded."""
    with watch_reads(secret.parent) as reads:
        result = bench.ingest.run(key, raise_on_error=False)
    message = failure_message(result)
    record_happened("run refused: " + message.strip().removeprefix(
        "dagster._core.definitions.events.Failure: "))
    assert not result.success and fragment in message
    assert reads == []
    assert bench.sql("SELECT count(*) FROM salesops.import_log WHERE source_file = %s",
                     (key,)) == [(0,)]
    assert bench.sql("SELECT count(*) FROM salesops.fact_sales_line f"
                     " JOIN salesops.dim_product p USING (product_id) WHERE p.name = %s",
                     (SECRET_PRODUCT,)) == [(0,)]
    assert bench.intact()


# ---- crafted partition keys --------------------------------------------------------------------


@pytest.mark.parametrize(("key", "fragment"), [
    pytest.param("../outside/secret.xlsx", "invalid file key", id="dotdot",
                 marks=reliability(case="partition key ../outside/secret.xlsx")),
    pytest.param("north/../../outside/secret.xlsx", "invalid file key", id="nested-dotdot",
                 marks=reliability(case="partition key north/../../outside/secret.xlsx")),
    pytest.param("..", "invalid file key", id="bare-dotdot",
                 marks=reliability(case="partition key ..")),
    pytest.param("/etc/passwd", "invalid file key", id="absolute",
                 marks=reliability(case="partition key /etc/passwd (absolute)")),
    pytest.param("{secret}", "invalid file key", id="absolute-secret",
                 marks=reliability(case="partition key = absolute path of a workbook outside")),
])
def test_a_crafted_partition_key_is_refused_before_any_read(
        shared_bench: Bench, secret: Path, record_happened, key: str, fragment: str) -> None:
    """Refused by the ingest asset; the file outside is never opened."""
    assert_refused(shared_bench, key.format(secret=secret), secret, fragment, record_happened)


# ---- symlinks ----------------------------------------------------------------------------------


@reliability(case="a symlink in the folder to a workbook outside")
def test_a_symlink_to_a_file_outside_is_skipped_and_refused(
        shared_bench: Bench, secret: Path, record_happened) -> None:
    """Skipped by the sensor; refused by the ingest asset; the target is never opened."""
    (shared_bench.folder / "link.xlsx").symlink_to(secret)
    try:
        with watch_reads(secret.parent) as reads:
            keys = sensor_keys(shared_bench)
        assert "link.xlsx" not in keys and GOOD_FILE in keys and reads == []
        assert_refused(shared_bench, "link.xlsx", secret, "points outside the data folder",
                       record_happened)
    finally:
        (shared_bench.folder / "link.xlsx").unlink()


@reliability(case="a symlink in the folder to a directory outside")
def test_a_symlink_to_a_directory_outside_is_not_followed(
        shared_bench: Bench, secret: Path, record_happened) -> None:
    """Not walked by the sensor; its files are refused by the ingest asset."""
    (shared_bench.folder / "shared").symlink_to(secret.parent, target_is_directory=True)
    try:
        with watch_reads(secret.parent) as reads:
            keys = sensor_keys(shared_bench)
        assert not [k for k in keys if k.startswith("shared/")] and reads == []
        assert_refused(shared_bench, "shared/secret.xlsx", secret,
                       "points outside the data folder", record_happened)
    finally:
        (shared_bench.folder / "shared").unlink()


@reliability(case="a symlink in the folder to another file in the folder")
def test_a_symlink_to_a_file_inside_is_skipped_and_refused(
        shared_bench: Bench, record_happened) -> None:
    """Skipped by the sensor; run by hand the import refuses links: nothing read, nothing logged."""
    bench = shared_bench
    (bench.folder / "alias.xlsx").symlink_to(bench.folder / GOOD_FILE)
    try:
        assert "alias.xlsx" not in sensor_keys(bench)
        run = bench.ingest.run("alias.xlsx", raise_on_error=False)
    finally:
        (bench.folder / "alias.xlsx").unlink()
    failure = next(e for e in run.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    record_happened(f"skipped by the sensor; run by hand: refused ({message.strip()})")
    assert not run.success and "symbolic link" in message
    assert bench.sql("SELECT count(*) FROM salesops.import_log WHERE source_file ="
                     " 'alias.xlsx'") == [(0,)]
    bench.assert_untouched(loaded=False)


@reliability(case="a file swapped for a symlink to outside while its import runs",
             lost="nothing")
def test_a_symlink_swapped_in_after_the_check_is_not_followed(
        shared_bench: Bench, secret: Path, record_happened, monkeypatch) -> None:
    """The file is opened once and only inside the folder, even if it is replaced meanwhile."""
    bench = shared_bench
    victim = write_clean_workbook(bench.folder / "swap.xlsx", [sale(10, "Harmless")])
    decide = import_log.decide

    def decide_then_swap(*args, **kwargs):
        victim.unlink()  # what a second process (or a user's sync tool) could do right now
        victim.symlink_to(secret)
        return decide(*args, **kwargs)

    monkeypatch.setattr(import_log, "decide", decide_then_swap)
    try:
        with watch_reads(secret.parent) as reads:
            bench.ingest.run("swap.xlsx", raise_on_error=False)
    finally:
        victim.unlink(missing_ok=True)
    loaded = {values[1] for values in fact_rows(bench.sql, "swap.xlsx").values()}
    record_happened(f"loaded products {sorted(loaded)}; opened outside: {len(reads)} time(s)")
    assert SECRET_PRODUCT not in loaded
    assert reads == []


# ---- the CLI -----------------------------------------------------------------------------------


@reliability(case="`salesops ingest /path/outside.xlsx`")
def test_cli_ingest_of_a_file_outside_copies_it_into_the_folder(
        db: str, tmp_path: Path, folder: Path, outside: Path, sql, record_happened) -> None:
    """Copied into the top of the folder under its own name, then imported; exit 0."""
    rows = [sale(9, "Outside"), sale(10, "Outside", "Grace", "24.95", 3)]
    source = write_clean_workbook(outside / "march.xlsx", rows)
    result = salesops("ingest", str(source), env=cli_env(tmp_path, folder, db))
    copied = f"copied {source} into the data folder as march.xlsx"
    loaded = [line.split("] ", 1)[1] for line in result.stdout.splitlines()
              if line.startswith("[1/1] march.xlsx: loaded")]
    record_happened(f"exit {result.returncode}: {copied}; {'; '.join(loaded)}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert copied in result.stdout and loaded == ["march.xlsx: loaded 2 of 2 rows"]
    assert sorted(p.name for p in folder.iterdir()) == ["march.xlsx"]  # no temp file left
    assert (folder / "march.xlsx").read_bytes() == source.read_bytes()
    expected = {("march.xlsx", n): (r["sold_at"], r["product"], r["seller"],
                                    r["shipping_company"], r["unit_price"], r["units"],
                                    r["total_price"]) for n, r in enumerate(rows, start=2)}
    assert fact_rows(sql) == expected
    assert sql("SELECT source_file, status, rows_loaded FROM salesops.import_log") == [
        ("march.xlsx", "loaded", 2)]


@reliability(case="`salesops ingest incoming/link.xlsx` (a symlink to outside)")
def test_cli_ingest_of_a_symlink_to_outside_exits_1(
        db: str, tmp_path: Path, folder: Path, outside: Path, sql, record_happened) -> None:
    """Exit 1 with one line saying the link leads outside the data folder; nothing imported."""
    target = write_clean_workbook(outside / "secret.xlsx", [sale(9, SECRET_PRODUCT)])
    (folder / "link.xlsx").symlink_to(target)
    result = salesops("ingest", str(folder / "link.xlsx"), env=cli_env(tmp_path, folder, db))
    record_happened(f"exit {result.returncode}: {result.stderr.strip()}")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "outside the data folder" in result.stderr
    assert "through a symbolic link" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["link.xlsx"]  # nothing copied
    assert sql("SELECT count(*) FROM salesops.import_log") == [(0,)]


# ---- secrets -----------------------------------------------------------------------------------


def events_text(instance: DagsterInstance, run_id: str) -> str:
    """Everything Dagster stored about a run: its record and every event, serialized."""
    run = instance.get_run_by_id(run_id)
    return serialize_value(run) + "".join(serialize_value(e) for e in instance.all_logs(run_id))


@reliability(case=f"`salesops ingest` with DATABASE_URL password {PASSWORD!r} on a dead port")
def test_cli_with_an_unreachable_database_never_prints_the_password(
        tmp_path: Path, folder: Path, record_happened) -> None:
    """Exit 1, "cannot connect to postgresql://salesops:***@…"; the password appears nowhere."""
    write_clean_workbook(folder / "jan.xlsx", [sale(6)])
    port = free_port()
    url = f"postgresql://salesops:{PASSWORD}@127.0.0.1:{port}/salesops"
    env = cli_env(tmp_path, folder, url)
    # The step's own retries would sleep 4 × 5 s; the test sets the wait to 0, nothing else.
    result = salesops("ingest", str(folder / "jan.xlsx"), env=env,
                      prelude="import salesops_pipeline.defs.retry as r; r.WAIT_SECONDS = 0")
    last = result.stderr.strip().splitlines()[-1]
    record_happened(f"exit {result.returncode}: " + last.replace(str(port), "<dead port>"))
    assert result.returncode == 1
    assert last.startswith("error: cannot connect to postgresql://salesops:***@127.0.0.1:")
    assert PASSWORD not in result.stdout + result.stderr
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_run_records()
        assert runs, "the CLI did not even start a run"
        for record in runs:
            assert PASSWORD not in events_text(instance, record.dagster_run.run_id)
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


@pytest.fixture
def restricted_url(database_url: str) -> str:
    """A role with password PASSWORD that may read, log imports and stage rows, not publish."""
    role = "salesops_reliability"
    statements = [
        f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'",  # fixed test literals, no input
        f"GRANT USAGE ON SCHEMA salesops TO {role}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA salesops TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA salesops TO {role}",
        f"GRANT SELECT, INSERT, UPDATE ON salesops.import_log TO {role}",
        f"GRANT SELECT, INSERT, DELETE ON salesops.stage_sales_line, salesops.stage_rejected_row,"
        f" salesops.stage_name, salesops.skipped_row, salesops.control_total,"
        f" salesops.dim_product, salesops.dim_seller, salesops.dim_shipping_company TO {role}",
    ]
    with open_sql(database_url) as sql:
        if sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)):  # left by a killed run
            sql(f"DROP OWNED BY {role}")
            sql(f"DROP ROLE {role}")
        for statement in statements:
            sql(statement)
    parts = urlsplit(database_url)
    url = urlunsplit(parts._replace(netloc=f"{role}:{PASSWORD}@{parts.hostname}:{parts.port}"))
    yield url
    with open_sql(database_url) as sql:
        sql(f"DROP OWNED BY {role}")
        sql(f"DROP ROLE {role}")


@reliability(case=f"failed and rejected imports with DATABASE_URL password {PASSWORD!r}")
def test_failed_imports_never_store_the_password(db: str, folder: Path, sql, restricted_url: str,
                                                 record_happened) -> None:
    """import_log.error, materialization metadata and every Dagster event are free of it."""
    assert PASSWORD in restricted_url
    write_clean_workbook(folder / "jan.xlsx", [sale(6), sale(7)])
    corpus.random_bytes(folder / "noise.xlsx")
    with DagsterInstance.ephemeral() as instance:
        ingest = Ingestor(restricted_url, folder, instance)
        failed = ingest.run("jan.xlsx", raise_on_error=False)
        rejected = ingest.run("noise.xlsx", raise_on_error=False)
        texts = {key: events_text(instance, result.run_id)
                 for key, result in (("jan", failed), ("noise", rejected))}
    logged = dict(sql("SELECT source_file, status || ': ' || error FROM salesops.import_log"))
    record_happened(f"jan.xlsx {logged['jan.xlsx']}; noise.xlsx {logged['noise.xlsx']}")
    assert not failed.success and logged["jan.xlsx"].startswith("failed: InsufficientPrivilege")
    assert rejected.success and logged["noise.xlsx"].startswith("rejected: not a readable")
    metadata = rejected.asset_materializations_for_node("raw_sales_rows")[0].metadata
    assert metadata["error"].value == logged["noise.xlsx"].removeprefix("rejected: ")
    for text in (*logged.values(), *texts.values(), str(metadata)):
        assert PASSWORD not in text
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(0,)]
