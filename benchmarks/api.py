"""API latency and throughput, before and after, in one run, beside a live Dagster daemon.

    python benchmarks/api.py [--lines 10000000] [--seconds 10] [--rates 100,400] [--clients 32]
                             [--before 050896d] [--endpoints weekly-summary,...] [--no-daemon]

Starts a throwaway PostgreSQL (removed at the end) and prepares it as `salesops up` does (the
warehouse, Dagster's storage database on the same server, the schema, the read-only API role).
Generates ``--lines`` fact lines with SQL (generate_series; 2 years, 50 sellers, 500 products,
6 shipping companies + 5 % without one, 100 imports) and fills the daily report tables with one
INSERT … SELECT each. Runs `dagster-daemon run` on the project's workspace for the whole run (its
sensors, schedules, run queue and heartbeats write to Dagster's database on the same server,
so the server-wide snapshot keeps changing as in real use), checks the ``--before`` commit out
into a temporary folder (``git archive``) and serves both APIs with uvicorn (one worker each,
default settings, as the read-only role) on two ports. Then, per endpoint, before and after in
turn, the same requests (each for one of 200 random one-week periods):

- open loop at each ``--rates`` (requests/s, due at a fixed rate whatever the answers do) over
  ``--clients`` keep-alive connections, fresh answers (``Cache-Control: no-cache``: the before
  API skips its cache; the after API has none): p50/p99 from the moment each request was due;
- closed loop, ``--clients`` connections back to back: the saturation throughput of fresh answers;
- repeated questions at the top rate: after, each with ``If-None-Match`` and the answer's ETag
  (→ 304); before, which has no ETag, as asked (its snapshot cache allowed: hit share shown).

Finally whether both APIs give the same answers. Targets: after p99 < 20 ms at 100 requests/s,
saturation no lower than before, 304 p99 < 10 ms at 400 requests/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from api_load import Result, closed_loop, cpu_seconds, open_loop, pct, requests_for
from bench_warehouse import BenchWarehouse, bench_warehouse
from psycopg import sql

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.cli.up import stack_environment
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.pg import free_port

ROOT = Path(__file__).resolve().parent.parent
FIRST_DAY, DAYS = date(2024, 1, 1), 730
TARGET_P99_MS, TARGET_304_P99_MS = 20.0, 10.0

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
REPORTS = ["weekly-summary", "seller-ranking", "top-products", "shipping-breakdown",
           "data-quality"]
ENDPOINTS = [*REPORTS, "lines", "imports", "health"]
FRESH = "Cache-Control: no-cache\r\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000, help="fact lines to generate")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per run")
    parser.add_argument("--rates", default="100,400", help="open-loop requests/s, comma-separated")
    parser.add_argument("--clients", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--before", default="050896d", help="the commit measured as before")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS),
                        help="comma-separated subset of: " + ", ".join(ENDPOINTS))
    parser.add_argument("--no-daemon", action="store_true", help="without the Dagster daemon")
    args = parser.parse_args(argv)
    args.rates = [float(r) for r in str(args.rates).split(",")]
    return args


def build_warehouse(url: str, lines: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
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
        for definition, _ in indexes:  # the partitioned table's: built on every partition
            cur.execute(definition.replace(" ON ONLY ", " ON "))
        cur.execute("ANALYZE salesops.fact_sales_line")
        print(f"  indexes + analyze: {time.monotonic() - started:.1f} s", flush=True)
        started = time.monotonic()
        for query in FILL_REPORTS:
            cur.execute(query)
        cur.execute("VACUUM ANALYZE")
        print(f"  report tables filled: {time.monotonic() - started:.1f} s", flush=True)


def periods(days: int = 7, n: int = 200, seed: int = 1) -> list[tuple[date, date]]:
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


def get(port: int, key: str, target: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{target}",
                                     headers={"X-API-Key": key})
    with urllib.request.urlopen(request, timeout=60) as resp:
        return {k.lower(): v for k, v in resp.headers.items()}, resp.read()


def start_api(name: str, port: int, env: dict[str, str], cwd: Path, log: Path
              ) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        api = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "salesops_pipeline.api.main:app", "--host",
             "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(300):
        try:
            get(port, "", "/health")
            return api
        except OSError:
            time.sleep(0.1)
    api.terminate()
    raise SystemExit(f"the {name} API did not start; see {log}")


def start_daemon(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`dagster-daemon run` as `salesops up` starts it; returns once it has a heartbeat."""
    env = stack_environment(settings)
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w",
             str(ROOT / "workspace.yaml")], env=env, cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(settings.dagster_url()) as conn:
                if conn.execute("SELECT count(*) FROM daemon_heartbeats").fetchone()[0]:
                    return daemon
        except psycopg.Error:
            pass
        if daemon.poll() is not None:
            break
        time.sleep(1)
    raise SystemExit(f"the Dagster daemon did not start; see {log}")


def commits(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT xact_commit FROM pg_stat_database"
                            " WHERE datname = current_database()").fetchone()[0]


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


class Bench:
    """One run's processes and its measurements, printed as they come."""

    def __init__(self, args: argparse.Namespace, key: str, ports: dict[str, int],
                 pids: dict[str, int], postmaster: int) -> None:
        self.args, self.key, self.ports, self.pids = args, key, ports, pids
        self.postmaster = postmaster
        self.results: dict[str, dict[str, object]] = {}

    def run(self, label: str, version: str, requests: list[bytes], rate: float | None,
            expected: int) -> dict[str, object]:
        """One load run against ``version``; ``rate`` None: closed loop."""
        pid, port, args = self.pids[version], self.ports[version], self.args
        before = (cpu_seconds(pid), cpu_seconds(self.postmaster), time.process_time())
        if rate is None:
            result: Result = closed_loop(port, requests, args.clients, args.seconds)
        else:
            result = open_loop(port, requests, args.clients, rate, args.seconds)
        after = (cpu_seconds(pid), cpu_seconds(self.postmaster), time.process_time())
        lat = result.latencies
        n = sum(1 for x in lat if x != float("inf"))  # answered (the others: never, status 0)
        answered = n * (args.seconds + 1) / args.seconds  # CPU includes the warm-up second
        cpu = [round((a - b) / answered * 1e6) if n else 0
               for a, b in zip(after, before, strict=True)]
        other = {s: c for s, c in result.statuses.items() if s != expected}
        figures = {"p50_ms": pct(lat, .5), "p99_ms": pct(lat, .99),
                   "answers_per_s": n / args.seconds, "unexpected_statuses": other,
                   "cpu_us_api_pg_client": cpu, "load_avg_1m": os.getloadavg()[0]}
        load = "closed loop" if rate is None else f"{rate:g}/s"
        print(f"{label:<36}{load:>12}{version:>8}{pct(lat, .5):>9.1f}{pct(lat, .99):>9.1f}"
              f"{n / args.seconds:>9.0f}{sum(other.values()):>8}"
              f"{'/'.join(map(str, cpu)):>18}", flush=True)
        self.results[f"{label} @ {load} [{version}]"] = figures
        return figures


def measure(bench: Bench, spans: list[tuple[date, date]], names: list[str]) -> None:
    args, key = bench.args, bench.key
    print(f"\n{'endpoint':<36}{'load':>12}{'version':>8}{'p50 ms':>9}{'p99 ms':>9}{'ans/s':>9}"
          f"{'errors':>8}{'CPU µs api/pg/cl':>18}")
    for name in names:
        targets = request_targets(name, spans)
        fresh = requests_for(targets, key, dict.fromkeys(targets, FRESH))
        for rate in [*args.rates, None]:
            for version in ("before", "after"):
                bench.run(f"{name} (fresh)", version, fresh, rate, 200)
        if name not in REPORTS:
            continue
        top = max(args.rates)
        bench.run(f"{name} (repeated, as asked)", "before", requests_for(targets, key), top, 200)
        tags = {t: f"If-None-Match: {get(bench.ports['after'], key, t)[0]['etag']}\r\n"
                for t in targets}
        bench.run(f"{name} (If-None-Match → 304)", "after", requests_for(targets, key, tags),
                  top, 304)


def same_answers(ports: dict[str, int], key: str, names: list[str],
                 spans: list[tuple[date, date]]) -> dict[str, bool]:
    """Do both APIs give the same JSON for the same questions (10 periods per endpoint)?"""
    same = {}
    for name in names:
        if name != "health":
            same[name] = all(
                json.loads(get(ports["before"], key, t)[1]) == json.loads(
                    get(ports["after"], key, t)[1])
                for t in request_targets(name, spans[:10]))
    return same


def verdicts(results: dict[str, dict[str, object]], args: argparse.Namespace) -> list[str]:
    lines = []
    low = f"{min(args.rates):g}/s"
    worst = max((r["p99_ms"], k) for k, r in results.items()
                if k.endswith(f"@ {low} [after]") and "(fresh)" in k)
    met = "met" if worst[0] < TARGET_P99_MS else "NOT met"
    lines.append(f"after, fresh answers at {low}: worst p99 {worst[0]:.1f} ms ({worst[1]}) — "
                 f"target < {TARGET_P99_MS:g} ms {met}")
    ratios = []
    for k, r in results.items():
        if k.endswith("@ closed loop [after]"):
            before = results[k.replace("[after]", "[before]")]["answers_per_s"]
            ratios.append((r["answers_per_s"] / before, k.split(" @")[0]))  # type: ignore[operator]
    if ratios:
        low_ratio = min(ratios)
        lines.append(f"saturation after/before: lowest {low_ratio[0]:.2f}x ({low_ratio[1]}) — "
                     f"target ≥ 1 {'met' if low_ratio[0] >= 1 else 'NOT met'}")
    revalidated = [(r["p99_ms"], k) for k, r in results.items() if "304" in k]
    if revalidated:
        top = max(revalidated)
        lines.append(f"after, If-None-Match → 304 at {max(args.rates):g}/s: worst p99 "
                     f"{top[0]:.1f} ms — target < {TARGET_304_P99_MS:g} ms "
                     f"{'met' if top[0] < TARGET_304_P99_MS else 'NOT met'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the run through the finally below: the APIs, the daemon and the cluster go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    procs: dict[str, subprocess.Popen[bytes] | None] = {}
    with bench_warehouse("salesops-bench-api-") as warehouse:
        try:
            return _run(args, warehouse, procs)
        finally:
            for proc in procs.values():
                stop(proc)


def _run(args: argparse.Namespace, warehouse: BenchWarehouse,
         procs: dict[str, subprocess.Popen[bytes] | None]) -> int:
    """Both APIs (and the daemon) on the generated warehouse; ``procs`` collects what starts."""
    work, url, settings = warehouse.work, warehouse.url, warehouse.settings
    print(f"generating {args.lines:,} fact lines over {DAYS} days …", flush=True)
    build_warehouse(url, args.lines)
    key = create_key(url, name="bench", role="admin")
    before_dir = work / "before"
    before_dir.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(before_dir)], input=archive, check=True)
    env = {**os.environ, "DATABASE_URL": url, "SALESOPS_HOME": str(work / "salesops")}
    ports = {"before": free_port(), "after": free_port()}
    procs["before"] = start_api("before", ports["before"],
                                {**env, "PYTHONPATH": str(before_dir)}, before_dir,
                                work / "api-before.log")
    procs["after"] = start_api("after", ports["after"], env, ROOT, work / "api-after.log")
    probe = request_targets("weekly-summary", periods())[0]
    assert "x-cache" in get(ports["before"], key, probe)[0], "the before API is not before"
    assert "etag" in get(ports["after"], key, probe)[0], "the after API is not after"
    if not args.no_daemon:
        procs["daemon"] = start_daemon(settings, work / "dagster-daemon.log")
    postmaster = int((warehouse.cluster.data_dir / "postmaster.pid").read_text().split()[0])
    pids = {v: p.pid for v, p in procs.items() if p is not None}
    bench = Bench(args, key, ports, pids, postmaster)
    names, spans = args.endpoints.split(","), periods()
    dagster_commits, started = commits(settings.dagster_url()), time.monotonic()
    print(f"\n{args.lines:,} fact lines, {os.cpu_count()} CPUs, {args.seconds:g} s per run "
          f"(+1 s warm-up), {args.clients} connections, one-week periods, before = "
          f"{args.before}, Dagster daemon: {'no' if args.no_daemon else 'running'}")
    # Every connection both APIs will use opened before anything is measured.
    warm_up = requests_for(request_targets("weekly-summary", spans), key,
                           dict.fromkeys(request_targets("weekly-summary", spans), FRESH))
    for version in ("before", "after"):
        closed_loop(ports[version], warm_up, args.clients, 3)
    measure(bench, spans, names)
    rate = (commits(settings.dagster_url()) - dagster_commits) / (time.monotonic() - started)
    print(f"\nDagster storage database: {rate:.1f} commits/s during the run")
    same = same_answers(ports, key, names, spans)
    print("same answers before and after: " + ", ".join(
        f"{n} {'yes' if ok else 'NO'}" for n, ok in same.items()))
    summary = verdicts(bench.results, args)
    print("\n".join(summary))
    print(json.dumps({"args": vars(args),
                      "dagster_commits_per_s": rate, "same_answers": same,
                      "verdicts": summary, "results": bench.results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
