"""API latency under load: report endpoints against the same aggregates straight from the facts.

    python benchmarks/api.py [--lines 10000000] [--clients 1,8,32] [--seconds 10]
                             [--period-days 7] [--workers 1]

Starts a throwaway PostgreSQL (removed at the end), generates ``--lines`` fact lines with SQL
(generate_series; 2 years, 50 sellers, 500 products, 6 shipping companies + 5 % without one),
fills the daily report tables with one INSERT … SELECT each, runs the API with uvicorn in a
subprocess and, per endpoint, lets ``--clients`` concurrent keep-alive clients send requests for
``--seconds`` (each request a random period of ``--period-days`` days). Reported: p50/p99 latency
and requests/s per endpoint; then, as the reference, the same aggregate computed straight from
the fact table (same clients, same periods, same duration), and whether both give equal figures.
Target: API p99 < 20 ms at 32 clients.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
from api_load import measure, pct
from psycopg2 import sql

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.core.db.pgcluster import LocalCluster, free_port
from salesops_pipeline.core.db.schema import apply_schema, ensure_database

ROOT = Path(__file__).resolve().parent.parent
FIRST_DAY, DAYS = date(2024, 1, 1), 730
TARGET_P99_MS = 20.0

GENERATE = [
    "INSERT INTO salesops.dim_seller (name) SELECT 'Seller ' || g FROM generate_series(1, 50) g",
    "INSERT INTO salesops.dim_product (name) SELECT 'Product ' || g FROM generate_series(1, 500) g",
    "INSERT INTO salesops.dim_shipping_company (name)"
    " SELECT 'Carrier ' || g FROM generate_series(1, 6) g",
    "INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, rows_read,"
    " rows_loaded, finished_at) SELECT 'sales_' || g || '.xlsx', md5(g::text) || md5(g::text),"
    " 1000, 'loaded', 0, 0, now() FROM generate_series(1, 100) g",
    # One line every (DAYS days / lines); pseudo-random ids from multiplicative hashing.
    """INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id, shipping_company_id,
           unit_price, units, total_price, source_file, source_row_number, import_id)
       SELECT %(first)s::timestamp + (g::float8 * %(days)s * 86400 / %(lines)s) * interval '1 s',
              1 + (g * 7919) %% 500, 1 + (g * 104729) %% 50,
              CASE WHEN g %% 20 = 0 THEN NULL ELSE 1 + (g * 31) %% 6 END,
              p.price, u.units,
              p.price * u.units + CASE WHEN g %% 1000 = 0 THEN 1 ELSE 0 END,
              'sales_' || (1 + (g - 1) / b.size) || '.xlsx', 2 + (g - 1) %% b.size,
              1 + (g - 1) / b.size
         FROM (SELECT (%(lines)s::bigint + 99) / 100 AS size) b,
              generate_series(1::bigint, %(lines)s::bigint) g,
              LATERAL (SELECT round(1 + ((g * 2654435761) %% 99900) / 100.0, 2) AS price) p,
              LATERAL (SELECT (1 + g %% 5)::numeric AS units) u""",
]
# The daily report tables, one INSERT … SELECT each (what the report refresh materializes).
FILL_REPORTS = [
    """INSERT INTO salesops.report_daily_sales (day, revenue, units, line_count)
       SELECT sold_at::date, sum(total_price), sum(units), count(*)
         FROM salesops.fact_sales_line GROUP BY 1""",
    """INSERT INTO salesops.report_daily_seller
       SELECT sold_at::date, seller_id, s.name, sum(total_price), sum(units), count(*)
         FROM salesops.fact_sales_line JOIN salesops.dim_seller s USING (seller_id)
        GROUP BY 1, 2, 3""",
    """INSERT INTO salesops.report_daily_product
       SELECT sold_at::date, product_id, p.name, sum(total_price), sum(units), count(*)
         FROM salesops.fact_sales_line JOIN salesops.dim_product p USING (product_id)
        GROUP BY 1, 2, 3""",
    """INSERT INTO salesops.report_daily_shipping
       SELECT sold_at::date, coalesce(c.name, 'UNKNOWN'), sum(total_price), count(*)
         FROM salesops.fact_sales_line
         LEFT JOIN salesops.dim_shipping_company c USING (shipping_company_id) GROUP BY 1, 2""",
    """INSERT INTO salesops.report_daily_quality (day, line_count, mismatched_total_count,
           nonpositive_units_count, negative_amount_count, missing_shipping_company_count,
           tolerance)
       SELECT sold_at::date, count(*),
              count(*) FILTER (WHERE abs(total_price - unit_price * units) > 0.01),
              count(*) FILTER (WHERE units <= 0),
              count(*) FILTER (WHERE total_price < 0 OR unit_price < 0),
              count(*) FILTER (WHERE shipping_company_id IS NULL), 0.01
         FROM salesops.fact_sales_line GROUP BY 1""",
    "INSERT INTO salesops.report_refresh (mode, days, weeks) VALUES ('full', '{}', '{}')",
]
_PERIOD = "sold_at >= %(start)s AND sold_at < %(end)s::date + 1"
# The reference: each report computed straight from the fact table (the API never does this).
REFERENCE = {
    "weekly-summary": f"""SELECT date_trunc('week', sold_at)::date AS week_start,
        sum(total_price) AS revenue, sum(units) AS units, count(*) AS line_count
        FROM salesops.fact_sales_line WHERE {_PERIOD} GROUP BY 1 ORDER BY 1""",
    "seller-ranking": f"""SELECT rank() OVER (ORDER BY sum(total_price) DESC) AS rank,
        s.name AS seller, sum(total_price) AS revenue, sum(units) AS units, count(*) AS line_count
        FROM salesops.fact_sales_line JOIN salesops.dim_seller s USING (seller_id)
        WHERE {_PERIOD} GROUP BY s.name ORDER BY rank, s.name COLLATE "C" """,
    "top-products": f"""SELECT rank() OVER (ORDER BY sum(total_price) DESC) AS rank,
        p.name AS product, sum(total_price) AS revenue, sum(units) AS units
        FROM salesops.fact_sales_line JOIN salesops.dim_product p USING (product_id)
        WHERE {_PERIOD} GROUP BY p.name ORDER BY rank, p.name COLLATE "C" LIMIT 10""",
    "shipping-breakdown": f"""SELECT coalesce(c.name, 'UNKNOWN') AS shipping_company,
        sum(total_price) AS revenue, count(*) AS line_count
        FROM salesops.fact_sales_line LEFT JOIN salesops.dim_shipping_company c
        USING (shipping_company_id) WHERE {_PERIOD}
        GROUP BY 1 ORDER BY revenue DESC, coalesce(c.name, 'UNKNOWN') COLLATE "C" """,
    "data-quality": f"""SELECT
        count(*) FILTER (WHERE abs(total_price - unit_price * units) > 0.01) AS mismatched,
        count(*) FILTER (WHERE units <= 0) AS nonpositive,
        count(*) FILTER (WHERE shipping_company_id IS NULL) AS missing_shipping
        FROM salesops.fact_sales_line WHERE {_PERIOD}""",
}
ENDPOINTS = ["weekly-summary", "seller-ranking", "top-products", "shipping-breakdown",
             "data-quality", "lines", "imports", "health"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000, help="fact lines to generate")
    parser.add_argument("--clients", default="32",
                        help="concurrent clients; a comma-separated list runs each level "
                             "(the fact-table reference runs at the largest)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per endpoint")
    parser.add_argument("--period-days", type=int, default=7, help="length of each period")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS),
                        help="comma-separated subset of: " + ", ".join(ENDPOINTS))
    parser.add_argument("--skip-reference", action="store_true", help="API only")
    args = parser.parse_args(argv)
    args.levels = sorted({int(n) for n in str(args.clients).split(",")})
    return args


def build_warehouse(url: str, lines: int) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # skip FK triggers for the load
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SELECT indexdef, indexname FROM pg_indexes WHERE schemaname = 'salesops'"
                    " AND tablename = 'fact_sales_line' AND indexname LIKE '%_idx'")
        indexes = cur.fetchall()
        for _, name in indexes:  # build them once after the load instead of row by row
            cur.execute(sql.SQL("DROP INDEX salesops.{}").format(sql.Identifier(name)))
        for step, query in enumerate(GENERATE, 1):
            started = time.monotonic()
            cur.execute(query, {"first": FIRST_DAY, "days": DAYS, "lines": lines})
            print(f"  generate {step}/{len(GENERATE)}: {cur.rowcount:,} rows in "
                  f"{time.monotonic() - started:.1f} s", flush=True)
        started = time.monotonic()
        for definition, _ in indexes:
            cur.execute(definition)
        cur.execute("ANALYZE salesops.fact_sales_line")
        print(f"  indexes + analyze: {time.monotonic() - started:.1f} s", flush=True)
        started = time.monotonic()
        for query in FILL_REPORTS:
            cur.execute(query)
        cur.execute("VACUUM ANALYZE")
        print(f"  report tables filled: {time.monotonic() - started:.1f} s", flush=True)
    conn.close()


def periods(days: int, n: int = 200, seed: int = 1) -> list[tuple[date, date]]:
    rnd = random.Random(seed)
    starts = [FIRST_DAY + timedelta(days=rnd.randrange(DAYS - days)) for _ in range(n)]
    return [(s, s + timedelta(days=days - 1)) for s in starts]


def request_targets(name: str, spans: list[tuple[date, date]]) -> list[str]:
    if name == "health":
        return ["/health"]
    if name == "imports":
        return ["/imports?limit=50"]
    extra = {"top-products": {"limit": 10}, "lines": {"seller": "Seller 7", "limit": 100}}
    prefix = "/reports/" + name
    return [f"{prefix}?{urlencode({'start_date': s, 'end_date': e, **extra.get(name, {})})}"
            for s, e in spans]


def reference(url: str, name: str, spans: list[tuple[date, date]], clients: int,
              seconds: float) -> list[float]:
    """The same aggregate from the fact table: ``clients`` threads, one connection each."""
    latencies: list[float] = []
    until = time.perf_counter() + seconds

    def work(seed: int) -> None:
        rnd = random.Random(seed)
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cur:
            while (now := time.perf_counter()) < until:
                start, end = rnd.choice(spans)
                cur.execute(REFERENCE[name], {"start": start, "end": end})
                cur.fetchall()
                latencies.append(time.perf_counter() - now)
        conn.close()

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def same_figures(url: str, port: int, key: str, name: str, span: tuple[date, date]) -> bool:
    """Does the API (report tables) give exactly what the fact table gives?"""
    target = request_targets(name, [span])[0]
    request = urllib.request.Request(f"http://127.0.0.1:{port}{target}",
                                     headers={"X-API-Key": key})
    with urllib.request.urlopen(request, timeout=60) as resp:
        body = json.load(resp)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(REFERENCE[name], {"start": span[0], "end": span[1]})
        rows = cur.fetchall()
    if name == "data-quality":
        c = body["counts"]
        return [(c["mismatched_total_count"], c["nonpositive_units_count"],
                 c["missing_shipping_company_count"])] == rows
    api = [tuple(Decimal(v) if k in ("revenue", "units") else v  # "12.50": compare exactly
                 for k, v in row.items() if k not in ("week_end", "revenue_share"))
           for row in body["data"]]
    ref = [tuple(str(v) if isinstance(v, date) else v for v in row) for row in rows]
    return api == ref


def start_api(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url}
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "salesops_pipeline.api.main:app", "--host",
         "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
         "--log-level", "warning"], env=env, cwd=ROOT)
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return api
        except OSError:
            time.sleep(0.1)
    api.terminate()
    raise SystemExit("the API did not start")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cluster = LocalCluster(home=Path(tempfile.mkdtemp(prefix="salesops-bench-api-")),
                           port=free_port())
    api = None
    try:
        cluster.init()
        cluster.start()
        cluster.wait_ready()
        url = cluster.url("salesops_bench")
        ensure_database(url)
        apply_schema(url)
        print(f"generating {args.lines:,} fact lines over {DAYS} days …", flush=True)
        build_warehouse(url, args.lines)
        key = create_key(url, name="bench", role="admin")
        port = free_port()
        api = start_api(url, port, args.workers)
        postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        spans = periods(args.period_days)
        print(f"\n{args.seconds:g} s per endpoint and level, periods of {args.period_days} days, "
              f"{os.cpu_count()} CPUs, uvicorn workers: {args.workers}, "
              f"{args.lines:,} fact lines")
        print(f"{'endpoint':<29}{'clients':>8}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}"
              f"{'errors':>8}{'cached':>7}{'CPU µs api/pg/cl':>18}"
              f"{'  | fact table:':<15}{'p50 ms':>9}{'p99 ms':>9}{'q/s':>8}  same figures")
        results: dict[str, dict[str, object]] = {}
        top_level = args.levels[-1]
        for name in args.endpoints.split(","):
            targets = request_targets(name, spans)
            for clients in args.levels:
                # At the top level, also every request with Cache-Control: no-cache: the
                # answer computed afresh (FastAPI, report query), as for a first question.
                for fresh in (False, True) if clients == top_level else (False,):
                    row, result = measure(api.pid, postmaster, port, key, targets, clients,
                                          args.seconds, fresh)
                    label = f"{name} (fresh)" if fresh else name
                    if clients == top_level and not fresh and name in REFERENCE \
                            and not args.skip_reference:
                        ref = reference(url, name, spans, clients, args.seconds)
                        same = same_figures(url, port, key, name, spans[0])
                        row += f"{'  |':<15}{pct(ref, .5):>9.1f}{pct(ref, .99):>9.1f}" \
                               f"{len(ref) / args.seconds:>8.1f}  {'yes' if same else 'NO'}"
                        result.update(ref_p50_ms=pct(ref, .5), ref_p99_ms=pct(ref, .99),
                                      ref_qps=len(ref) / args.seconds, same_figures=same)
                    print(f"{label:<29}{clients:>8}{row}", flush=True)
                    results[f"{label}@{clients}"] = result
        for fresh in (False, True):
            top = [r["p99_ms"] for k, r in results.items()
                   if k.endswith(f"@{top_level}") and ("(fresh)" in k) == fresh]
            worst = max(top)  # type: ignore[type-var]
            verdict = "met" if worst < TARGET_P99_MS else "NOT met"
            print(f"worst API p99 at {top_level} clients, "
                  f"{'fresh answers' if fresh else 'as asked (cache allowed)'}: {worst:.1f} ms"
                  f" — target p99 < {TARGET_P99_MS:g} ms {verdict}")
        print(json.dumps({"args": vars(args), "results": results}))
        return 0
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
