"""Test fixtures: a throwaway PostgreSQL cluster for the whole session, started here.

No SQLite, no mocks: every database test talks to a real server created in a temp folder on a
free port and removed afterwards. When run as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from salesops_pipeline.core.db.pgcluster import LocalCluster, throwaway_cluster
from salesops_pipeline.core.db.schema import apply_schema, ensure_database, reset
from salesops_pipeline.settings import sqlalchemy_url, with_database


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
    apply_schema(url)
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
    conn = psycopg2.connect(db)
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
