"""COPY into staging, text against binary format: is binary worth typed rows across the pipe?

    python benchmarks/copy_format.py [--rows 1000000] [--repeat 3]

Starts a throwaway PostgreSQL, then loads the same generated lines into a copy of
``salesops.stage_sales_line`` (unlogged, its index included) several ways, best of ``--repeat``:

* text bytes    — COPY text prepared beforehand, streamed with ``cursor.copy()`` in 256 KiB pieces
  (what staging does with the parse child's stream: transfer and the server's parsing only);
* binary bytes  — the same rows in COPY binary, prepared beforehand (taken from the server with
  ``COPY … TO STDOUT (FORMAT binary)``): the server's side of a binary load;
* text format   — the Python formatting of the COPY text as core/extract/copy_lines.py does it, no
  database (in the pipeline this runs in the parse child, beside the COPY);
* text rows     — ``copy.write_row()`` per typed row, psycopg formatting text;
* binary rows   — ``copy.write_row()`` per typed row with ``set_types``, psycopg's binary dumpers.

Measured (1M rows, best of 3, 2 shared cores, load ~5): text bytes 2.53 s, binary bytes 1.55 s,
text format 1.44 s, text rows 3.86 s, binary rows 3.26 s; pickling the typed rows in batches of
2,048 (what sending them from the parse child would take) 3.45 s, unpickling 1.35 s. Binary saves
the server ~1 s but costs the child ~2 s more than formatting text (plus ~3 s in the parent), so
staging keeps text: the child formats COPY text beside the COPY, the parent only forwards bytes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal

import psycopg
from ingest_data import sales_lines

from salesops_pipeline.core.db.migrations import upgrade
from salesops_pipeline.core.db.schema import ensure_database
from salesops_pipeline_tests.pg import throwaway_cluster

TABLE = "bench.copy_stage"
COLUMNS = ("import_id, source_sheet, source_row_number, sold_at, product, seller,"
           " shipping_company, unit_price, units, total_price")
TYPES = ["int8", "text", "int4", "timestamp", "text", "text", "text", "numeric", "numeric",
         "numeric"]
CHUNK = 1 << 18
NULL = "\\N"
Row = tuple[int, str, int, datetime, str, str, str | None, Decimal, Decimal, Decimal]


def typed_rows(count: int) -> list[Row]:
    """The benchmark's lines as staging's typed rows (exact decimals, as the parser makes them)."""
    return [(1, "Sales", n, sold, product, seller, ship, Decimal(f"{price:.2f}"),
             Decimal(units), Decimal(f"{total:.2f}"))
            for n, (sold, product, seller, price, units, total, ship)
            in enumerate(sales_lines(count), start=4)]


def text_blocks(rows: list[Row]) -> Iterator[bytes]:
    """COPY text the way parse_to_copy writes it (names need no escaping here)."""
    batch: list[str] = []
    for i, sheet, n, sold, product, seller, ship, price, units, total in rows:
        batch.append(f"{i}\t{sheet}\t{n}\t{sold.isoformat()}\t{product}\t{seller}"
                     f"\t{NULL if ship is None else ship}\t{price!s}\t{units!s}"
                     f"\t{total!s}\n")
        if len(batch) >= 2048:
            yield "".join(batch).encode()
            batch.clear()
    yield "".join(batch).encode()


def pieces(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start:start + CHUNK]


def copy_bytes(conn: psycopg.Connection, data: bytes, fmt: str) -> None:
    with conn.cursor() as cur, cur.copy(
            f"COPY {TABLE} ({COLUMNS}) FROM STDIN (FORMAT {fmt})") as copy:
        for piece in pieces(data):
            copy.write(piece)


def copy_rows(conn: psycopg.Connection, rows: list[Row], fmt: str) -> None:
    with conn.cursor() as cur, cur.copy(
            f"COPY {TABLE} ({COLUMNS}) FROM STDIN (FORMAT {fmt})") as copy:
        if fmt == "binary":
            copy.set_types(TYPES)
        for row in rows:
            copy.write_row(row)


def best(repeat: int, conn: psycopg.Connection | None, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        if conn is not None:
            conn.execute(f"TRUNCATE {TABLE}")
            conn.commit()
        started = time.perf_counter()
        run()
        if conn is not None:
            conn.commit()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = typed_rows(args.rows)
    text = b"".join(text_blocks(rows))
    with throwaway_cluster("salesops-copybench-pg-") as cluster:
        url = cluster.url("salesops_bench")
        ensure_database(url)
        upgrade(url)
        with psycopg.connect(url) as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
            conn.execute(f"CREATE UNLOGGED TABLE {TABLE}"
                         " (LIKE salesops.stage_sales_line INCLUDING ALL)")
            conn.commit()
            copy_bytes(conn, text, "text")
            conn.commit()
            binary = bytearray()
            with conn.cursor() as cur, cur.copy(
                    f"COPY {TABLE} ({COLUMNS}) TO STDOUT (FORMAT binary)") as out:
                for data in out:
                    binary += data
            conn.commit()
            figures = {
                "text bytes": best(args.repeat, conn, lambda: copy_bytes(conn, text, "text")),
                "binary bytes": best(args.repeat, conn,
                                     lambda: copy_bytes(conn, bytes(binary), "binary")),
                "text format": best(args.repeat, None, lambda: sum(map(len, text_blocks(rows)))),
                "text rows": best(args.repeat, conn, lambda: copy_rows(conn, rows, "text")),
                "binary rows": best(args.repeat, conn, lambda: copy_rows(conn, rows, "binary")),
            }
    sizes = {"text bytes": len(text), "binary bytes": len(binary)}
    print(f"{args.rows:,} rows, best of {args.repeat}:")
    for name, seconds in figures.items():
        size = f"  ({sizes[name] / 1e6:.0f} MB)" if name in sizes else ""
        print(f"  {name:<13} {seconds:6.2f} s  {args.rows / seconds:>10,.0f} rows/s{size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
