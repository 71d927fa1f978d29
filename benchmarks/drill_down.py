"""Drill-down latency (/reports/lines' query) on a generated warehouse, without and with the
indexes of revision 0006, in one run.

    python benchmarks/drill_down.py [--lines 1000000] [--repeat 5]

Starts a throwaway PostgreSQL (removed at the end), migrates it to head, generates ``--lines``
fact lines with SQL as benchmarks/api.py does (2 years, 50 sellers, 500 products, 6 shipping
companies + 5 % without one, one line in 1,000 with a wrong total), then runs each drill-down the
dashboard opens (core/report/lines.py: the first page of 100 lines, as the API asks for it) with
``EXPLAIN (ANALYZE, BUFFERS)``: the best of ``--repeat`` execution times, first with the 0006
indexes dropped ("before"), then with them built again ("after").
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import date
from decimal import Decimal

import psycopg
from api import DAYS, FIRST_DAY, build_warehouse
from bench_warehouse import bench_warehouse

from salesops_pipeline.core.report.lines import LineFilter, lines_query
from salesops_pipeline.settings import sql_dir

WEEK = (date(2025, 3, 3), date(2025, 3, 9))
ALL = (FIRST_DAY, date.fromordinal(FIRST_DAY.toordinal() + DAYS - 1))
CASES = {
    "a week's lines": LineFilter(*WEEK),
    "a seller's week": LineFilter(*WEEK, seller="Seller 7"),
    "a seller over 2 years": LineFilter(*ALL, seller="Seller 7"),
    "a product over 2 years": LineFilter(*ALL, product="Product 42"),
    "a shipping company's week": LineFilter(*WEEK, shipping_company="Carrier 3"),
    "a shipping company over 2 years": LineFilter(*ALL, shipping_company="Carrier 3"),
    "UNKNOWN shipping over 2 years": LineFilter(*ALL, shipping_company="UNKNOWN"),
    "mismatched totals over 2 years": LineFilter(*ALL, rule="mismatched_total",
                                                 tolerance=Decimal("0.01")),
    "mismatched totals of a week": LineFilter(*WEEK, rule="mismatched_total",
                                              tolerance=Decimal("0.01")),
    "non-positive units over 2 years": LineFilter(*ALL, rule="nonpositive_units"),
    "missing shipping of a week": LineFilter(*WEEK, rule="missing_shipping_company"),
}
INDEXES = re.findall(r"CREATE INDEX IF NOT EXISTS (\w+)",
                     (sql_dir() / "migrations/0006_drill_down_indexes.sql").read_text())


def measure(url: str, repeat: int) -> dict[str, float]:
    """Best execution time (ms) of each case's first page."""
    out = {}
    with psycopg.connect(url) as conn:
        for name, want in CASES.items():
            text, params = lines_query(want, limit=101, offset=0)
            best = float("inf")
            for _ in range(repeat):
                plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + text,
                                    params).fetchone()[0][0]
                best = min(best, plan["Execution Time"] + plan["Planning Time"])
            out[name] = best
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with bench_warehouse("salesops-bench-drill-") as warehouse:
        url = warehouse.url
        print(f"generating {args.lines:,} fact lines …", flush=True)
        build_warehouse(url, args.lines)  # builds every index, 0006's included
        with psycopg.connect(url, autocommit=True) as conn:
            definitions = [conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname ="
                                        " 'salesops' AND indexname = %s", (n,)).fetchone()[0]
                           for n in INDEXES]
            for name in INDEXES:
                conn.execute(f"DROP INDEX salesops.{name}")  # names from our own SQL file
            conn.execute("ANALYZE salesops.fact_sales_line")
        before = measure(url, args.repeat)
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.monotonic()
            for definition in definitions:
                conn.execute(definition.replace(" ON ONLY ", " ON "))
            conn.execute("ANALYZE salesops.fact_sales_line")
            print(f"0006 indexes built in {time.monotonic() - started:.1f} s", flush=True)
        after = measure(url, args.repeat)
        print(f"\n| drill-down, first page ({args.lines:,} lines) | before 0006 | after |")
        print("|---|---:|---:|")
        for name in CASES:
            print(f"| {name} | {before[name]:.1f} ms | {after[name]:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
