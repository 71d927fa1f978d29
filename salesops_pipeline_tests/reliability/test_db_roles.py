"""The API's database role can read the warehouse and nothing else."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from salesops_pipeline.core.db.roles import READER, ensure_reader, reader_url
from salesops_pipeline.settings import Settings

reliability = pytest.mark.reliability


@pytest.fixture
def reader(db: str, tmp_path: Path):
    password_file = tmp_path / "api-reader.password"
    assert READER in ensure_reader(db, password_file)
    assert "updated" in ensure_reader(db, password_file)  # idempotent
    conn = psycopg.connect(reader_url(db, password_file.read_text().strip()))
    conn.autocommit = True
    yield conn
    conn.close()


@reliability(case="the API's database role tries to write", lost="nothing")
@pytest.mark.parametrize("statement", [
    "INSERT INTO salesops.dim_seller (name) VALUES ('Mallory')",
    "UPDATE salesops.import_log SET status = 'failed'",
    "DELETE FROM salesops.fact_sales_line",
    "TRUNCATE salesops.report_daily_sales",
    "DROP TABLE salesops.report_daily_sales",
    "CREATE TABLE salesops.evil (x int)",
    "UPDATE salesops.api_key SET role = 'admin'",
])
def test_reader_role_cannot_write(reader, statement: str) -> None:
    """Refused by PostgreSQL with insufficient privilege: nothing changes."""
    with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable)), \
            reader.cursor() as cur:
        cur.execute(statement)


def test_reader_role_reads_reports_and_keys(reader, sql) -> None:
    sql("INSERT INTO salesops.report_daily_sales (day, revenue, units, line_count)"
        " VALUES ('2026-03-02', 10.50, 2, 1)")
    with reader.cursor() as cur:
        cur.execute("SELECT revenue FROM salesops.report_daily_sales")
        assert [r[0] for r in cur.fetchall()] == [pytest.approx(10.5)]
        cur.execute("SELECT count(*) FROM salesops.api_key")
        cur.execute("SELECT count(*) FROM salesops.fact_sales_line")


def test_api_connects_as_the_reader_once_it_exists(tmp_path: Path, monkeypatch, db) -> None:
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_API_DATABASE_URL", raising=False)
    assert Settings().api_url() == db
    ensure_reader(db, tmp_path / "api-reader.password")
    assert Settings().api_url().startswith(f"postgresql://{READER}:")
    monkeypatch.setenv("SALESOPS_API_DATABASE_URL", "postgresql://x@127.0.0.1/y")
    assert Settings().api_url() == "postgresql://x@127.0.0.1/y"
