"""Load one staged file version: set-based dims → (own partition build) → atomic publish.

Staging (staging.py) and dimension upserts commit early: they are idempotent and no report
reads them; so does a large version's own partition, invisible until attached. The facts of a
file version switch in one transaction (old rows out, new rows in, quarantine, import log, dirty
report days), so a crash at any point leaves no partial import visible and a rerun completes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from psycopg import sql

from salesops_pipeline.core.db.connect import Connection, Cursor
from salesops_pipeline.core.load import import_log, partitions, report_change, staging
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.errors import ImportConflict


@dataclass(frozen=True)
class PublishResult:
    published: bool
    rows_loaded: int
    rows_replaced: int
    superseded_import: int | None
    days_touched: list[date]


DIMENSIONS = {
    "dim_product": "product",
    "dim_seller": "seller",
    "dim_shipping_company": "shipping_company",
}


def upsert_dimension(conn: Connection, *, import_id: int, table: str) -> tuple[int, int]:
    """Insert the staged names missing from one dimension; return (distinct names, new names).

    The names come from ``stage_name`` (staging spools each staged line's names there, so no
    scan of the lines is needed; the fact insert's count check would catch one missing). They
    are already in their one spelling (the row parser writes each through
    core/extract/rows/names.py), so equal text is the same name."""
    table_name = f"salesops.{table}"  # fixed identifiers, never user input
    cur = conn.cursor()
    cur.execute(
        f"WITH names AS (SELECT DISTINCT name FROM salesops.stage_name"
        f"               WHERE import_id = %s AND dimension = %s),"
        f" added AS (INSERT INTO {table_name} (name) SELECT name FROM names ORDER BY name"
        f"           ON CONFLICT (name) DO NOTHING RETURNING 1)"
        f" SELECT (SELECT count(*) FROM names), (SELECT count(*) FROM added)",
        (import_id, DIMENSIONS[table]),
    )
    row = cur.fetchone()
    assert row is not None, "a SELECT without FROM returns one row"
    distinct, added = row
    return distinct, added


# Into the shared partition (slot 0) through the parent, or into a file's own table (slot =
# import_id) before it is attached.
INSERT_FACTS = sql.SQL("""
INSERT INTO {target}
    (sold_at, product_id, seller_id, shipping_company_id, unit_price, units, total_price,
     source_file, source_sheet, source_row_number, import_id, load_slot)
SELECT s.sold_at, p.product_id, se.seller_id, sc.shipping_company_id, s.unit_price, s.units,
       s.total_price, %(key)s, s.source_sheet, s.source_row_number, s.import_id, %(slot)s
FROM salesops.stage_sales_line s
JOIN salesops.dim_product p ON p.name = s.product
JOIN salesops.dim_seller se ON se.name = s.seller
LEFT JOIN salesops.dim_shipping_company sc ON sc.name = s.shipping_company
WHERE s.import_id = %(import_id)s
""")
SHARED_FACTS = INSERT_FACTS.format(target=sql.SQL("salesops.fact_sales_line"))

MARK_DIRTY = """
INSERT INTO salesops.report_dirty_day (day)
SELECT DISTINCT sold_at::date FROM salesops.fact_sales_line WHERE source_file = %(key)s
UNION
SELECT DISTINCT sold_at::date FROM salesops.stage_sales_line WHERE import_id = %(import_id)s
UNION  -- rejected rows count on the day their import is published (see refresh_reports.sql)
SELECT now()::date WHERE EXISTS
    (SELECT 1 FROM salesops.stage_rejected_row WHERE import_id = %(import_id)s)
UNION
SELECT finished_at::date FROM salesops.import_log
WHERE source_file = %(key)s AND status = %(loaded)s AND rows_rejected > 0
ON CONFLICT (day) DO UPDATE SET marked_at = now()
RETURNING day
"""


def publish(conn: Connection, *, import_id: int, key: str,
            current_sha: Callable[[], str | None] | None = None,
            fail_after_insert: Callable[[], None] | None = None) -> PublishResult:
    """Switch the file's facts to this version in the caller's (single) transaction.

    ``current_sha`` says what the file in the folder holds now (None: gone or unreadable). It is
    asked under the file lock: when the file changed after this version was staged, publishing it
    could overwrite a newer version published meanwhile, so it is marked superseded instead and
    the newer bytes (which the sensor requests on its own) are the ones that get loaded.
    """
    cur = conn.cursor()
    import_log.lock_file(cur, key)
    status = import_log.status_of(cur, import_id)
    if status != ImportStatus.STAGED:
        # Another run published (or rejected) this version meanwhile: nothing to do.
        return PublishResult(False, 0, 0, None, [])
    if current_sha is not None and _outdated(cur, import_id, current_sha()):
        return PublishResult(False, 0, 0, None, [])
    built = partitions.state(cur, import_id) == "built"
    if not built:
        # The dimension steps normally did this already; a concurrent import of the same file
        # may have re-staged meanwhile, so make sure every staged name has its key (idempotent;
        # a built partition already holds validated keys).
        for table in DIMENSIONS:
            upsert_dimension(conn, import_id=import_id, table=table)
    cur.execute(MARK_DIRTY, {"key": key, "import_id": import_id, "loaded": ImportStatus.LOADED})
    days = sorted(r[0] for r in cur.fetchall())
    cur.execute("DELETE FROM salesops.fact_sales_line WHERE source_file = %s", (key,))
    replaced = cur.rowcount
    staged, rejected = _recorded(cur, import_id)
    if built:
        loaded = partitions.row_count(cur, import_id)
    else:
        cur.execute(SHARED_FACTS, {"key": key, "import_id": import_id, "slot": 0})
        loaded = cur.rowcount
    if loaded != staged:
        raise _unmatched(key, staged, loaded)
    if built:
        partitions.attach(cur, import_id)
    if fail_after_insert:
        fail_after_insert()
    cur.execute(
        "INSERT INTO salesops.rejected_row (import_id, source_file, source_sheet,"
        " source_row_number, raw_values, reasons) SELECT import_id, %s, source_sheet,"
        " source_row_number, raw_values, reasons"
        " FROM salesops.stage_rejected_row WHERE import_id = %s"
        " ON CONFLICT (import_id, source_sheet, source_row_number) DO NOTHING",
        (key, import_id),
    )
    # (a re-import of a withdrawn version finds its rows there already: not a loss)
    if cur.rowcount != rejected and (kept := _quarantined(cur, import_id)) != rejected:
        raise ImportConflict(
            f"{key}: {rejected} rows were quarantined but {kept} reached the quarantine "
            "(staging emptied by a database crash?); nothing was changed — rerun the import")
    previous = import_log.supersede_loaded(cur, key, by=import_id)
    import_log.mark_loaded(cur, import_id, loaded)
    report_change.record(cur, import_id=import_id, key=key, replaced_import=previous, days=days,
                         action=report_change.ChangeAction.REPLACED if previous
                         else report_change.ChangeAction.NEW)
    _drop_staged(cur, import_id)
    return PublishResult(True, loaded, replaced, previous, days)


def build_own_partition(conn: Connection, *, import_id: int, key: str,
                        min_rows: int) -> int | None:
    """Build this staged version's own fact partition when it has at least ``min_rows`` rows
    (0: never); return its rows, or None when the version goes to the shared partition.

    Runs in its own transaction before publish (the table is invisible until attached), under
    the file lock so that two runs of one file never build at once.
    """
    cur = conn.cursor()
    import_log.lock_file(cur, key)
    if import_log.status_of(cur, import_id) != ImportStatus.STAGED:
        return None  # published, superseded or failed meanwhile: nothing to build
    partitions.drop_built(cur, import_id)  # an earlier attempt's, possibly incomplete
    staged, _ = _recorded(cur, import_id)
    if not min_rows or staged < min_rows:
        return None
    target = partitions.create(cur, import_id)
    cur.execute(INSERT_FACTS.format(target=target),
                {"key": key, "import_id": import_id, "slot": import_id})
    if cur.rowcount != staged:
        raise _unmatched(key, staged, cur.rowcount)
    partitions.finish(cur, import_id)
    return staged


def _unmatched(key: str, staged: int, matched: int) -> ImportConflict:
    return ImportConflict(
        f"{key}: {staged} rows were staged but {matched} reached the facts (a name missing "
        "from its dimension, or staging emptied by a database crash: its tables are unlogged); "
        "nothing was changed — rerun the import")


def _quarantined(cur: Cursor, import_id: int) -> int:
    cur.execute("SELECT count(*) FROM salesops.rejected_row WHERE import_id = %s", (import_id,))
    row = cur.fetchone()
    assert row is not None, "SELECT count(*) returns one row"
    return int(row[0])


def _recorded(cur: Cursor, import_id: int) -> tuple[int, int]:
    """(good, quarantined) rows as staging recorded them in the import log, in the staging
    transaction. Facts and quarantine are checked against these counts, not against the
    staged rows: a database crash empties the unlogged staging tables, and publishing what is
    left would replace a file's facts by nothing."""
    counts = import_log.staged_counts(cur, import_id)
    assert counts is not None, "the caller found this import STAGED under the file lock"
    return counts


def _outdated(cur: Cursor, import_id: int, now: str | None) -> bool:
    """Mark the staged version superseded when the file now holds other bytes."""
    cur.execute("SELECT sha256 FROM salesops.import_log WHERE import_id = %s", (import_id,))
    row = cur.fetchone()
    assert row is not None, "publish() found this import STAGED under the file lock just before"
    if now is None or now == row[0]:
        return False
    import_log.mark_outdated(
        cur, import_id, f"not published: the file changed (now sha256 {now[:12]}…) after this "
        "version was staged; the newer version is imported instead")
    partitions.drop_built(cur, import_id)
    _drop_staged(cur, import_id)
    return True


def _drop_staged(cur: Cursor, import_id: int) -> None:
    """Delete what staging kept only until publish (skipped rows and control totals stay)."""
    for table in staging.UNTIL_PUBLISHED:  # fixed identifiers
        cur.execute(f"DELETE FROM salesops.{table} WHERE import_id = %s", (import_id,))
