"""Schema migrations: from the baseline, or from before Alembic, to head, every row and id kept.

Each test gets a database of its own on the session cluster. The data of the baseline tests is
made by the real ingest jobs once, in a database at revision 0001, and cloned (TEMPLATE).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from dagster import DagsterInstance

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.core.db.migrations import (
    BASELINE,
    LOCK_KEY,
    MigrationFailed,
    head_revision,
    schema_status,
    upgrade,
)
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.core.extract.sample import write_sample_workbook
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline_tests.core.db.migration_support import (
    Run,
    fresh_database,
    runner,
    shape,
    snapshot,
    version,
)
from salesops_pipeline_tests.defs.test_ingest import line
from salesops_pipeline_tests.ingest_support import Ingestor
from salesops_pipeline_tests.workbooks import write_clean_workbook, write_messy_workbook


def with_drift_column(before: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """A snapshot from before revision 0004 as it reads after it: import_log rows end with the
    new ``drift`` column, NULL (nothing was recorded for those imports)."""
    return {**before, "import_log": sorted((row + (None,) for row in before["import_log"]),
                                           key=repr)}


@pytest.fixture(scope="module")
def head_shape(pg_cluster: LocalCluster) -> dict[str, set[tuple]]:
    """The catalog of a fresh database upgraded to head: what every path must end with."""
    with fresh_database(pg_cluster) as url, runner(url) as run:
        upgrade(url)
        return shape(run)


@pytest.fixture(scope="module")
def loaded_baseline(pg_cluster: LocalCluster, tmp_path_factory) -> Iterator[str]:
    """Name of a database at revision 0001 holding what the real jobs write (cloned per test).

    A large sample export (own fact partition, subtotal rows, skipped note rows, control
    totals), a messy one (quarantined rows, shared partition), a file replaced by a second
    version (superseded), a full report refresh (report and sample rows) and an API key.
    """
    folder = tmp_path_factory.mktemp("migrations") / "incoming"
    folder.mkdir()
    with fresh_database(pg_cluster) as url:
        assert upgrade(url, revision=BASELINE) == [BASELINE]
        # Today's jobs record each import's drift (revision 0004) and spool staged names
        # (0007); the jobs of 0001 did neither.
        with runner(url) as run:
            run("ALTER TABLE salesops.import_log ADD COLUMN drift jsonb")
            run("CREATE UNLOGGED TABLE salesops.stage_name"
                " (import_id bigint, dimension text, name text)")
        with DagsterInstance.ephemeral() as instance:
            ingest = Ingestor(url, folder, instance, own_partition_rows=150)
            write_sample_workbook(folder / "sample.xlsx", rows=200)
            write_messy_workbook(folder / "messy.xlsx", seed=11, rows=60)
            for name in ("sample.xlsx", "messy.xlsx"):
                ingest.run(name)
            for rows in ([line(2), line(3, seller="Grace")], [line(4, price="7.25")]):
                write_clean_workbook(folder / "feb.xlsx", rows)
                ingest.run("feb.xlsx")
            assert ingest.refresh(full=True).success
        with runner(url) as run:
            run("ALTER TABLE salesops.import_log DROP COLUMN drift")
            run("DROP TABLE salesops.stage_name")
        create_key(url, name="analyst", role="viewer")
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def at_baseline(pg_cluster: LocalCluster, loaded_baseline: str) -> Iterator[str]:
    with fresh_database(pg_cluster, template=loaded_baseline) as url:
        yield url


def test_upgrade_from_the_baseline_keeps_every_row_and_id(at_baseline, head_shape) -> None:
    url = at_baseline
    with runner(url) as run:
        before = snapshot(run)
        for table in ("import_log", "fact_sales_line", "rejected_row", "skipped_row",
                      "control_total", "report_daily_sales", "report_quality_sample",
                      "report_refresh", "api_key", "dim_seller"):
            assert before[table], f"no {table} rows: the test would prove nothing"
        assert {r[0] for r in before["fact_sales_line"]} == {
            "fact_sales_line_shared", "fact_sales_line_import_1"}
        assert {r[5] for r in before["import_log"]} >= {"loaded", "superseded"}
        status = schema_status(url)
        assert (status.current, status.head) == (BASELINE, head_revision())
        lines: list[str] = []
        applied = upgrade(url, progress=lines.append)
        assert applied == list(status.pending) and applied and BASELINE not in applied
        for revision in applied:
            assert any(re.match(rf"revision {revision} applied in [\d.]+ s: \S", x)
                       for x in lines), lines
        assert snapshot(run) == with_drift_column(before)
        assert version(run) == [(head_revision(),)]
        assert shape(run) == head_shape
        # The sequences go on after the kept ids.
        last = run("SELECT max(import_id) FROM salesops.import_log")[0][0]
        new = run("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status)"
                  " VALUES ('new.xlsx', %s, 1, 'running') RETURNING import_id", ("c" * 64,))
        assert new == [(last + 1,)]


def test_upgrading_twice_changes_nothing(at_baseline) -> None:
    url = at_baseline
    upgrade(url)
    with runner(url) as run:
        before, catalog = snapshot(run), shape(run)
        row = run("SELECT xmin::text, version_num FROM salesops.alembic_version")
        lines: list[str] = []
        assert upgrade(url, progress=lines.append) == []
        assert not [x for x in lines if " applied " in x], lines
        assert lines[-1].endswith(f"at revision {head_revision()} (head)")
        assert run("SELECT xmin::text, version_num FROM salesops.alembic_version") == row
        assert (snapshot(run), shape(run)) == (before, catalog)
        assert schema_status(url).describe() == (
            f"schema revision {head_revision()} (head): up to date")


def test_database_from_before_alembic_is_detected_upgraded_and_stamped(at_baseline,
                                                                       head_shape) -> None:
    """`db init` before Alembic left today's tables without a version table."""
    url = at_baseline
    with runner(url) as run:
        run("DROP TABLE salesops.alembic_version")
        before = snapshot(run)
        status = schema_status(url)
        assert status.before_alembic and status.current is None
        assert "before Alembic" in status.describe()
        lines: list[str] = []
        applied = upgrade(url, progress=lines.append)
        assert applied == list(status.pending) and BASELINE not in applied
        assert any(x.startswith(f"revision {BASELINE} stamped") for x in lines), lines
        assert version(run) == [(head_revision(),)]
        assert snapshot(run) == with_drift_column(before)
        assert shape(run) == head_shape


# The oldest layout `db init` ever made (the first commit), on a database now at head: a plain
# fact table without worksheets, the old status list, no withdrawn_at/skipped counts/sheets,
# no worksheet on quarantined rows, staging or samples, and tables added later missing.
OLDEST_LAYOUT = """
DROP TABLE salesops.alembic_version, salesops.skipped_row, salesops.control_total,
    salesops.api_key, salesops.fact_sales_line;
CREATE TABLE salesops.fact_sales_line (
    sales_line_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sold_at             timestamp NOT NULL,
    product_id          bigint NOT NULL REFERENCES salesops.dim_product (product_id),
    seller_id           bigint NOT NULL REFERENCES salesops.dim_seller (seller_id),
    shipping_company_id bigint REFERENCES salesops.dim_shipping_company (shipping_company_id),
    unit_price          numeric(24, 6) NOT NULL,
    units               numeric(24, 6) NOT NULL,
    total_price         numeric(24, 6) NOT NULL,
    source_file         text NOT NULL CHECK (source_file <> ''),
    source_row_number   integer NOT NULL CHECK (source_row_number >= 1),
    import_id           bigint NOT NULL REFERENCES salesops.import_log (import_id),
    CONSTRAINT fact_sales_line_source_key UNIQUE (source_file, source_row_number)
);
CREATE INDEX fact_sales_line_sold_at_idx ON salesops.fact_sales_line (sold_at);
CREATE INDEX fact_sales_line_import_idx ON salesops.fact_sales_line (import_id);
CREATE INDEX fact_sales_line_seller_idx ON salesops.fact_sales_line (seller_id, sold_at);
CREATE INDEX fact_sales_line_product_idx ON salesops.fact_sales_line (product_id, sold_at);
ALTER TABLE salesops.import_log DROP CONSTRAINT import_log_status_check,
    ADD CONSTRAINT import_log_status_check CHECK (status IN ('running', 'staged', 'loaded',
        'rejected', 'duplicate', 'superseded', 'failed')),
    DROP COLUMN withdrawn_at, DROP COLUMN rows_skipped, DROP COLUMN sheets,
    DROP COLUMN skipped_sheets;
ALTER TABLE salesops.rejected_row DROP CONSTRAINT rejected_row_import_row_key,
    DROP COLUMN source_sheet, ADD CONSTRAINT rejected_row_import_row_key
        UNIQUE (import_id, source_row_number);
ALTER TABLE salesops.stage_sales_line DROP COLUMN source_sheet;
ALTER TABLE salesops.stage_rejected_row DROP COLUMN source_sheet;
ALTER TABLE salesops.report_quality_sample DROP CONSTRAINT report_quality_sample_pkey,
    DROP COLUMN source_sheet, ADD PRIMARY KEY (day, rule, source_file, source_row_number);
"""


def _old_data(run: Run) -> None:
    """Two loaded files (a worksheet, a CSV), facts with an id gap, quarantined rows."""
    run("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, sheet_name,"
        " rows_read, rows_loaded, rows_rejected) VALUES"
        " ('jan.xlsx', %s, 10, 'loaded', 'Jan', 4, 3, 1),"
        " ('feb.csv', %s, 10, 'loaded', NULL, 2, 2, 0)", ("a" * 64, "b" * 64))
    run("INSERT INTO salesops.dim_product (name) VALUES ('Laptop')")
    run("INSERT INTO salesops.dim_seller (name) VALUES ('Ada')")
    for import_id, name, rows in ((1, "jan.xlsx", (2, 3, 4, 5)), (2, "feb.csv", (2, 3))):
        for row in rows:
            run("INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id,"
                " unit_price, units, total_price, source_file, source_row_number, import_id)"
                " VALUES ('2026-01-05 10:00', 1, 1, %s, 2, %s, %s, %s, %s)",
                (f"{row}.5", f"{2 * row + 1}.0", name, row, import_id))
    run("DELETE FROM salesops.fact_sales_line WHERE sales_line_id = 3")  # ids keep their gaps
    run("INSERT INTO salesops.rejected_row (import_id, source_file, source_row_number,"
        " raw_values, reasons) VALUES (1, 'jan.xlsx', 6, '{\"Units\": \"x\"}', '{bad units}')")


FACTS = ("SELECT sales_line_id, source_file, source_row_number, unit_price, units, total_price,"
         " import_id FROM salesops.fact_sales_line ORDER BY 1")


def test_oldest_layout_is_upgraded_in_place(pg_cluster, head_shape) -> None:
    with fresh_database(pg_cluster) as url, runner(url) as run:
        upgrade(url)
        run(OLDEST_LAYOUT)
        _old_data(run)
        facts, rejected = run(FACTS), run("SELECT * FROM salesops.rejected_row")
        imports = run("SELECT import_id, source_file, status, sheet_name FROM"
                      " salesops.import_log ORDER BY 1")
        assert schema_status(url).before_alembic
        upgrade(url)
        assert shape(run) == head_shape  # sequence and constraint names included
        assert version(run) == [(head_revision(),)]
        assert run(FACTS) == facts
        assert run("SELECT import_id, source_file, status, sheet_name FROM"
                   " salesops.import_log ORDER BY 1") == imports
        assert run("SELECT DISTINCT source_file, source_sheet, load_slot, tableoid::regclass::text"
                   " FROM salesops.fact_sales_line ORDER BY 1") == [
            ("feb.csv", "", 0, "fact_sales_line_shared"),
            ("jan.xlsx", "Jan", 0, "fact_sales_line_shared")]
        assert run("SELECT rejected_row_id, source_row_number, reasons, source_sheet"
                   " FROM salesops.rejected_row") == [(*rejected[0][:1], 6, ["bad units"], "Jan")]
        check = run("SELECT oid, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conname = 'import_log_status_check'")[0]
        assert set(re.findall(r"'(\w+)'::text", check[1])) == {s.value for s in ImportStatus}
        new = run("INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id,"
                  " unit_price, units, total_price, source_file, source_row_number, import_id)"
                  " VALUES ('2026-01-06', 1, 1, 1, 1, 1, 'feb.csv', 9, 2) RETURNING sales_line_id")
        assert new == [(facts[-1][0] + 1,)]  # the ids go on after the kept ones
        with pytest.raises(psycopg.errors.UniqueViolation):
            run("INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id,"
                " unit_price, units, total_price, source_file, source_sheet, source_row_number,"
                " import_id) VALUES ('2026-01-06', 1, 1, 1, 1, 1, 'jan.xlsx', 'Jan', 2, 1)")
        assert upgrade(url) == []
        assert run("SELECT oid FROM pg_constraint WHERE conname = 'import_log_status_check'"
                   ) == [(check[0],)]  # nothing replaced the second time


def test_failed_revision_leaves_the_last_good_one_and_runs_again(pg_cluster) -> None:
    with fresh_database(pg_cluster) as url, runner(url) as run:
        upgrade(url)
        run(OLDEST_LAYOUT)
        _old_data(run)
        facts = run(FACTS)
        run("CREATE TABLE salesops.fact_sales_line_before_partitioning (blocker int)")
        with pytest.raises(MigrationFailed, match=r"revision 0002 failed: .*already exists"):
            upgrade(url)
        status = schema_status(url)
        assert (status.current, status.pending[:1]) == (BASELINE, ("0002",))
        assert run("SELECT relkind FROM pg_class WHERE oid = 'salesops.fact_sales_line'::regclass"
                   ) == [("r",)]  # the failed revision's work was rolled back
        run("DROP TABLE salesops.fact_sales_line_before_partitioning")
        assert upgrade(url)[0] == "0002"
        assert run(FACTS) == facts


def test_database_at_an_unknown_revision_is_refused(pg_cluster) -> None:
    with fresh_database(pg_cluster) as url, runner(url) as run:
        upgrade(url)
        run("UPDATE salesops.alembic_version SET version_num = '9999'")
        for attempt in (schema_status, upgrade):
            with pytest.raises(MigrationFailed, match="9999.*newer version"):
                attempt(url)
        assert version(run) == [("9999",)]


def test_concurrent_upgrades_wait_for_each_other(pg_cluster, head_shape, tmp_path: Path) -> None:
    """Two `salesops db upgrade` at once: the second waits on the lock, then finds nothing."""
    with fresh_database(pg_cluster) as url, runner(url) as run:
        total = len(schema_status(url).pending)
        run("SELECT pg_advisory_lock(hashtext(%s))", (LOCK_KEY,))
        env = {**os.environ, "DATABASE_URL": url, "SALESOPS_HOME": str(tmp_path)}
        procs = [subprocess.Popen([sys.executable, "-m", "salesops_pipeline.cli", "db",
                                   "upgrade"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        deadline = time.monotonic() + 60
        while run("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                  " AND NOT granted")[0][0] < 2:
            assert time.monotonic() < deadline, [p.poll() for p in procs]
            time.sleep(0.1)
        run("SELECT pg_advisory_unlock(hashtext(%s))", (LOCK_KEY,))
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        applied = [out.count(" applied in ") for out, _ in outputs]
        assert sorted(applied) == [0, total], outputs
        assert version(run) == [(head_revision(),)]
        assert shape(run) == head_shape


def test_versions_staged_before_0007_get_their_names_spooled(pg_cluster) -> None:
    """A version staged by older code has lines but no spooled names: revision 0007 takes them
    from its lines, so its dimension upserts (which read only the spool) still find them."""
    with fresh_database(pg_cluster) as url:
        upgrade(url, revision="0006")
        with runner(url) as run:
            run("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status)"
                " VALUES ('old.xlsx', %s, 1, 'staged')", ("a" * 64,))
            run("INSERT INTO salesops.stage_sales_line (import_id, source_row_number, sold_at,"
                " product, seller, shipping_company, unit_price, units, total_price) VALUES"
                " (1, 2, '2026-03-02', 'Dock', 'Ada', NULL, 1, 1, 1),"
                " (1, 3, '2026-03-02', 'Dock', 'Grace', 'DHL', 1, 1, 1),"
                " (1, 4, '2026-03-02', 'Ada', 'Ada', 'DHL', 1, 1, 1)")
        assert upgrade(url, revision="0007") == ["0007"]
        with runner(url) as run:
            assert sorted(run("SELECT dimension, name FROM salesops.stage_name"
                              " WHERE import_id = 1")) == [
                ("product", "Ada"), ("product", "Dock"), ("seller", "Ada"), ("seller", "Grace"),
                ("shipping_company", "DHL")]
