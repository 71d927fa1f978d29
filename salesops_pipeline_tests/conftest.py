"""Test fixtures: a throwaway PostgreSQL cluster for the whole session, started here.

No SQLite, no mocks: every database test talks to a real server created in a temp folder on a
free port and removed afterwards. When run as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import psycopg
import pytest
from dagster import DagsterInstance
from playwright.sync_api import Playwright

from salesops_pipeline.core.db.migrations import upgrade
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.core.db.schema import ensure_database, reset
from salesops_pipeline.settings import sqlalchemy_url, with_database
from salesops_pipeline_tests.defs.alert_support import configure_alerts
from salesops_pipeline_tests.ingest_support import Ingestor
from salesops_pipeline_tests.pg import throwaway_cluster

# The reliability marker and README's results file; a plugin so that the pytest-xdist controller,
# which gathers the results, loads it too.
pytest_plugins = ["salesops_pipeline_tests.reliability.results"]

# The suite never reads the checkout's own state: after `make up`, .salesops/ holds the embedded
# cluster's passwords (the read-only role's among them), which would not match the test cluster.
os.environ["SALESOPS_HOME"] = tempfile.mkdtemp(prefix="salesops-test-home-")

# Tests left out of the fast lane (`make test-fast` runs `pytest -m "not slow"`; `make test` runs
# them all): a folder ("reliability/"), a file, or one test ("file.py::name"), relative to this
# folder. The marker is given here by where a test lives, so no test file carries it.
SLOW_PATHS = (
    "reliability/",  # fault injection, soak, hypothesis: real servers restarted
    "scale/",  # `salesops up --workers 2`: Redis, Celery workers, a code server
    "browser/",  # Chromium through Playwright
    "test_end_to_end.py",  # the whole stack as `make up` runs it
    "test_dg.py",  # Dagster's own tooling in subprocesses
    "api/test_schemathesis.py",  # property-based requests against a served API
    "api/test_outage.py",  # a PostgreSQL of its own, stopped and restarted
    "cli/test_dev.py",  # `dagster dev` started
    "cli/test_db.py",  # `salesops db` in subprocesses, an embedded cluster created
    "cli/test_ingest.py",  # `salesops ingest` in subprocesses
    "api/test_errors.py",  # every bad parameter of every endpoint (84 requests)
    "api/test_auth.py::test_missing_or_wrong_key_is_401",  # every endpoint × every bad key
    "api/test_quality_tolerance.py::test_bad_tolerance_is_422",
    "api/test_exports.py::test_csv_and_xlsx_hold_the_json_rows",
    "api/test_export_safety.py::test_csv_neutralises_formula_names",
    "defs/test_withdraw.py::test_cli_ingest_reimport_brings_a_withdrawn_file_back",
    "core/extract/test_sales_line.py::test_parse_row_never_raises_on_arbitrary_cells",  # hypothesis
    "core/extract/test_sales_line.py::test_plausible_rows_never_raise_and_lines_are_loadable",
    "core/extract/test_sales_line.py::test_the_remembering_parser_reads_exactly_what_parse_row_reads",
    "core/extract/test_workbook_tables.py::test_a_million_styled_empty_rows_stay_cheap",
    "core/db/test_migrations.py::test_upgrade_from_the_baseline_keeps_every_row_and_id",
)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """The session's one Playwright driver: a second ``sync_playwright()`` while one is open is
    refused ("Sync API inside the asyncio loop"), so every browser is launched from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    with throwaway_cluster("salesops-test-pg-") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def database_url(pg_cluster: LocalCluster) -> Iterator[str]:
    """The warehouse URL with the schema applied; also exported as DATABASE_URL."""
    url = pg_cluster.url("salesops_test")
    dagster_url = with_database(url, "salesops_test_dagster")
    for u in (url, dagster_url):
        ensure_database(u)
    upgrade(url)
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "DAGSTER_PG_URL")}
    os.environ["DATABASE_URL"] = url
    os.environ["DAGSTER_PG_URL"] = sqlalchemy_url(dagster_url)
    try:
        yield url
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def db(database_url: str) -> Iterator[str]:
    """An empty warehouse for one test (tables truncated before it runs)."""
    reset(database_url)
    yield database_url


@pytest.fixture
def sql(db: str):
    """Run a query against the warehouse and return all rows (autocommit)."""
    conn = psycopg.connect(db)
    conn.autocommit = True

    def run(query: str, params: tuple | dict | None = None) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    yield run
    conn.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The watched drop folder (SALES_DATA_DIR) of one test."""
    path = tmp_path / "incoming"
    path.mkdir()
    return path


@pytest.fixture
def ingest(db: str, folder: Path) -> Iterator[Ingestor]:
    """Imports through the Dagster ingest job on an ephemeral instance (drop folder: folder)."""
    with DagsterInstance.ephemeral() as instance:
        yield Ingestor(db, folder, instance)


@pytest.fixture
def alert_env(monkeypatch: pytest.MonkeyPatch):
    """Alert destinations through the documented variables: ``alert_env(webhook=url,
    smtp_port=port)``; neither: alerts are only logged."""
    return partial(configure_alerts, monkeypatch)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests under SLOW_PATHS `slow` (the marker is registered in pyproject.toml)."""
    root = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(root):
            continue
        where = item.path.relative_to(root).as_posix()
        name = f"{where}::{getattr(item, 'originalname', item.name)}"
        if any(where.startswith(p) if "::" not in p else name == p for p in SLOW_PATHS):
            item.add_marker(pytest.mark.slow)
