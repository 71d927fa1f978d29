"""What a person reads on the report assets: the latest week, its revenue as a number Dagster
plots over the refreshes, and a weekly revenue chart in Markdown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dagster import MetadataValue

from salesops_pipeline.core.db.connect import Cursor
from salesops_pipeline.core.report.figures import money_text
from salesops_pipeline.core.report.render import markdown_text

CHART_WEEKS = 12
BAR_WIDTH = 30


def latest_week(cur: Cursor) -> date | None:
    """Monday of the week of the latest sale in the reports (None: no sales yet)."""
    cur.execute(
        "SELECT date_trunc('week', max(day))::date FROM salesops.report_daily_sales")
    row = cur.fetchone()
    return row[0] if row else None


def week_revenue(cur: Cursor, week: date) -> Decimal:
    """The exact revenue of the week starting ``week``."""
    cur.execute("SELECT coalesce(sum(revenue), 0) FROM salesops.report_daily_sales"
                " WHERE day >= %s AND day < %s::date + 7", (week, week))
    row = cur.fetchone()
    return row[0] if row else Decimal(0)


def latest_week_metadata(cur: Cursor) -> dict[str, MetadataValue]:
    """The latest week: its top sellers and revenue (Markdown, exact) and its revenue as a
    float, the type Dagster plots (the nearest double: up to 15 significant digits it reads
    back as written)."""
    week = latest_week(cur)
    if week is None:
        return {"latest_week": MetadataValue.md("_no sales yet_")}
    revenue = week_revenue(cur, week)
    return {"latest_week": MetadataValue.md(latest_week_preview(cur, week, revenue)),
            "latest_week_start": MetadataValue.text(week.isoformat()),
            "latest_week_revenue": MetadataValue.float(float(revenue))}


def latest_week_preview(cur: Cursor, week: date, revenue: Decimal) -> str:
    cur.execute(
        "SELECT seller, sum(revenue), sum(units), sum(line_count) FROM salesops.report_daily_seller"
        " WHERE day >= %s AND day < %s::date + 7 GROUP BY seller ORDER BY 2 DESC, 1 LIMIT 10",
        (week, week))
    lines = [f"**Week of {week.isoformat()}** — revenue {money_text(revenue)} — top sellers", "",
             "| seller | revenue | units | lines |", "|---|---:|---:|---:|"]
    lines += [f"| {markdown_text(s)} | {r:,.2f} | {u:,} | {n:,} |"
              for s, r, u, n in cur.fetchall()]
    return "\n".join(lines)


def weekly_revenue_chart(cur: Cursor) -> str:
    cur.execute(
        "SELECT date_trunc('week', day)::date AS week, sum(revenue)"
        " FROM salesops.report_daily_sales"
        " GROUP BY 1 ORDER BY 1 DESC LIMIT %s", (CHART_WEEKS,))
    weeks = list(reversed(cur.fetchall()))
    if not weeks:
        return "_no sales yet_"
    top = max((r for _, r in weeks), default=0) or 1
    lines = ["| week | revenue | |", "|---|---:|---|"]
    for week, revenue in weeks:
        bar = "█" * max(0, round(BAR_WIDTH * revenue / top))
        lines.append(f"| {week.isoformat()} | {revenue:,.2f} | `{bar}` |")
    return "\n".join(lines)
