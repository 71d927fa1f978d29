"""How cost grows: with the warehouse's size, and with the run workers of the scale-out profile.

    python benchmarks/scale.py [--sizes 1000000,10000000] [--files 1,10,100] [--workers 1,2]
                               [--rate 20] [--seconds 10] [--batch 1] [--only warehouse|ingest]

Starts a throwaway PostgreSQL (removed at the end). Two parts:

- **Warehouse size.** For each of ``--sizes``: a warehouse built with SQL (benchmarks/api.py's
  ``build_warehouse``: generate_series straight into the fact table's shared partition, FKs to
  generated dimensions and imports, the daily report tables filled by INSERT … SELECT), then
  (1) report refresh after one new file: 10,000 lines of a new import over one week, their days
  marked dirty as publish marks them, ``core.report.refresh.refresh`` timed (and a full refresh
  for scale); (2) the API (uvicorn, one worker, read-only role) at ``--rate`` requests/s, open
  loop, fresh answers: p50/p99 of ``/reports/weekly-summary`` and of the drill-down
  ``/reports/lines`` for a one-week date filter (100 lines a page). The database is dropped
  before the next size.
- **Ingest.** For each of ``--workers`` × ``--files``: `salesops up --workers N` on a new
  warehouse (the test harness's Stack: Redis, N Celery workers, the code server), ``F``
  workbooks of 10,000 generated lines written first, then moved into the drop folder at once;
  timed until every file is loaded and the reports refreshed. ``--batch`` files per run
  (SALESOPS_INGEST_BATCH_FILES; 1 so the runs are many and the workers share them).

Prints one table per part and a JSON line. The figures depend on the machine and its load (the
load average is printed with each row).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import psutil
import psycopg
from api import FRESH, build_warehouse, periods, start_api, stop
from api_load import open_loop, pct, requests_for
from psycopg import sql

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.core.db.bootstrap import init_databases
from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.core.report.refresh import refresh
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.pg import destroy, free_port
from salesops_pipeline_tests.reliability.stack import (
    Expected,
    Stack,
    generate_lines,
    wait_until,
    warehouse,
    write_workbook,
)

ROOT = Path(__file__).resolve().parent.parent
NEW_FILE_LINES = 10_000
TOLERANCE = Decimal("0.01")

# One new import of NEW_FILE_LINES lines over the last week of the generated two years, and its
# days marked dirty (what publish does), so refresh() rewrites just those days.
NEW_FILE = [
    "INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, rows_read,"
    " rows_loaded, finished_at) VALUES ('new.xlsx', repeat('f', 64), 1000, 'loaded',"
    " %(lines)s, %(lines)s, now())",
    """INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id, shipping_company_id,
           unit_price, units, total_price, source_file, source_row_number, import_id)
       SELECT '2025-12-24'::timestamp + (g::float8 * 7 * 86400 / %(lines)s) * interval '1 s',
              1 + g %% 500, 1 + g %% 50, 1 + g %% 6, 12.34, 2, 24.68, 'new.xlsx', 1 + g,
              (SELECT import_id FROM salesops.import_log WHERE source_file = 'new.xlsx')
         FROM generate_series(1, %(lines)s) g""",
    "INSERT INTO salesops.report_dirty_day (day) SELECT DISTINCT sold_at::date"
    " FROM salesops.fact_sales_line WHERE source_file = 'new.xlsx' ON CONFLICT DO NOTHING",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="fact lines, comma-separated")
    parser.add_argument("--files", default="1,10,100", help="files per ingest, comma-separated")
    parser.add_argument("--workers", default="1,2", help="Celery run workers, comma-separated")
    parser.add_argument("--rate", type=float, default=20.0, help="API requests/s (open loop)")
    parser.add_argument("--seconds", type=float, default=10.0, help="API measuring time")
    parser.add_argument("--batch", type=int, default=1, help="SALESOPS_INGEST_BATCH_FILES")
    parser.add_argument("--only", choices=["warehouse", "ingest"], help="one part only")
    return parser.parse_args(argv)


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def timed(fn, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    fn(*args, **kwargs)
    return time.monotonic() - started


def refresh_seconds(url: str) -> tuple[float, float]:
    """Seconds of the incremental refresh after one new file, and of a full refresh."""
    with psycopg.connect(url, autocommit=True) as conn:
        for query in NEW_FILE:
            conn.execute(query, {"lines": NEW_FILE_LINES})
    with connect(url) as conn:
        incremental = timed(refresh, conn, tolerance=TOLERANCE)
        full = timed(refresh, conn, tolerance=TOLERANCE, full=True)
    return incremental, full


def api_latency(url: str, work: Path, args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """p50/p99 (ms) of a weekly summary and of a one-week drill-down, fresh answers."""
    key = create_key(url, name="bench", role="admin")
    env = {**os.environ, "DATABASE_URL": url, "SALESOPS_HOME": str(work / "salesops")}
    port = free_port()
    api = start_api("scale", port, env, ROOT, work / "api.log")
    try:
        spans = periods()
        targets = {
            "weekly-summary": [f"/reports/weekly-summary?start_date={s}&end_date={e}"
                               for s, e in spans],
            "lines (1 week)": [f"/reports/lines?start_date={s}&end_date={e}&limit=100"
                               for s, e in spans]}
        out = {}
        for name, paths in targets.items():
            requests = requests_for(paths, key, dict.fromkeys(paths, FRESH))
            open_loop(port, requests, 8, args.rate, 2)  # connections opened, caches warm
            lat = open_loop(port, requests, 8, args.rate, args.seconds).latencies
            out[name] = (pct(lat, .5), pct(lat, .99))
        return out
    finally:
        stop(api)


def warehouse_part(cluster: LocalCluster, work: Path, args: argparse.Namespace) -> list[dict]:
    rows = []
    print(f"\n{'lines':>12}{'build s':>9}{'DB GB':>7}{'refresh 1 file s':>18}"
          f"{'full refresh s':>16}{'summary p50/p99 ms':>20}{'lines p50/p99 ms':>19}{'load':>6}",
          flush=True)
    for size in ints(args.sizes):
        name = f"salesops_scale_{size}"
        url = cluster.url(name)
        settings = Settings(DATABASE_URL=url, SALESOPS_HOME=work / "salesops",
                            SALES_DATA_DIR=work / "incoming", SALESOPS_EXPORT_DIR=work / "exports")
        for _ in init_databases(settings):
            pass
        build = timed(build_warehouse, url, size)
        with psycopg.connect(url) as conn:
            gb = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e9
        incremental, full = refresh_seconds(url)
        api = api_latency(url, work, args)
        row = {"lines": size, "build_s": build, "db_gb": gb, "refresh_one_file_s": incremental,
               "full_refresh_s": full, "api_ms": api, "load_avg": os.getloadavg()[0]}
        rows.append(row)
        s, ln = api["weekly-summary"], api["lines (1 week)"]
        print(f"{size:>12,}{build:>9.0f}{gb:>7.2f}{incremental:>18.2f}{full:>16.1f}"
              f"{s[0]:>11.1f}/{s[1]:<8.1f}{ln[0]:>10.1f}/{ln[1]:<8.1f}{row['load_avg']:>6.1f}",
              flush=True)
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            for db in (name, f"{name}_dagster"):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(db)))
    return rows


def ingest_once(cluster: LocalCluster, work: Path, workers: int, files: int, batch: int) -> dict:
    """`salesops up --workers N`, ``files`` workbooks dropped at once; seconds to drain."""
    root = work / f"ingest-{workers}w-{files}f"
    root.mkdir()
    url, dagster = warehouse(cluster, f"ingest_{workers}w_{files}f")
    stack = Stack(root, url, dagster, up_args=("up", "--workers", str(workers)))
    stack.env.update(SALESOPS_REDIS_PORT=str(free_port()),
                     SALESOPS_CODE_SERVER_PORT=str(free_port()),
                     SALESOPS_INGEST_BATCH_FILES=str(batch))
    ready = root / "ready"
    ready.mkdir()
    for n in range(files):
        write_workbook(ready / f"f{n:04d}.xlsx", generate_lines(n, NEW_FILE_LINES),
                       expected=Expected())
    stack.start()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            psutil.cpu_percent()
            started = time.monotonic()
            for path in sorted(ready.iterdir()):
                path.replace(stack.folder / path.name)

            def done() -> bool:
                loaded, dirty, refreshed = conn.execute(
                    "SELECT (SELECT count(*) FROM salesops.import_log WHERE status = 'loaded'),"
                    " (SELECT count(*) FROM salesops.report_dirty_day),"
                    " (SELECT count(*) FROM salesops.report_refresh)").fetchone()
                return loaded == files and dirty == 0 and refreshed > 0

            wait_until(done, f"{files} files on {workers} worker(s)", timeout=3600,
                       interval=0.5, log=stack.log)
            seconds = time.monotonic() - started
            cpu = psutil.cpu_percent()
            lines = conn.execute("SELECT count(*) FROM salesops.fact_sales_line").fetchone()[0]
        assert lines == files * NEW_FILE_LINES, f"{lines} lines loaded"
    finally:
        stack.stop()
    return {"workers": workers, "files": files, "seconds": seconds,
            "lines_per_s": lines / seconds, "cpu_percent": cpu, "load_avg": os.getloadavg()[0]}


def ingest_part(cluster: LocalCluster, work: Path, args: argparse.Namespace) -> list[dict]:
    rows = []
    print(f"\n{'workers':>8}{'files':>7}{'seconds':>9}{'s/file':>8}{'lines/s':>9}"
          f"{'CPU %':>7}{'load':>6}", flush=True)
    for files in ints(args.files):
        for workers in ints(args.workers):
            row = ingest_once(cluster, work, workers, files, args.batch)
            rows.append(row)
            print(f"{workers:>8}{files:>7}{row['seconds']:>9.1f}{row['seconds'] / files:>8.1f}"
                  f"{row['lines_per_s']:>9.0f}{row['cpu_percent']:>7.0f}"
                  f"{row['load_avg']:>6.1f}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="salesops-bench-scale-"))
    cluster = LocalCluster(home=work / "pg", port=free_port())
    try:
        cluster.init()
        cluster.start()
        cluster.wait_ready()
        print(f"{os.cpu_count()} CPUs, {psutil.virtual_memory().total / 1e9:.0f} GB RAM, "
              f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
        result: dict[str, object] = {"args": vars(args)}
        if args.only != "ingest":
            result["warehouse"] = warehouse_part(cluster, work, args)
        if args.only != "warehouse":
            result["ingest"] = ingest_part(cluster, work, args)
        print(json.dumps(result))
        return 0
    finally:
        destroy(cluster)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
