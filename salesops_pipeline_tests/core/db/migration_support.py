"""Databases for migration tests: a fresh one per test, its rows, its catalog."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql as pgsql

from salesops_pipeline.core.db.pgcluster import LocalCluster

Run = Callable[..., list[tuple]]


@contextmanager
def fresh_database(cluster: LocalCluster, template: str | None = None) -> Iterator[str]:
    """A new empty database (or a copy of ``template``), dropped afterwards."""
    name = f"migr_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        if template:  # a template may have no sessions: close the ingest's kept connections
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
        admin.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            pgsql.Identifier(name), pgsql.Identifier(template or "template1")))
    try:
        yield cluster.url(name)
    finally:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute(pgsql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                pgsql.Identifier(name)))


@contextmanager
def runner(url: str) -> Iterator[Run]:
    with psycopg.connect(url, autocommit=True) as conn:
        def run(query: str | pgsql.Composable, params: tuple | None = None) -> list[tuple]:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []
        yield run


def snapshot(run: Run) -> dict[str, list[tuple]]:
    """Every row of every table (its partition included), and every sequence's position. Empty
    tables and sequences never used hold nothing to keep: a later revision's new tables do not
    make "every row kept" fail."""
    tables = [r[0] for r in run(
        "SELECT relname FROM pg_class WHERE relnamespace = 'salesops'::regnamespace"
        " AND relkind IN ('r', 'p') AND NOT relispartition AND relname <> 'alembic_version'")]
    rows = {t: sorted(run(pgsql.SQL("SELECT tableoid::regclass::text, * FROM {}").format(
        pgsql.Identifier("salesops", t))), key=repr) for t in tables}
    rows = {t: table_rows for t, table_rows in rows.items() if table_rows}
    rows["(sequences)"] = run("SELECT sequencename, last_value FROM pg_sequences"
                              " WHERE schemaname = 'salesops' AND last_value IS NOT NULL"
                              " ORDER BY 1")
    return rows


def shape(run: Run) -> dict[str, set[tuple]]:
    """The catalog of schema salesops (relations, columns, constraints, indexes), leaving out
    the own fact partitions of large imports: they are data, not schema."""
    queries = {
        "relations": "SELECT relname, relkind, relpersistence, relispartition FROM pg_class"
                     " WHERE relnamespace = 'salesops'::regnamespace",
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default,"
                   " is_identity, generation_expression FROM information_schema.columns"
                   " WHERE table_schema = 'salesops'",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                       " FROM pg_constraint WHERE connamespace = 'salesops'::regnamespace",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
                   " WHERE schemaname = 'salesops'",
    }
    own = re.compile(r"(salesops\.)?fact_sales_line_import_\d+")
    return {kind: {r for r in run(query) if not own.match(r[0])}
            for kind, query in queries.items()}


def version(run: Run) -> list[tuple]:
    return run("SELECT version_num FROM salesops.alembic_version")
