"""Create the databases, bring the schema to the head revision (Alembic), empty it on reset."""

from __future__ import annotations

import psycopg
from psycopg import sql

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.settings import database_name, sql_dir, with_database

RESET_FILE = "02_clean_tables.sql"  # not a migration: empties the tables, keeps the revision


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it is missing; return True when created."""
    name = database_name(url)
    with connect(with_database(url, "postgres"), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone():
            return False
        try:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            return False
    return True


def reset(url: str) -> None:
    """Empty every warehouse table (the schema stays)."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute((sql_dir() / RESET_FILE).read_text())
