"""What the restatement log and the report history cost: report reads today and with as_of, and
the time and space a 1M-line replacement's restatements add to its report refresh.

    python benchmarks/restatements.py [--lines 2000000] [--replace 1000000] [--reads 200]

Starts a throwaway PostgreSQL (removed at the end), migrates it and generates ``--lines`` fact
lines and the daily report tables with benchmarks/api.py's SQL (2 years, 50 sellers, 500
products, 100 imports). Then, in one run:

- today's reads: the five report statements (core/report/queries.py, as the API runs them) for
  ``--reads`` random one-week periods each, p50/p99, with the history empty;
- a replacement of the first imports' ``--replace`` lines (every figure changed, their days
  marked dirty and the file changes recorded as publish does), refreshed by the real refresh
  code twice each way: with history and restatements off (the revision-0005 tables renamed
  away, which the refresh code reads as an older schema) and on; seconds and the bytes the
  history tables grew by;
- today's reads again (now with history rows), and the same reads ``as_of`` a moment before the
  last replacement.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from api import DAYS, FIRST_DAY, build_warehouse

from salesops_pipeline.core.db.migrations import upgrade
from salesops_pipeline.core.db.schema import ensure_database
from salesops_pipeline.core.report import queries as q
from salesops_pipeline.core.report.history import REPORT_COLUMNS
from salesops_pipeline.core.report.refresh import refresh
from salesops_pipeline.core.report.week_files import ConnectionFetcher
from salesops_pipeline_tests.pg import throwaway_cluster

TOLERANCE = Decimal("0.01")
HISTORY_TABLES = [f"salesops.{t}_history" for t in REPORT_COLUMNS]
OFF = [("report_day_version", "report_day_version_off"), ("report_change", "report_change_off")]
READS: dict[str, Callable[..., Any]] = {
    "weekly-summary": lambda db, s, e, a: q.weekly_summary(db, start=s, end=e, as_of=a),
    "seller-ranking": lambda db, s, e, a: q.seller_ranking(db, start=s, end=e, as_of=a),
    "top-products": lambda db, s, e, a: q.top_products(db, start=s, end=e, limit=10, as_of=a),
    "shipping-breakdown": lambda db, s, e, a: q.shipping_breakdown(db, start=s, end=e, as_of=a),
    "data-quality": lambda db, s, e, a: q.quality_counts(db, start=s, end=e, as_of=a,
                                                         default_tolerance=TOLERANCE),
}


def reads(url: str, n: int, as_of: datetime | None) -> dict[str, tuple[float, float]]:
    """p50 and p99 (ms) of each report over ``n`` random one-week periods."""
    rnd = random.Random(1)
    spans = [FIRST_DAY + timedelta(days=rnd.randrange(DAYS - 7)) for _ in range(n)]
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        db = ConnectionFetcher(conn)  # type: ignore[arg-type]
        for name, read in READS.items():
            for start in spans[:10]:  # warm the cache and the plans
                read(db, start, start + timedelta(days=6), as_of)
            times = []
            for start in spans:
                began = time.perf_counter()
                read(db, start, start + timedelta(days=6), as_of)
                times.append((time.perf_counter() - began) * 1000)
            times.sort()
            out[name] = (statistics.median(times), times[int(len(times) * 0.99) - 1])
    return out


def history_bytes(cur: psycopg.Cursor) -> int:
    cur.execute("SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest(%s::text[]) t",
                (HISTORY_TABLES,))
    row = cur.fetchone()
    return int(row[0]) if row and row[0] else 0


def replace(url: str, imports: int, *, logged: bool) -> dict[str, float]:
    """Change every figure of the first ``imports`` imports, mark their days, refresh."""
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        if not logged:
            for name, away in OFF:
                cur.execute(f"ALTER TABLE salesops.{name} RENAME TO {away}")  # fixed names
        cur.execute("UPDATE salesops.fact_sales_line SET total_price = total_price + 0.01"
                    " WHERE import_id <= %s", (imports,))
        lines = cur.rowcount
        cur.execute("INSERT INTO salesops.report_dirty_day (day) SELECT DISTINCT sold_at::date"
                    " FROM salesops.fact_sales_line WHERE import_id <= %s"
                    " ON CONFLICT DO NOTHING RETURNING day", (imports,))
        days = sorted(r[0] for r in cur.fetchall())
        if logged:
            cur.execute("INSERT INTO salesops.report_change (import_id, source_file, action,"
                        " replaced_import, days) SELECT g, 'sales_' || g || '.xlsx',"
                        " 'replaced', g, %s::date[] FROM generate_series(1, %s) g",
                        (days, imports))
        grown = history_bytes(cur) if logged else 0
        with psycopg.connect(url) as rconn:
            result = refresh(rconn, tolerance=TOLERANCE, run_id="benchmark")
        grown = history_bytes(cur) - grown if logged else 0
        if not logged:
            for name, away in OFF:
                cur.execute(f"ALTER TABLE salesops.{away} RENAME TO {name}")
    return {"lines": lines, "days": len(days), "seconds": result.seconds,
            "restated": len(result.restated), "history_bytes": grown}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--replace", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args(argv)
    imports = max(1, round(args.replace * 100 / args.lines))
    with throwaway_cluster("salesops-bench-restate-") as cluster:
        url = cluster.url("salesops_bench")
        ensure_database(url)
        upgrade(url)
        print(f"warehouse: {args.lines:,} lines", flush=True)
        build_warehouse(url, args.lines)
        today_before = reads(url, args.reads, None)
        runs = []
        for logged in (False, True, False, True):
            runs.append((logged, replace(url, imports, logged=logged)))
            print(f"  replacement, history {'on' if logged else 'off'}: {runs[-1][1]}",
                  flush=True)
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT max(recorded_at) - interval '1 second'"
                        " FROM salesops.restatement")
            row = cur.fetchone()
            moment = row[0] if row else None
            cur.execute("SELECT count(*) FROM salesops.report_daily_product_history")
            history_rows = cur.fetchone()
        today_after = reads(url, args.reads, None)
        as_of = reads(url, args.reads, moment)
    off = min(r["seconds"] for logged, r in runs if not logged)
    on = min(r["seconds"] for logged, r in runs if logged)
    last = runs[-1][1]
    print(f"\nreplacement of {last['lines']:,} lines over {last['days']} days: refresh "
          f"{off:.2f} s without history/restatements, {on:.2f} s with (+{on - off:.2f} s); "
          f"{last['restated']} week(s) restated; history +{last['history_bytes'] / 1e6:.1f} MB "
          f"({last['history_bytes'] / 1e6 / last['lines'] * 1e6:.1f} MB per million lines "
          f"replaced; product history rows now {history_rows[0] if history_rows else 0:,})")
    print(f"\n{'report':20} {'today p50/p99 ms':>18} {'today, history kept':>20} "
          f"{'as_of p50/p99 ms':>18}")
    for name in READS:
        cells = [f"{m[name][0]:.2f} / {m[name][1]:.2f}" for m in (today_before, today_after,
                                                                  as_of)]
        print(f"{name:20} {cells[0]:>18} {cells[1]:>20} {cells[2]:>18}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
