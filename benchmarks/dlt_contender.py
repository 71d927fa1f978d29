"""The peer contender of ``benchmarks/ingest.py``: dlt loading the same file, in dlt's own venv.

    BENCH_DATABASE_URL=postgresql://… benchmarks/.venv-dlt/bin/python benchmarks/dlt_contender.py \
        PATH ROWS --sheet Sales --header-row 3 [--loader-file-format csv]

Runs with the python of ``benchmarks/.venv-dlt`` (see ``side_venv.py``), so it imports nothing
of salesops nor of the project's benchmark files: the sheet name and header row come as
arguments from the runner (``ingest_data.py`` holds them once).

What a dlt user would write: one ``@dlt.resource`` generator over the file's rows, the lines
yielded as dicts in lists of ``BATCH`` (dlt's performance guide: yield pages, not single rows),
and ``pipeline.run`` into PostgreSQL with dlt's defaults otherwise: ``insert_values`` load
files (multi-row INSERTs; ``--loader-file-format csv`` makes dlt load with COPY instead, which
dlt's PostgreSQL page calls the faster one), one normalize worker, parallel load jobs.

* CSV: the ``csv`` module's rows (dlt's filesystem ``read_csv`` would add pandas and fsspec for
  a local file); each cell converted in the generator: ``datetime.fromisoformat``, ``Decimal``
  for amounts, ``int`` units, an empty carrier as NULL.
* xlsx: python-calamine's rows of the sheet (the reader the project and the floor use; openpyxl
  would be several times slower), datetimes as calamine returns them, amounts
  ``Decimal(str(float))`` (the shortest text of the float: 12.34, not its binary expansion).

Types, given as column hints because dlt's defaults differ: ``sold_at`` timestamp *without*
time zone (dlt's default is ``timestamp with time zone``), amounts ``numeric(24,6)`` like the
facts (dlt's default decimal is ``numeric(38,9)``), units bigint, names ``varchar`` (dlt's
text on PostgreSQL). dlt adds its own ``_dlt_load_id`` and ``_dlt_id`` columns to each row
and its state tables (``_dlt_loads``, ``_dlt_version``, ``_dlt_pipeline_state``) to the
``bench_dlt`` dataset. ``write_disposition="replace"`` (dlt's default strategy: truncate and
insert).

Prints one JSON line like ``ingest_contenders.py``: seconds from the first byte read to the
committed rows (extract, normalize and load all included, each also in ``detail``), start-up
(imports) apart as ``startup_s``. Exits non-zero when the rows loaded differ from ROWS.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

_BOOT = time.perf_counter()
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # no network from a benchmark

import dlt  # noqa: E402
import psycopg2  # noqa: E402  (installed by dlt[postgres])
from python_calamine import CalamineWorkbook  # noqa: E402

DATASET = "bench_dlt"  # the runner drops this schema before each run
TABLE = "sales_line"
BATCH = 10_000
MONEY = {"data_type": "decimal", "precision": 24, "scale": 6}
COLUMNS = {
    "source_row_number": {"data_type": "bigint", "nullable": False},
    "sold_at": {"data_type": "timestamp", "timezone": False, "nullable": False},
    "product": {"data_type": "text", "nullable": False},
    "seller": {"data_type": "text", "nullable": False},
    "unit_price": {**MONEY, "nullable": False},
    "units": {"data_type": "bigint", "nullable": False},
    "total_price": {**MONEY, "nullable": False},
    "shipping_company": {"data_type": "text", "nullable": True},
}


def csv_lines(path: Path, header_row: int) -> Iterator[list[dict]]:
    """The CSV's lines under the header, converted cell by cell, in lists of BATCH."""
    batch: list[dict] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        for _ in range(header_row):
            next(rows)
        for number, (sold_at, product, seller, price, units, total, shipper) in enumerate(
                rows, start=header_row + 1):
            batch.append({
                "source_row_number": number, "sold_at": datetime.fromisoformat(sold_at),
                "product": product, "seller": seller, "unit_price": Decimal(price),
                "units": int(units), "total_price": Decimal(total),
                "shipping_company": shipper or None,
            })
            if len(batch) == BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def xlsx_lines(path: Path, sheet: str, header_row: int) -> Iterator[list[dict]]:
    """The sheet's rows under the header (calamine's typed cells), in lists of BATCH."""
    batch: list[dict] = []
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).iter_rows()
    for _ in range(header_row):
        next(rows)
    for number, row in enumerate(rows, start=header_row + 1):
        sold_at, product, seller, price, units, total, shipper = row[:7]
        batch.append({
            "source_row_number": number, "sold_at": sold_at, "product": product,
            "seller": seller, "unit_price": Decimal(str(price)), "units": int(units),
            "total_price": Decimal(str(total)), "shipping_company": shipper or None,
        })
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def run(url: str, path: Path, sheet: str, header_row: int, file_format: str) -> dict:
    """Extract, normalize and load the file with one dlt pipeline; each stage timed."""
    lines = (csv_lines(path, header_row) if path.suffix == ".csv"
             else xlsx_lines(path, sheet, header_row))
    resource = dlt.resource(lines, name=TABLE, write_disposition="replace", columns=COLUMNS)
    with tempfile.TemporaryDirectory(prefix="bench-dlt-") as pipelines_dir:  # no state kept
        started = time.perf_counter()
        pipeline = dlt.pipeline(pipeline_name="bench_dlt", pipelines_dir=pipelines_dir,
                                destination=dlt.destinations.postgres(credentials=url),
                                dataset_name=DATASET)
        stages = {}
        for stage in ("extract", "normalize", "load"):
            begun = time.perf_counter()
            if stage == "extract":
                pipeline.extract(resource, loader_file_format=file_format)
            else:
                getattr(pipeline, stage)()
            stages[f"{stage}_s"] = round(time.perf_counter() - begun, 3)
        seconds = time.perf_counter() - started
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{DATASET}"."{TABLE}"')  # fixed identifiers
        loaded = int(cur.fetchone()[0])
    conn.close()
    return {"seconds": seconds, "rows_loaded": loaded, "startup_s": started - _BOOT,
            "detail": {**stages, "file_format": file_format}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("rows", type=int)
    parser.add_argument("--sheet", required=True)
    parser.add_argument("--header-row", type=int, required=True,
                        help="1-based row (xlsx) or record (CSV) of the header")
    parser.add_argument("--loader-file-format", default="insert_values",
                        choices=["insert_values", "csv"], help="dlt's load files (default: dlt's)")
    args = parser.parse_args()
    result = run(os.environ["BENCH_DATABASE_URL"], args.path, args.sheet, args.header_row,
                 args.loader_file_format)
    print(json.dumps(result), flush=True)
    if result["rows_loaded"] != args.rows:
        sys.exit(f"dlt: {result['rows_loaded']} rows loaded, expected {args.rows}")


if __name__ == "__main__":
    main()
