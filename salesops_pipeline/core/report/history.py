"""Report history: the report tables as they stood at any moment (``as_of``), kept per day.

Why per day and not per fact line: every report reads only the daily report tables, so what a
reader saw at a moment is fully given by those tables' rows then. Each refresh, before it rewrites
its days, copies their current rows into ``<table>_history`` (valid from when the day was last
written, until now) and then records the day as written now in ``report_day_version``. Today's
reads are untouched (same tables, same plans); an ``as_of`` read swaps each report table for its
``<table>_as_of(moment)`` function (schema revision 0005): the day's current rows when it was
written at or before the moment, else its history row valid then. A refresh's moment
(:func:`moment`) is the clock read once it holds the report lock; a reader that takes the lock
shared and then reads the clock (:func:`hold_still`, the weekly export) sees exactly the
refreshes of earlier moments, so ``as_of`` its moment later gives what it read. A restatement
records its refresh's moment too.

The history grows with days × names rewritten, not with lines: a replaced file of a million lines
over 30 days costs the rows those 30 days held, whatever the line count. It is kept for good
(nothing prunes it). It starts at revision 0005: a day not rewritten since reads as it is now.
"""

from __future__ import annotations

import re
from datetime import datetime

from salesops_pipeline.core.db.connect import Cursor

#: Each report table and its columns, in table order (the history tables copy them).
REPORT_COLUMNS = {
    "report_daily_sales": ("day", "revenue", "units", "line_count", "refreshed_at"),
    "report_daily_seller": ("day", "seller_id", "seller", "revenue", "units", "line_count"),
    "report_daily_product": ("day", "product_id", "product", "revenue", "units", "line_count"),
    "report_daily_shipping": ("day", "shipping_company", "revenue", "line_count"),
    "report_daily_quality": ("day", "line_count", "mismatched_total_count",
                             "nonpositive_units_count", "negative_amount_count",
                             "missing_shipping_company_count", "rejected_row_count",
                             "tolerance"),
    "report_quality_sample": ("day", "rule", "source_file", "source_row_number", "row_values",
                              "source_sheet"),
}
# A report table, and the alias the statement gives it, if any ("… AS s").
_TABLE = re.compile(r"\bsalesops\.(" + "|".join(REPORT_COLUMNS) + r")\b(?:\s+AS\s+(\w+))?",
                    re.IGNORECASE)


def _archive_sql(table: str) -> str:
    columns = ", ".join(f"r.{c}" for c in REPORT_COLUMNS[table])  # fixed names from code
    return (f"INSERT INTO salesops.{table}_history ({', '.join(REPORT_COLUMNS[table])},"
            f" valid_from, valid_to)"
            f" SELECT {columns}, coalesce(v.written_at, '-infinity'), %(moment)s"
            f" FROM salesops.{table} r LEFT JOIN salesops.report_day_version v USING (day)"
            f" WHERE r.day IN (SELECT day FROM refresh_day)")


ARCHIVE = [_archive_sql(table) for table in REPORT_COLUMNS]
STAMP = ("INSERT INTO salesops.report_day_version (day, written_at)"
         " SELECT day, %(moment)s FROM refresh_day"
         " ON CONFLICT (day) DO UPDATE SET written_at = excluded.written_at")


def kept(cur: Cursor) -> bool:
    """Whether this database keeps report history (schema revision 0005 applied): revision 0003
    rewrites report days before the history tables exist."""
    cur.execute("SELECT to_regclass('salesops.report_day_version') IS NOT NULL")
    row = cur.fetchone()
    return bool(row and row[0])


def moment(cur: Cursor) -> datetime:
    """The server's clock now: a refresh's moment, read once it holds the report lock."""
    cur.execute("SELECT clock_timestamp()")
    row = cur.fetchone()
    assert row is not None, "SELECT without FROM returns one row"
    at: datetime = row[0]
    return at


def hold_still(cur: Cursor) -> datetime:
    """Take the report lock shared for the rest of the caller's transaction (no refresh commits
    meanwhile; every read sees one state) and return the moment that state is ``as_of``."""
    cur.execute("SELECT pg_advisory_xact_lock_shared(hashtext('salesops.reports'))")
    return moment(cur)


def archive(cur: Cursor, at: datetime) -> None:
    """Copy the rows of the days in temp table refresh_day into the history, valid until ``at``,
    before the refresh rewrites them (the caller's transaction)."""
    for statement in ARCHIVE:
        cur.execute(statement, {"moment": at})


def stamp(cur: Cursor, at: datetime) -> None:
    """Record the days in refresh_day as written at ``at``, after the refresh rewrote them."""
    cur.execute(STAMP, {"moment": at})


def as_of(statement: str, moment: datetime | None) -> str:
    """``statement`` reading each report table as it stood at ``%(as_of)s`` (bind the moment
    under that name); unchanged when ``moment`` is None (today's reads, today's plans).

    >>> as_of("SELECT 1 FROM salesops.report_daily_sales", datetime(2026, 1, 1))
    'SELECT 1 FROM salesops.report_daily_sales_as_of(%(as_of)s) AS report_daily_sales'
    >>> as_of("SELECT s.day FROM salesops.report_daily_sales AS s", datetime(2026, 1, 1))
    'SELECT s.day FROM salesops.report_daily_sales_as_of(%(as_of)s) AS s'
    """
    if moment is None:
        return statement
    return _TABLE.sub(lambda m: f"salesops.{m[1]}_as_of(%(as_of)s) AS {m[2] or m[1]}",
                      statement)
