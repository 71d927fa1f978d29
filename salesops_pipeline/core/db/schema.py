"""Create the databases and apply the numbered `sql/` files (idempotent)."""

from __future__ import annotations

from pathlib import Path

import psycopg2
from psycopg2 import sql

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.settings import database_name, sql_dir, with_database

RESET_FILE = "02_clean_tables.sql"


def schema_files(directory: Path | None = None) -> list[Path]:
    """Every numbered schema file in order, except the reset script."""
    directory = directory or sql_dir()
    return [p for p in sorted(directory.glob("[0-9][0-9]_*.sql")) if p.name != RESET_FILE]


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it is missing; return True when created."""
    name = database_name(url)
    with connect(with_database(url, "postgres"), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone():
            return False
        try:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg2.errors.DuplicateDatabase:
            return False
    return True


def apply_schema(url: str) -> list[str]:
    """Apply every schema file in one transaction; return the file names applied."""
    files = schema_files()
    with connect(url) as conn, conn.cursor() as cur:
        # Serialise concurrent `db init`s; the files themselves are IF NOT EXISTS.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('salesops.schema'))")
        for path in files:
            cur.execute(path.read_text())
    return [p.name for p in files]


def reset(url: str) -> None:
    """Empty every warehouse table (the schema stays)."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute((sql_dir() / RESET_FILE).read_text())
