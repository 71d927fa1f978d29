"""Markdown a person reads on the report assets: the latest week and a weekly revenue chart."""

from __future__ import annotations

import psycopg2.extensions

CHART_WEEKS = 12
BAR_WIDTH = 30


def latest_week_preview(cur: psycopg2.extensions.cursor) -> str:
    cur.execute(
        "SELECT date_trunc('week', max(day))::date FROM salesops.report_daily_sales")
    week = cur.fetchone()[0]
    if week is None:
        return "_no sales yet_"
    cur.execute(
        "SELECT seller, sum(revenue), sum(units), sum(line_count) FROM salesops.report_daily_seller"
        " WHERE day >= %s AND day < %s::date + 7 GROUP BY seller ORDER BY 2 DESC, 1 LIMIT 10",
        (week, week))
    lines = [f"**Week of {week.isoformat()}** — top sellers", "",
             "| seller | revenue | units | lines |", "|---|---:|---:|---:|"]
    lines += [f"| {s} | {r:,.2f} | {u:,} | {n:,} |" for s, r, u, n in cur.fetchall()]
    return "\n".join(lines)


def weekly_revenue_chart(cur: psycopg2.extensions.cursor) -> str:
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
