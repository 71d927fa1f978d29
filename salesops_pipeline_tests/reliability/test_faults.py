"""Faults while the real processes run: PostgreSQL stopped hard, processes killed, the stack
restarted, the same file twice at once, the API during an outage.

Every test runs the real commands (`salesops ingest`, `salesops up`, uvicorn) as subprocesses on a
throwaway PostgreSQL of this module (stopped hard by some tests; the session cluster never is) and
ends by comparing the facts, the import log and every report table with figures computed in
Python (``Decimal``) from the generated lines (:mod:`.stack`).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
from dagster import DagsterInstance

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.core.report.refresh import refresh
from salesops_pipeline.settings import PROJECT_ROOT, sqlalchemy_url
from salesops_pipeline_tests.ingest_support import Ingestor
from salesops_pipeline_tests.pg import free_port, throwaway_cluster
from salesops_pipeline_tests.reliability.harness import open_sql
from salesops_pipeline_tests.reliability.stack import (
    Expected,
    Stack,
    assert_warehouse,
    base_env,
    generate_lines,
    kill_tree,
    report_snapshot,
    salesops,
    spawn_salesops,
    wait_until,
    warehouse,
    write_workbook,
)

reliability = pytest.mark.reliability
BIG_ROWS = 200_000
FILE = "sales.xlsx"
ACTIVE = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
          " AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE ")
ACTIVE_COPY = ACTIVE + "'COPY salesops.stage_sales_line%'"
ACTIVE_REFRESH = ACTIVE + "'%CREATE TEMP TABLE refresh_line%'"
ACTIVE_BUILD = ACTIVE + "'%INSERT INTO \"salesops\".\"fact_sales_line_import_%'"  # own partition
OWN_TABLE = "relkind = 'r' AND relname ~ '^fact_sales_line_import_[0-9]+$'"
REFRESH_JOB = """
from dagster import DagsterInstance
from salesops_pipeline.definitions import defs
with DagsterInstance.ephemeral() as instance:
    result = defs.resolve_job_def("refresh_reports").execute_in_process(
        instance=instance, raise_on_error=False)
raise SystemExit(0 if result.success else 1)
"""


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with throwaway_cluster("salesops-faults-") as own:
        yield own


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    """A 200,000-line workbook (about 9 MB) and its figures as file ``sales.xlsx``."""
    expected = Expected()
    path = write_workbook(tmp_path_factory.mktemp("big") / FILE,
                          generate_lines(8, BIG_ROWS), expected=expected, key=FILE)
    return path, expected


@dataclass
class Site:
    """One test's warehouse on the module's cluster, its drop folder and the CLI environment
    (Dagster storage in PostgreSQL, as `salesops up` and `salesops ingest` use it)."""

    url: str
    folder: Path
    env: dict[str, str]
    log: Path

    def ingest(self, *keys: str) -> subprocess.CompletedProcess[str]:
        return salesops(["ingest", *(str(self.folder / k) for k in keys)], self.env, timeout=180)

    def spawn_ingest(self, key: str) -> subprocess.Popen[bytes]:
        # --verbose: the run log (": staging import ") tells whether two runs raced
        return spawn_salesops(["ingest", "--verbose", str(self.folder / key)], self.env, self.log)

    def ingest_here(self, key: str) -> None:
        """Import in this process (set-up steps whose process is not the point)."""
        with DagsterInstance.ephemeral() as instance:
            Ingestor(self.url, self.folder, instance).run(key)

    def refresh(self) -> None:
        refresh_reports(self.url)


def refresh_reports(url: str) -> None:
    conn = psycopg.connect(url)
    try:
        refresh(conn, tolerance=Decimal("0.01"))
    finally:
        conn.close()


@pytest.fixture
def site(cluster: LocalCluster, tmp_path: Path, request: pytest.FixtureRequest) -> Site:
    name = "f_" + request.node.name.removeprefix("test_")[:40]
    url, dagster = warehouse(cluster, name)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    folder = tmp_path / "incoming"
    folder.mkdir()
    env = base_env(DATABASE_URL=url, DAGSTER_HOME=home, DAGSTER_PG_URL=sqlalchemy_url(dagster),
                   SALESOPS_DAGSTER_DATABASE_URL=dagster, SALES_DATA_DIR=folder,
                   SALESOPS_HOME=tmp_path / "salesops", SALESOPS_EXPORT_DIR=tmp_path / "exports")
    return Site(url, folder, env, tmp_path / "processes.log")


def small(seed: int, count: int = 60) -> tuple[list, Expected]:
    expected = Expected()
    lines = list(generate_lines(seed, count))
    for line in lines:
        expected.add(FILE, line)
    return lines, expected


def imports_of(sql: Callable, key: str) -> list[tuple]:
    return sql("SELECT status, rows_read, rows_loaded FROM salesops.import_log"
               " WHERE source_file = %s ORDER BY import_id", (key,))


def facts(sql: Callable) -> list[tuple]:
    return sql("SELECT source_file, source_row_number, sold_at, product_id, seller_id,"
               " shipping_company_id, unit_price, units, total_price, import_id"
               " FROM salesops.fact_sales_line ORDER BY 1, 2")


def backends_gone(url: str, query: str) -> bool:
    with open_sql(url) as sql:
        return not sql(query)


# ---- PostgreSQL stopped hard --------------------------------------------------------------------


@reliability(case="PostgreSQL stopped hard (pg_ctl -m immediate) in the middle of a "
                  "200,000-row import, started again 2 s later")
def test_postgres_stopped_hard_mid_import_ends_imported_exactly_once(
        cluster: LocalCluster, site: Site, big: tuple[Path, Expected], record_happened) -> None:
    """The interrupted run leaves nothing visible; the rerun imports the file exactly once."""
    path, expected = big
    shutil.copy(path, site.folder / FILE)
    run = site.spawn_ingest(FILE)
    try:
        with open_sql(site.url) as sql:
            wait_until(lambda: sql(ACTIVE_COPY), "the COPY into staging", timeout=90,
                       interval=0.05, log=site.log)
            time.sleep(1.0)  # well inside the ~6 s COPY
            assert imports_of(sql, FILE) == [("running", 0, 0)]
        cluster.stop(mode="immediate")
        time.sleep(2)
        cluster.start()
        cluster.wait_ready()
        first = run.wait(timeout=180)
    finally:
        if run.poll() is None:
            kill_tree(run)
    with open_sql(site.url) as sql:
        after_outage = imports_of(sql, FILE)
        assert sql("SELECT count(*) FROM salesops.fact_sales_line")[0][0] in (0, BIG_ROWS)
    if after_outage[-1][0] == "loaded":
        happened = "the run's own step retry imported the file once PostgreSQL was back"
    else:  # the interrupted run gave up: nothing of it is visible; run it again
        assert after_outage[-1][0] in ("running", "failed")
        rerun = site.ingest(FILE)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        happened = (f"the interrupted run failed (exit {first}, import log '{after_outage[-1][0]}',"
                    " no facts); the rerun imported the file")
    site.refresh()
    with open_sql(site.url) as sql:
        assert imports_of(sql, FILE) == [("loaded", BIG_ROWS, BIG_ROWS)]
        assert_warehouse(sql, expected)
    record_happened(f"{happened}: one import, {BIG_ROWS:,} lines, facts and reports exact")


# ---- the run process killed ---------------------------------------------------------------------


def kill_ingest_replacing_with_big(site: Site, big: tuple[Path, Expected], seed: int,
                                   active: str, what: str, settle: float = 0.0) -> None:
    """Load a small version of FILE, then SIGKILL the ingest of the big one once ``active``
    shows its statement running; assert the small version's facts and reports are untouched."""
    lines, _ = small(seed)
    write_workbook(site.folder / FILE, lines)
    site.ingest_here(FILE)
    site.refresh()
    with open_sql(site.url) as sql:
        before_facts, before_reports = facts(sql), report_snapshot(sql)
        shutil.copy(big[0], site.folder / FILE)
        run = site.spawn_ingest(FILE)
        try:
            wait_until(lambda: sql(active), what, timeout=120, interval=0.02, log=site.log)
            time.sleep(settle)
        finally:
            kill_tree(run)
        assert run.returncode == -signal.SIGKILL
        wait_until(lambda: backends_gone(site.url, active), f"{what}: killed", timeout=60)
        assert facts(sql) == before_facts
        assert report_snapshot(sql) == before_reports


def rerun_replaces_with_big(site: Site, big: tuple[Path, Expected]) -> None:
    rerun = site.ingest(FILE)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    site.refresh()
    with open_sql(site.url) as sql:
        assert imports_of(sql, FILE) == [("superseded", 60, 60), ("loaded", BIG_ROWS, BIG_ROWS)]
        assert_warehouse(sql, big[1])


@reliability(case="`salesops ingest` killed (SIGKILL) mid-COPY while replacing a file with a "
                  "200,000-row version")
def test_ingest_killed_mid_copy_leaves_the_previous_version_and_a_rerun_completes(
        site: Site, big: tuple[Path, Expected], record_happened) -> None:
    """The previous version stays whole and reported; the rerun switches to the new one."""
    kill_ingest_replacing_with_big(site, big, 1, ACTIVE_COPY, "the COPY into staging",
                                   settle=1.0)
    with open_sql(site.url) as sql:
        assert [s for s, *_ in imports_of(sql, FILE)] == ["loaded", "running"]
        assert sql("SELECT (SELECT count(*) FROM salesops.stage_sales_line),"
                   " (SELECT count(*) FROM salesops.report_dirty_day)") == [(0, 0)]
    rerun_replaces_with_big(site, big)
    record_happened("killed mid-COPY: the previous version's facts and reports unchanged, the new "
                    "version 'running' with nothing staged or published; the rerun replaced it "
                    f"({BIG_ROWS:,} lines, facts and reports exact)")


@reliability(case="`salesops ingest` killed (SIGKILL) while building the own fact partition of "
                  "a 200,000-row version")
def test_ingest_killed_mid_partition_build_changes_nothing_and_a_rerun_completes(
        site: Site, big: tuple[Path, Expected], record_happened) -> None:
    """The half-built partition vanishes with its transaction; the staged rows are published."""
    kill_ingest_replacing_with_big(site, big, 3, ACTIVE_BUILD, "the partition build")
    with open_sql(site.url) as sql:
        assert [s for s, *_ in imports_of(sql, FILE)] == ["loaded", "staged"]
        assert sql(f"SELECT count(*) FROM pg_class WHERE {OWN_TABLE}") == [(0,)]
    rerun_replaces_with_big(site, big)
    with open_sql(site.url) as sql:
        assert sql(f"SELECT relname FROM pg_class WHERE {OWN_TABLE} AND relispartition") == [
            ("fact_sales_line_import_2",)]
    record_happened("killed mid-build: the previous version's facts and reports unchanged, the "
                    "new version 'staged' and no partition table left; the rerun built and "
                    f"attached it ({BIG_ROWS:,} lines, facts and reports exact)")


@reliability(case="the report refresh killed (SIGKILL) mid-transaction, 28 dirty days over "
                  "200,000 lines")
def test_refresh_killed_midway_leaves_reports_whole_and_the_next_refresh_repairs(
        site: Site, big: tuple[Path, Expected], record_happened) -> None:
    """Reports keep their content and the dirty days stay marked; the next refresh is exact."""
    lines, _ = small(2)
    write_workbook(site.folder / FILE, lines)
    site.ingest_here(FILE)
    site.refresh()
    shutil.copy(big[0], site.folder / FILE)
    site.ingest_here(FILE)  # published: the reports are now stale, their days marked dirty
    with open_sql(site.url) as sql:
        before, dirty = report_snapshot(sql), sql("SELECT day FROM salesops.report_dirty_day")
        assert len(dirty) >= 28
        victim = subprocess.Popen([sys.executable, "-c", REFRESH_JOB], env=site.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                  start_new_session=True, cwd=PROJECT_ROOT)
        try:
            wait_until(lambda: sql(ACTIVE_REFRESH), "the refresh statement", timeout=90,
                       interval=0.02)
        finally:
            kill_tree(victim)
        assert victim.returncode == -signal.SIGKILL  # killed, not finished
        wait_until(lambda: backends_gone(site.url, ACTIVE_REFRESH), "the killed refresh to end",
                   timeout=60)
        assert report_snapshot(sql) == before
        assert sql("SELECT day FROM salesops.report_dirty_day") == dirty
    rerun = subprocess.run([sys.executable, "-c", REFRESH_JOB], env=site.env, timeout=180,
                           capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    with open_sql(site.url) as sql:
        assert_warehouse(sql, big[1])
    record_happened(f"killed while rewriting {len(dirty)} days: every report row and the dirty "
                    "marks unchanged; the next refresh run rewrote them exactly")


# ---- a folder through the CLI ------------------------------------------------------------------


@reliability(case="`salesops ingest` of a folder of 40 new workbooks, one of them corrupt, "
                  "imported in batches")
def test_cli_ingest_of_a_folder_batches_new_files_each_once(site: Site, record_happened
                                                            ) -> None:
    """Two runs for 40 files (batches of 25); every good file once; exit 1 for the corrupt one."""
    expected = Expected()
    for n in range(39):
        write_workbook(site.folder / f"day-{n:02d}.xlsx", generate_lines(500 + n, 15 + n),
                       expected=expected)
    (site.folder / "day-39.xlsx").write_bytes(b"PK\x03\x04 corrupt")
    result = salesops(["ingest", str(site.folder)], site.env, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[1-25/40] 25 new files: importing" in result.stdout
    assert "40 file(s): 39 ok, 1 not ok" in result.stdout
    assert "day-39.xlsx: rejected: not a readable" in result.stdout
    site.refresh()
    with open_sql(site.url) as sql:
        statuses = sql("SELECT status, count(*) FROM salesops.import_log GROUP BY 1 ORDER BY 1")
        assert statuses == [("loaded", 39), ("rejected", 1)]
        assert_warehouse(sql, expected)
    with open_sql(site.env["SALESOPS_DAGSTER_DATABASE_URL"]) as dsql:
        runs = dsql("SELECT count(*) FROM runs WHERE pipeline_name = 'ingest_file'")[0][0]
    assert runs == 2
    record_happened(f"{runs} runs for 40 files; 39 loaded once, facts and reports exact; the "
                    "corrupt one rejected with its reason; exit 1")


# ---- the same file twice at once ----------------------------------------------------------------


@reliability(case="two `salesops ingest` of the same file started at the same moment")
def test_two_ingests_of_the_same_file_at_once_import_it_once(site: Site, record_happened
                                                             ) -> None:
    """One `loaded` import, no duplicated facts; both commands say the file is loaded."""
    lines, expected = small(3, 20_000)  # about 1 s of staging: the two runs overlap
    write_workbook(site.folder / FILE, lines)
    runs = [site.spawn_ingest(FILE) for _ in range(2)]
    try:
        codes = [run.wait(timeout=180) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                kill_tree(run)
    site.refresh()
    with open_sql(site.url) as sql:
        assert imports_of(sql, FILE) == [("loaded", 20_000, 20_000)]
        assert_warehouse(sql, expected)
    assert codes == [0, 0], site.log.read_text(errors="replace")[-3000:]
    raced = site.log.read_text(errors="replace").count(": staging import ") == 2
    record_happened(("both runs staged the file at the same moment; " if raced else "")
                    + "one import (one 'loaded' log row, 20,000 lines, none twice); both "
                    "commands exit 0 saying 'loaded'")


@reliability(case="the same file dropped twice within a second (the running stack's sensor)")
def test_the_same_file_dropped_twice_within_a_second_is_imported_once(
        cluster: LocalCluster, tmp_path: Path, record_happened) -> None:
    """One run, one import: the second drop has the same bytes."""
    url, dagster = warehouse(cluster, "f_dropped_twice")
    stack = Stack(tmp_path, url, dagster)
    stack.start()
    try:
        expected = Expected()
        stack.drop(FILE, generate_lines(4, 40), expected)
        time.sleep(0.5)
        stack.drop(FILE, generate_lines(4, 40), Expected())  # same bytes, a new file and mtime
        with open_sql(url) as sql, open_sql(dagster) as dsql:
            wait_until(lambda: sql("SELECT 1 FROM salesops.import_log WHERE status = 'loaded'"),
                       "the import", timeout=90, interval=0.5, log=stack.log)
            time.sleep(3)  # three more sensor ticks: no second run may appear
            runs = dsql("SELECT count(*) FROM runs r JOIN run_tags t ON t.run_id = r.run_id"
                        " WHERE t.key = 'salesops/file' AND t.value = %s", (FILE,))
            assert runs == [(1,)]
            refresh_reports(url)  # not waiting for the stack's refresh (up to 15 s + a run)
            assert_warehouse(sql, expected)
    finally:
        stack.stop()
    record_happened("one run, one import (the sensor hashed the settled file once)")


# ---- the stack restarted while files are dropped ------------------------------------------------


def _restart_while_dropping(cluster: LocalCluster, tmp_path: Path, sig: int, name: str, *,
                            while_down: int = 2, after: int = 2
                            ) -> tuple[Stack, str, str, Expected, int]:
    """Drop 3 files, stop the stack with ``sig`` while a run is in flight, drop files while it
    is down, start it again on the same storage and drop more; return how many runs were in
    flight when it stopped."""
    url, dagster = warehouse(cluster, name)
    stack = Stack(tmp_path, url, dagster)
    expected = Expected()
    stack.start()
    with open_sql(dagster) as dsql:
        for n in range(3):
            stack.drop(f"before-{n}.xlsx", generate_lines(100 + n, 40), expected)
            time.sleep(0.5)
        wait_until(lambda: dsql("SELECT 1 FROM runs WHERE status = 'STARTED'"),
                   "a run in flight", timeout=60, interval=0.1, log=stack.log)
        stack.stop(sig)
        in_flight = dsql("SELECT count(*) FROM runs WHERE status IN ('STARTING', 'STARTED')")[0][0]
    for n in range(while_down):
        stack.drop(f"while-down-{n}.xlsx", generate_lines(200 + n, 40), expected)
    stack.start()
    for n in range(after):
        stack.drop(f"after-{n}.xlsx", generate_lines(300 + n, 40), expected)
        time.sleep(0.5)
    return stack, url, dagster, expected, in_flight


def _loaded(url: str) -> int:
    with open_sql(url) as sql:
        return sql("SELECT count(*) FROM salesops.import_log WHERE status = 'loaded'")[0][0]


def _settled(url: str, dagster: str, expected: Expected) -> bool:
    """Every file loaded and no ingest run left queued or running (none holds a slot)."""
    with open_sql(dagster) as dsql:
        active = dsql("SELECT count(*) FROM runs WHERE pipeline_name = 'ingest_file'"
                      " AND status IN ('QUEUED', 'NOT_STARTED', 'STARTING', 'STARTED')")[0][0]
    return _loaded(url) == len(expected.files) and active == 0


@reliability(case="the stack (daemon, webserver, API) restarted with Ctrl-C while files are "
                  "dropped, runs in flight")
def test_stack_restarted_while_files_are_dropped_imports_each_once(
        cluster: LocalCluster, tmp_path: Path, record_happened) -> None:
    """No file skipped, none imported twice; the reports equal the expected totals."""
    stack, url, dagster, expected, _ = _restart_while_dropping(
        cluster, tmp_path, signal.SIGINT, "f_restart")
    try:
        wait_until(lambda: _settled(url, dagster, expected), "every file imported",
                   timeout=120, interval=0.5, log=stack.log)
        refresh_reports(url)  # not waiting for the stack's refresh (up to 15 s + a run)
        with open_sql(url) as sql:
            assert_warehouse(sql, expected)
    finally:
        stack.stop()
    record_happened(f"{len(expected.files)} files (3 before, 2 while stopped, 2 after): each "
                    "imported once (runs interrupted by the stop failed and were retried)")


@reliability(case="the whole stack killed (SIGKILL, run workers included) while files are "
                  "dropped, then started again",
             lost="nothing")
def test_stack_killed_while_files_are_dropped_imports_each_once(
        cluster: LocalCluster, tmp_path: Path, record_happened) -> None:
    """After the crash and a restart every file is imported once, in-flight ones included."""
    stack, url, dagster, expected, in_flight = _restart_while_dropping(
        cluster, tmp_path, signal.SIGKILL, "f_crash", while_down=1, after=1)
    try:
        wait_until(lambda: _settled(url, dagster, expected),
                   f"every file imported ({in_flight} run(s) were in flight at the crash)",
                   timeout=120, interval=0.5, log=stack.log)
        refresh_reports(url)
        with open_sql(url) as sql:
            assert_warehouse(sql, expected)
    finally:
        stack.stop()
    swept = "of a stack that died were marked failed" in stack.log.read_text(errors="replace")
    record_happened(f"{len(expected.files)} files: each imported once"
                    + ("; the runs killed in flight were marked failed when the stack started "
                       "again, and retried" if swept else ""))


# ---- the API while PostgreSQL is down -----------------------------------------------------------


@reliability(case="PostgreSQL stopped hard while the API (uvicorn) serves, then started again")
def test_api_answers_503_during_an_outage_and_serves_again_without_restart(
        cluster: LocalCluster, tmp_path: Path, record_happened) -> None:
    """503 with the reason within the connect timeout; 200 again once PostgreSQL is back."""
    url, _ = warehouse(cluster, "f_api_outage")
    key = create_key(url, name="outage-viewer", role="viewer")
    port = free_port()
    env = base_env(DATABASE_URL=url, SALESOPS_HOME=tmp_path / "salesops",
                   SALESOPS_API_CONNECT_TIMEOUT_SECONDS="2", SALESOPS_API_POOL_TIMEOUT_SECONDS="2")
    log = tmp_path / "api.log"
    with log.open("wb") as out:
        api = subprocess.Popen([str(Path(sys.executable).parent / "uvicorn"),
                                "salesops_pipeline.api.main:app", "--port", str(port)],
                               env=env, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    period = {"start_date": "2025-02-03", "end_date": "2025-03-02"}
    try:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=15) as client:
            wait_until(lambda: client.get("/health").status_code == 200, "the API",
                       timeout=60, log=log)
            for _ in range(8):
                assert client.get("/reports/seller-ranking", params=period).status_code == 200
            cluster.stop(mode="immediate")
            try:
                started = time.monotonic()
                down = client.get("/reports/seller-ranking", params=period)
                health = client.get("/health")
                took = time.monotonic() - started
            finally:
                cluster.start()
                cluster.wait_ready()
            assert (down.status_code, health.status_code) == (503, 503)
            assert down.headers["retry-after"] == "5"
            assert "database" in down.json()["detail"]
            assert health.json()["database"] == "unreachable"
            assert took < 10
            wait_until(lambda: client.get("/health").status_code == 200, "the API to heal",
                       timeout=30, interval=0.5)
            answers = [client.get("/reports/seller-ranking", params=period).status_code
                       for _ in range(20)]
            assert answers == [200] * 20
            assert api.poll() is None  # the same process: no restart
    finally:
        api.send_signal(signal.SIGINT)
        try:
            api.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_tree(api)
    record_happened(f"503 within 10 s (\"{down.json()['detail'].split(':')[0]}\", health "
                    "'unreachable'); 200 again once PostgreSQL was back, same process")
