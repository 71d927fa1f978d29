"""A large file version's facts get a partition of their own, switched in by ATTACH PARTITION.

Inserting a million rows into the live fact table costs a foreign-key check per key per row and
six index insertions per row (≈ 20 s per million on two cores). Built beside the live facts
instead, the same rows are one plain INSERT, indexes built by sorting and foreign keys validated
by one join each (≈ 4 s); ATTACH then takes milliseconds inside the publish transaction, because
the partition already carries the parent's indexes, keys and a CHECK matching its slot.

Until it is attached the table is invisible to every report (it is not a partition yet), so it
is built in its own transaction like staging: a crash leaves an unattached table that the
rerun rebuilds and the nightly maintenance drops when its import is over.
"""

from __future__ import annotations

from psycopg import sql

from salesops_pipeline.core.db.connect import Connection, Cursor
from salesops_pipeline.core.load.import_log import ImportStatus

SCHEMA = "salesops"
PARENT = "fact_sales_line"
PREFIX = "fact_sales_line_import_"

# Every index and foreign key of the parent, as DDL for the new table (from the catalog, so a
# key added to 01_create_tables.sql is mirrored too); primary/unique keys first, keys last.
MIRRORED_DDL = """
SELECT CASE WHEN c.contype IN ('p', 'u')
            THEN format('ALTER TABLE %%I.%%I ADD %%s', %(schema)s::text, %(table)s::text,
                        pg_get_constraintdef(c.oid))
            ELSE format('CREATE %%sINDEX ON %%I.%%I USING %%s',
                        CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END,
                        %(schema)s::text, %(table)s::text,
                        substring(pg_get_indexdef(i.indexrelid) FROM ' USING (.*)$'))
       END, CASE WHEN c.contype IN ('p', 'u') THEN 0 ELSE 1 END
FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
WHERE i.indrelid = %(parent)s::regclass
UNION ALL
SELECT format('ALTER TABLE %%I.%%I ADD %%s', %(schema)s::text, %(table)s::text,
              pg_get_constraintdef(oid)), 2
FROM pg_constraint WHERE conrelid = %(parent)s::regclass AND contype = 'f'
ORDER BY 2, 1
"""

FIND_TABLE = """
SELECT c.relispartition FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND c.relkind = 'r'
"""

# Own partitions (attached) and unattached builds, each with its import's status.
OWN_TABLES = """
SELECT c.relname, c.relispartition, coalesce(inh.inhdetachpending, false), l.status
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits inh ON inh.inhrelid = c.oid
LEFT JOIN salesops.import_log l
       ON l.import_id = substring(c.relname FROM '^fact_sales_line_import_([0-9]+)$')::bigint
WHERE n.nspname = 'salesops' AND c.relkind = 'r' AND c.relname ~ '^fact_sales_line_import_[0-9]+$'
ORDER BY c.relname
"""


def table_name(import_id: int) -> str:
    return f"{PREFIX}{int(import_id)}"


def _qualified(name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(name))


def _ident(import_id: int) -> sql.Composed:
    return _qualified(table_name(import_id))


def state(cur: Cursor, import_id: int) -> str | None:
    """'built' (unattached), 'attached', or None when the import has no table of its own."""
    cur.execute(FIND_TABLE, (SCHEMA, table_name(import_id)))
    row = cur.fetchone()
    if row is None:
        return None
    return "attached" if row[0] else "built"


def drop_built(cur: Cursor, import_id: int) -> None:
    """Drop an unattached build of this import (never an attached partition: live facts)."""
    if state(cur, import_id) == "built":
        cur.execute(sql.SQL("DROP TABLE {}").format(_ident(import_id)))


def create(cur: Cursor, import_id: int) -> sql.Composed:
    """An empty table shaped like the facts (columns, defaults, CHECKs) with a CHECK matching
    its slot, so ATTACH needs no scan (checked row by row as the rows go in: cheaper than a
    scan afterwards); return its name for the caller's INSERT."""
    target = _ident(import_id)
    cur.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
                .format(target, _qualified(PARENT)))
    cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK (load_slot = {})").format(
        target, sql.Identifier(f"{table_name(import_id)}_slot"), sql.Literal(int(import_id))))
    return target


def row_count(cur: Cursor, import_id: int) -> int:
    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(_ident(import_id)))
    row = cur.fetchone()
    assert row is not None, "SELECT count(*) returns one row"
    return int(row[0])


def finish(cur: Cursor, import_id: int) -> None:
    """Once the rows are in, add the parent's keys and indexes (built by sorting) and its
    foreign keys (one join each)."""
    cur.execute(MIRRORED_DDL, {"schema": SCHEMA, "table": table_name(import_id),
                               "parent": f"{SCHEMA}.{PARENT}"})
    for ddl, _ in cur.fetchall():  # generated from the catalog, not from input
        cur.execute(ddl)


def attach(cur: Cursor, import_id: int) -> None:
    """Switch the built table in (caller's transaction: it becomes visible at commit)."""
    cur.execute(sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES IN ({})").format(
        _qualified(PARENT), _ident(import_id), sql.Literal(int(import_id))))


def retire(conn: Connection) -> list[str]:
    """Drop own partitions whose import is no longer loaded (emptied when a newer version was
    published) and builds whose import is over; return the tables dropped.

    ``conn`` must be in autocommit mode: DETACH … CONCURRENTLY never blocks the readers of the
    fact table (a plain DETACH or DROP of a partition would lock them out while it waits).
    """
    dropped = []
    with conn.cursor() as cur:
        cur.execute(OWN_TABLES)
        for name, attached, detach_pending, status in cur.fetchall():
            table = _qualified(name)
            if attached and status != ImportStatus.LOADED:
                cur.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {} {}").format(
                    _qualified(PARENT), table,
                    sql.SQL("FINALIZE" if detach_pending else "CONCURRENTLY")))
            elif attached or status in (ImportStatus.STAGED, ImportStatus.RUNNING):
                continue  # live facts, or a build its import is about to publish
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
            dropped.append(name)
    return dropped
