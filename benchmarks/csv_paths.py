"""CSV ingest: today's staging against the two paths issue 23 proposed, on the same file.

    python benchmarks/csv_paths.py [--rows 1000000] [--repeat 2]

Starts a throwaway PostgreSQL, writes the generated CSV (``ingest_data.write_csv``) and times
three paths, each from the file's bytes to committed typed rows shaped like
``salesops.stage_sales_line`` (best of ``--repeat`` runs, the paths taking turns):

* today  — ``core.load.staging.stage_file`` after ``import_log.decide``: the capped child parses
  every row (known cells, csv_tables' record reader) and COPYs into stage_sales_line (it also
  writes stage_name, the samples and the skipped/rejected tables, empty here);
* sql    — the bytes straight into ``COPY … (FORMAT csv, HEADER true)`` of an all-text UNLOGGED
  table, then ONE ``INSERT … SELECT`` that converts and checks set-wise (csv_paths.sql);
* polars — ``columnar_path.py`` in its own venv (``side_venv.py``): every column read as text,
  checked with regexes, cast (Decimal(24, 6), strict datetime), COPY of the good rows.

A row failing any check is *flagged*: it would go through today's row parser (the generated file
has none). Each result is checked against today's: count, sums, NULL shipping companies, first
and last sale, and an md5 over the ordered rows. Only the happy path is measured: see README.

What SQL cannot reproduce of names.py exactly: PostgreSQL's ``normalize()`` follows the Unicode
version PostgreSQL was built with, not Python's ``unicodedata`` (names with characters one of them
does not know may compose differently); text cannot hold NUL or lone surrogates, so COPY refuses
a file holding them rather than the row parser cleaning them; and the whitespace set is spelled
out by hand from Python's ``str.isspace`` (``str.split()``), so a future Unicode version adding a
space would differ. The same holds for polars (Rust's Unicode tables).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest_data import write_csv
from psycopg import Connection
from side_venv import side_python

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.db.migrations import upgrade
from salesops_pipeline.core.db.schema import ensure_database, reset
from salesops_pipeline.core.extract.intake.file_keys import file_version
from salesops_pipeline.core.load import import_log, staging
from salesops_pipeline_tests.pg import throwaway_cluster

HERE = Path(__file__).resolve().parent
TARGET = "bench.alt_stage_sales_line"
PATHS = ("today", "sql", "polars")
ALT_IMPORT_ID = 1  # the import id the sql and polars rows carry (left out of the comparison)
_TS = (r"^(19|[2-9][0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) "
       r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")
# Set-wise conversion: a CASE yields NULL where a check fails, the WHERE keeps the rows whose
# every cell passed; the others are the flagged rows (COPY's count minus this one's). Regexes
# as in columnar_path.py; PostgreSQL 15 has no pg_input_is_valid, so the day of the month is
# checked against the month's length before ::timestamp (which would abort the statement).
CONVERT = """
INSERT INTO bench.alt_stage_sales_line (import_id, source_sheet, source_row_number, sold_at,
    product, seller, shipping_company, unit_price, units, total_price)
SELECT %(import_id)s, '', n + 1, sold_at, product, seller, shipping_company,
       unit_price, units, total_price
FROM (SELECT n,
    CASE WHEN t.sold_at ~ %(ts)s AND substr(t.sold_at, 9, 2)::int <= extract(day FROM
              (substr(t.sold_at, 1, 8) || '01')::date + interval '1 month' - interval '1 day')
         THEN t.sold_at::timestamp END AS sold_at,
    bench.one_spelling(t.product) AS product,
    bench.one_spelling(t.seller) AS seller,
    bench.one_spelling(t.shipping_company) AS shipping_company,
    CASE WHEN t.unit_price ~ %(money)s THEN t.unit_price::numeric(24, 6) END AS unit_price,
    CASE WHEN t.units ~ %(units)s THEN t.units::numeric(24, 6) END AS units,
    CASE WHEN t.total_price ~ %(money)s THEN t.total_price::numeric(24, 6) END AS total_price,
    coalesce(length(t.shipping_company), 0) <= 1000 AS shipper_ok
    FROM bench.csv_text t OFFSET 0) c  -- OFFSET 0: each check computed once, not per use
WHERE sold_at IS NOT NULL AND product IS NOT NULL AND length(product) <= 1000
  AND seller IS NOT NULL AND length(seller) <= 1000 AND shipper_ok
  AND unit_price IS NOT NULL AND units IS NOT NULL AND total_price IS NOT NULL
"""
SQL_CHECKS = {"ts": _TS, "money": r"^-?[0-9]{1,13}(\.[0-9]{1,6})?$",
              "units": r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$", "import_id": ALT_IMPORT_ID}
COLUMNS = ("source_sheet, source_row_number, sold_at, product, seller, shipping_company, "
           "unit_price, units, total_price")
SIGNATURE = (f"SELECT count(*), sum(total_price), sum(units), "
             f"count(*) FILTER (WHERE shipping_company IS NULL), min(sold_at), max(sold_at), "
             f"md5(string_agg(t::text, '|' ORDER BY source_row_number)) "
             f"FROM (SELECT {COLUMNS} FROM %s WHERE import_id = %%s) t")  # fixed identifiers


def run_today(url: str, path: Path) -> tuple[float, dict, tuple]:
    """Decide and stage the file as the raw step does; the committed rows' signature."""
    started = time.perf_counter()
    with connect(url) as conn:
        decision = import_log.decide(conn.cursor(), file_version(path.name, path.parent), "bench")
    with connect(url) as conn:
        staged = staging.stage_file(conn, import_id=decision.import_id, key=path.name, path=path)
    seconds = time.perf_counter() - started
    detail = {"rows_read": staged.rows_read, "rows_rejected": staged.rows_rejected}
    return seconds, detail, signature(url, "salesops.stage_sales_line", decision.import_id)


def run_sql(url: str, path: Path) -> tuple[float, dict, tuple]:
    """COPY the bytes into the text table, convert set-wise, commit."""
    started = time.perf_counter()
    with connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY bench.csv_text (sold_at, product, seller, unit_price, units,"
                      " total_price, shipping_company) FROM STDIN (FORMAT csv, HEADER true)"
                      ) as copy, path.open("rb") as handle:
            while block := handle.read(1 << 20):
                copy.write(block)
        copied = cur.rowcount
        copy_s = time.perf_counter() - started
        cur.execute(CONVERT, SQL_CHECKS)
        good = cur.rowcount
    seconds = time.perf_counter() - started
    detail = {"copy_s": round(copy_s, 2), "convert_s": round(seconds - copy_s, 2),
              "good": good, "flagged": copied - good}
    return seconds, detail, signature(url, TARGET, ALT_IMPORT_ID)


def run_polars(url: str, path: Path) -> tuple[float, dict, tuple]:
    """The child in its own venv; the seconds include its interpreter start and polars import."""
    started = time.perf_counter()
    out = subprocess.run([str(side_python("columnar")), str(HERE / "columnar_path.py"), str(path),
                          url, str(ALT_IMPORT_ID), TARGET],
                         check=True, stdout=subprocess.PIPE, text=True).stdout  # stderr: ours
    seconds = time.perf_counter() - started
    steps = json.loads(out.splitlines()[-1])
    steps["startup_s"] = seconds - steps["read_s"] - steps["cast_check_s"] - steps["copy_s"]
    detail = {k: round(v, 2) if isinstance(v, float) else v for k, v in steps.items()}
    return seconds, detail, signature(url, TARGET, ALT_IMPORT_ID)


RUNS = {"today": run_today, "sql": run_sql, "polars": run_polars}


def signature(url: str, table: str, import_id: int) -> tuple:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(SIGNATURE % table, (import_id,))  # type: ignore[arg-type]
        row = cur.fetchone()
    assert row is not None
    return tuple(row)


def prepare(url: str) -> None:
    """Empty the warehouse and the alternatives' tables, then flush dirty pages."""
    reset(url)
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE {TARGET}, bench.csv_text RESTART IDENTITY")
    with connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def setup(url: str) -> None:
    ensure_database(url)
    upgrade(url)
    with connect(url) as conn:
        _execute_file(conn, HERE / "csv_paths.sql")


def _execute_file(conn: Connection, sql_file: Path) -> None:
    conn.execute(sql_file.read_text())  # type: ignore[arg-type]  # a fixed file of ours


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def compare(want: tuple, got: tuple) -> str:
    names = ("count", "sum(total_price)", "sum(units)", "NULL shippers", "min(sold_at)",
             "max(sold_at)", "md5")
    differ = [f"{n}: {g} ≠ {w}" for n, w, g in zip(names, want, got, strict=True) if w != g]
    return "identical (count, sums, NULLs, min/max, md5)" if not differ else "; ".join(differ)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per path; the best counts")
    args = parser.parse_args(argv)
    side_python("columnar")  # build (or check) the polars venv before anything is timed
    best: dict[str, tuple[float, dict, tuple]] = {}
    with tempfile.TemporaryDirectory(prefix="salesops-csvpaths-") as folder, \
            throwaway_cluster("salesops-csvpaths-pg-") as cluster:
        url = cluster.url("salesops_bench")
        setup(url)
        print(f"throwaway PostgreSQL on port {cluster.port}; {os.cpu_count()} CPUs; "
              f"load average at start {_load()}", flush=True)
        path = write_csv(Path(folder) / "incoming" / "sales.csv", args.rows)
        print(f"{args.rows:,} lines written ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
        for attempt in range(1, max(1, args.repeat) + 1):
            for name in PATHS:
                prepare(url)
                seconds, detail, sig = RUNS[name](url, path)
                print(f"  run {attempt} {name:<6} {seconds:7.2f} s  "
                      + ", ".join(f"{k}={v}" for k, v in detail.items()), flush=True)
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, detail, sig)
    print(f"\nload average at the end {_load()} (2 shared cores: other work slows every path)\n")
    today = best["today"]
    print("| path | seconds | rows/s | time vs today | result vs today |")
    print("|---|---:|---:|---:|---|")
    for name in PATHS:
        seconds, _, sig = best[name]
        check = "(the reference)" if name == "today" else compare(today[2], sig)
        print(f"| {name} | {seconds:.2f} | {args.rows / seconds:,.0f} | "
              f"{seconds / today[0]:.2f}× | {check} |")
    print(f"\nreference signature: {today[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
