"""The weekly revenue series the business-figure checks judge (core/report/anomalies.py): per
seller, per product and in total, the week asked for and its trailing weeks, read from the
daily report tables (so a check costs a few hundred report rows, not a scan of the facts)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from salesops_pipeline.core.db.connect import Cursor
from salesops_pipeline.core.report.anomalies import TRAILING_WEEKS, FigureFinding, Limits, assess
from salesops_pipeline.core.report.weeks import WEEK, week_end, week_start

__all__ = ["TOTAL", "figure_findings", "weekly_series"]

TOTAL = "all sales"
"""The name of the total's one series."""
# One statement per scope; table and column are fixed text from code, never input.
_SERIES_SQL = {
    "total": """SELECT %(total)s::text AS name, date_trunc('week', day)::date AS week,
                       sum(revenue) AS revenue
                  FROM salesops.report_daily_sales
                 WHERE day >= %(first)s AND day <= %(last)s GROUP BY 2""",
    "seller": """SELECT seller AS name, date_trunc('week', day)::date AS week,
                        sum(revenue) AS revenue
                   FROM salesops.report_daily_seller
                  WHERE day >= %(first)s AND day <= %(last)s GROUP BY 1, 2""",
    "product": """SELECT product AS name, date_trunc('week', day)::date AS week,
                         sum(revenue) AS revenue
                    FROM salesops.report_daily_product
                   WHERE day >= %(first)s AND day <= %(last)s GROUP BY 1, 2""",
}


def weekly_series(cur: Cursor, scope: str, week: date
                  ) -> dict[str, tuple[list[Decimal], Decimal]]:
    """Each name with sales in ``week`` or its trailing weeks: (the trailing weeks' revenue,
    oldest first, 0 without sales; the week's revenue)."""
    monday = week_start(week)
    first = monday - TRAILING_WEEKS * WEEK
    params: dict[str, Any] = {"first": first, "last": week_end(monday), "total": TOTAL}
    cur.execute(_SERIES_SQL[scope], params)
    by_name: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for name, start, revenue in cur.fetchall():
        by_name[name][start] = revenue
    trailing = [first + i * WEEK for i in range(TRAILING_WEEKS)]
    return {name: ([weeks.get(w, Decimal(0)) for w in trailing], weeks.get(monday, Decimal(0)))
            for name, weeks in by_name.items()}


def figure_findings(cur: Cursor, scope: str, week: date, limits: Limits
                    ) -> list[FigureFinding]:
    """The unusual figures of one scope in ``week``, in name order (code points)."""
    monday = week_start(week)
    series = weekly_series(cur, scope, monday)
    found = (assess(scope, name, monday, history, current, limits)
             for name, (history, current) in sorted(series.items(),
                                                    key=lambda kv: kv[0].encode("utf-8")))
    return [f for f in found if f is not None]

