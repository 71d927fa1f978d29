"""One spelling per name: dimension rows of one name typed two ways merged, names respelled.

Before this revision a name typed on Windows and on a Mac (NFC or NFD), or with a no-break
space around it, became two sellers (products, shipping companies) and split their figures.
Every stored name is now spelled by core/extract/rows/names.py, the one definition the parser uses:
rows spelled alike are merged into the lowest id (their lines repointed in every partition,
the duplicates deleted), a name alone is respelled in place, staged rows of imports not yet
published are respelled, and the report days of the lines concerned are rewritten. Each merge
is reported; on a database whose names are already so spelled nothing is written.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections import defaultdict
from typing import cast

from alembic import op
from psycopg import sql

from salesops_pipeline.core.db.connect import Connection, Cursor
from salesops_pipeline.core.db.migrations import run_sql_file, say
from salesops_pipeline.core.extract.rows.cells import InvalidCell
from salesops_pipeline.core.extract.rows.names import to_name
from salesops_pipeline.core.load.publish import DIMENSIONS
from salesops_pipeline.core.report.refresh import rewrite_days

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

SHOWN = 20  # merges and renames listed per dimension; the rest are counted
Change = tuple[str, int, int, str]  # dimension, id, survivor id, stored spelling


def upgrade() -> None:
    conn = cast(Connection, op.get_bind().connection.driver_connection)
    cur = conn.cursor()
    # No import adds a name or a line meanwhile (their key checks wait); reports still read.
    cur.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.SQL(", ").join(
        sql.Identifier("salesops", table) for table in DIMENSIONS)))
    changes: list[Change] = []
    for table, column in DIMENSIONS.items():
        changes += _dimension(cur, table, column)
    staged = _staged_spellings(cur)
    if not changes and not staged:
        say("names: every name already in its one spelling, nothing changed")
        return
    cur.execute("CREATE TEMP TABLE name_change (dim text, id bigint, survivor bigint, name text,"
                " PRIMARY KEY (dim, id)) ON COMMIT DROP")
    cur.execute("CREATE TEMP TABLE stage_spelling (old text PRIMARY KEY, new text NOT NULL)"
                " ON COMMIT DROP")
    with cur.copy("COPY name_change FROM STDIN") as copy:
        for change in changes:
            copy.write_row(change)
    with cur.copy("COPY stage_spelling FROM STDIN") as copy:
        for old, new in staged.items():
            copy.write_row((old, new))
    cur.execute("ANALYZE name_change")  # so the plans below look lines up by their keys
    run_sql_file("migrations/0003_one_spelling_per_name.sql")
    _refresh_reports(conn, cur)
    if staged:
        say(f"stage_sales_line: {len(staged)} staged name(s) of unpublished imports respelled")


def _dimension(cur: Cursor, table: str, column: str) -> list[Change]:
    """The rows of one dimension that change, grouped by stored spelling; says what it does."""
    cur.execute(sql.SQL("SELECT {}, name FROM {} ORDER BY 1").format(
        sql.Identifier(f"{column}_id"), sql.Identifier("salesops", table)))
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row_id, name in cur.fetchall():
        try:
            groups[to_name(name)].append((row_id, name))
        except InvalidCell as exc:  # no row holds nothing but spaces: the CHECK forbids it
            say(f"{table}: id {row_id} {name!r} left as it is ({exc})")
    changes: list[Change] = []
    lines: list[str] = []
    merged = renamed = 0
    for spelling, rows in groups.items():
        survivor = rows[0][0]  # the lowest id
        if len(rows) > 1:
            merged += 1
            ids = ", ".join(str(row_id) for row_id, _ in rows)
            lines.append(f"{table}: merged {spelling!r} (ids {ids}) into id {survivor}")
        elif rows[0][1] != spelling:
            renamed += 1
            lines.append(f"{table}: respelled id {survivor} {rows[0][1]!r} as {spelling!r}")
        else:
            continue
        changes += [(table, row_id, survivor, spelling) for row_id, _ in rows]
    for line in lines[:SHOWN]:
        say(line)
    if len(lines) > SHOWN:
        say(f"{table}: … and {len(lines) - SHOWN} more")
    if merged or renamed:
        gone = sum(1 for _, row_id, survivor, _ in changes if row_id != survivor)
        say(f"{table}: {merged} name(s) merged ({gone} duplicate row(s) deleted), "
            f"{renamed} respelled in place")
    return changes


def _staged_spellings(cur: Cursor) -> dict[str, str]:
    """Names staged by an older parser for imports not yet published → their spelling."""
    cur.execute("SELECT product FROM salesops.stage_sales_line UNION"
                " SELECT seller FROM salesops.stage_sales_line UNION"
                " SELECT shipping_company FROM salesops.stage_sales_line"
                " WHERE shipping_company IS NOT NULL")
    spellings = {}
    for (name,) in cur.fetchall():
        try:
            spelling = to_name(name)
        except InvalidCell:
            continue
        if spelling != name:
            spellings[name] = spelling
    return spellings


def _refresh_reports(conn: Connection, cur: Cursor) -> None:
    """Rewrite the report days of the lines concerned (temp table name_day), each with the
    tolerance it was last refreshed with (a merge moves no line between quality rules); a day
    never refreshed is marked for the next refresh, as an import marks it."""
    cur.execute("SELECT q.tolerance, array_agg(d.day ORDER BY d.day) FROM name_day d"
                " JOIN salesops.report_daily_quality q USING (day) GROUP BY 1 ORDER BY 1")
    rewritten = 0
    for tolerance, days in cur.fetchall():
        rewrite_days(conn, days, tolerance=tolerance, run_id="salesops db upgrade (0003)")
        rewritten += len(days)
    cur.execute("INSERT INTO salesops.report_dirty_day (day) SELECT day FROM name_day"
                " WHERE day NOT IN (SELECT day FROM salesops.report_daily_quality)"
                " ON CONFLICT (day) DO NOTHING")
    marked = cur.rowcount
    say(f"reports: {rewritten} day(s) rewritten"
        + (f", {marked} day(s) never refreshed marked for the next refresh" if marked else ""))
