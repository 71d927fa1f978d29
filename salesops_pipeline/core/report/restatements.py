"""The restatement log: which ISO weeks' figures already in the reports a refresh changed, by how
much, and because of which file versions.

A refresh (core/report/refresh.py) snapshots the figures of the weeks it touches before it
rewrites them (:func:`snapshot`) and, in the same transaction, compares afterwards
(:func:`record`): a week with a day that was already in the report tables and whose figures
changed (total, or any seller, product or shipping company) gets one restatement with the week's
totals before and after, the names whose figures changed, and the file changes
(core/load/report_change.py) the refresh took. Taking them in the refresh's transaction makes it
exactly once: a failed refresh leaves them for the next, a second refresh finds none. Days new to
the reports restate nothing. A week the weekly job had exported or e-mailed
(``report_week_sent``, :func:`mark_sent`) is *reported*: its restatement says since when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from salesops_pipeline.core.db.connect import Cursor
from salesops_pipeline.core.report.weeks import week_days, week_end, week_start

#: One row per day, dimension and name: the figures every report shows (units NULL for
#: shipping), with the day's week as core/report/weeks.py says (bound with the days).
FIGURES = """
SELECT m.week, f.* FROM (
    SELECT day, 'total'::text AS dimension, ''::text AS name, revenue, units, line_count
      FROM salesops.report_daily_sales WHERE day = ANY(%(days)s::date[])
    UNION ALL
    SELECT day, 'seller', seller, revenue, units, line_count
      FROM salesops.report_daily_seller WHERE day = ANY(%(days)s::date[])
    UNION ALL
    SELECT day, 'product', product, revenue, units, line_count
      FROM salesops.report_daily_product WHERE day = ANY(%(days)s::date[])
    UNION ALL
    SELECT day, 'shipping_company', shipping_company, revenue, NULL::numeric, line_count
      FROM salesops.report_daily_shipping WHERE day = ANY(%(days)s::date[])) f
JOIN unnest(%(days)s::date[], %(weeks)s::date[]) AS m (day, week) USING (day)
"""
# Days already in the report tables (a total row before) whose figures are not the same now.
CHANGED_DAYS = """
SELECT DISTINCT day FROM (
    (SELECT * FROM figure_before EXCEPT ALL SELECT * FROM figure_after)
    UNION ALL
    (SELECT * FROM figure_after EXCEPT ALL SELECT * FROM figure_before)) d
 WHERE day IN (SELECT day FROM figure_before WHERE dimension = 'total')
 ORDER BY day
"""
TAKE_CHANGES = """
UPDATE salesops.report_change SET refresh_id = %s WHERE refresh_id IS NULL
RETURNING change_id, import_id, source_file, action, replaced_import, days, changed_at
"""
Key = tuple[str, str]  # dimension, name
Figures = dict[Key, tuple[Decimal, Decimal | None, int]]


def snapshot(cur: Cursor, table: str, weeks: list[date]) -> None:
    """The figures of ``weeks`` now, into temp table ``table`` (figure_before/figure_after)."""
    assert table in ("figure_before", "figure_after"), "fixed names from this module"
    days = [day for week in weeks for day in week_days(week)]
    cur.execute(f"CREATE TEMP TABLE {table} ON COMMIT DROP AS {FIGURES}",
                {"days": days, "weeks": [week_start(d) for d in days]})


@dataclass(frozen=True)
class Restated:
    restatement_id: int
    week: date
    reported: bool


def record(cur: Cursor, *, refresh_id: int, weeks: list[date], at: datetime
           ) -> list[Restated]:
    """Compare ``weeks`` with the snapshot taken before the refresh, take the pending file
    changes, and write one restatement per week whose already-reported days changed."""
    snapshot(cur, "figure_after", weeks)
    cur.execute(CHANGED_DAYS)
    restated = sorted({week_start(r[0]) for r in cur.fetchall()})
    cur.execute(TAKE_CHANGES, (refresh_id,))
    changes = cur.fetchall()
    before, after = _weeks(cur, "figure_before", restated), _weeks(cur, "figure_after", restated)
    return [_write(cur, (refresh_id, at), week, before[week], after[week], changes)
            for week in restated]


def _weeks(cur: Cursor, table: str, weeks: list[date]) -> dict[date, Figures]:
    """The figures of each of ``weeks`` summed from a snapshot, in one pass."""
    out: dict[date, Figures] = {week: {} for week in weeks}
    if not weeks:
        return out
    cur.execute(f"SELECT week, dimension, name, sum(revenue), sum(units),"
                f" sum(line_count)::bigint FROM {table} WHERE week = ANY(%s::date[])"
                f" GROUP BY 1, 2, 3", (weeks,))
    for week, d, n, revenue, units, lines in cur.fetchall():
        out[week][(d, n)] = (revenue, units, lines)
    return out


def _write(cur: Cursor, refresh: tuple[int, datetime], week: date, before: Figures,
           after: Figures,
           changes: list[tuple[Any, ...]]) -> Restated:
    zero = (Decimal(0), Decimal(0), 0)
    b, a = before.get(("total", ""), zero), after.get(("total", ""), zero)
    cur.execute(
        "INSERT INTO salesops.restatement (week, refresh_id, recorded_at, revenue_before,"
        " revenue_after, units_before, units_after, lines_before, lines_after, reported_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, (SELECT max(sent_at)"
        "  FROM salesops.report_week_sent WHERE week = %s)) RETURNING restatement_id, reported_at",
        (week, *refresh, b[0], a[0], b[1], a[1], b[2], a[2], week))
    row = cur.fetchone()
    assert row is not None, "INSERT ... RETURNING returns the row it inserted"
    restatement_id, reported_at = row
    names = sorted(k for k in before.keys() | after.keys()
                   if k[0] != "total" and before.get(k) != after.get(k))
    rows = [(restatement_id, d, n, *_pair(before.get((d, n)), after.get((d, n))))
            for d, n in names]
    with cur.copy("COPY salesops.restatement_figure (restatement_id, dimension, name,"
                  " revenue_before, revenue_after, units_before, units_after, lines_before,"
                  " lines_after) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    last = week_end(week)
    files = [(restatement_id, *c[:5], c[6]) for c in changes
             if any(week <= day <= last for day in c[5])]
    cur.executemany(
        "INSERT INTO salesops.restatement_file (restatement_id, change_id, import_id,"
        " source_file, action, replaced_import, changed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        files)
    return Restated(restatement_id, week, reported_at is not None)


def _pair(before: tuple[Decimal, Decimal | None, int] | None,
          after: tuple[Decimal, Decimal | None, int] | None) -> tuple[Any, ...]:
    """revenue, units and lines, each before and after (None where the name had none)."""
    b = before or (None, None, None)
    a = after or (None, None, None)
    return b[0], a[0], b[1], a[1], b[2], a[2]


def mark_sent(cur: Cursor, *, week: date, channel: str, run_id: str | None,
              figures_at: datetime | None = None) -> None:
    """The weekly job exported (``export``) or e-mailed (``email``) the week: it is reported.
    ``figures_at``: the moment of the figures it sent (default: now), for ``as_of``."""
    cur.execute("INSERT INTO salesops.report_week_sent (week, channel, run_id, figures_at)"
                " VALUES (%s, %s, %s, coalesce(%s, now()))",
                (week_start(week), channel, run_id, figures_at))


def last_sent(cur: Cursor) -> datetime | None:
    """The moment of the figures the weekly job last exported or e-mailed (None: never): a
    restatement recorded after it is news to whoever read that export."""
    cur.execute("SELECT max(figures_at) FROM salesops.report_week_sent")
    row = cur.fetchone()
    return row[0] if row else None


