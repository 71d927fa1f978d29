"""The polars path of ``benchmarks/csv_paths.py``: a CSV into typed staging rows, no cell in Python.

    .venv-columnar/bin/python benchmarks/columnar_path.py PATH URL IMPORT_ID TABLE

Runs with the python of ``benchmarks/.venv-columnar`` (``side_venv.py``, pins in
``columnar_requirements.txt``), so it imports nothing of salesops: the limits below mirror
core/extract/rows/cells.py (MONEY_LIMIT 1e13, UNITS_LIMIT 1e15, 6 decimal places, MIN_YEAR 1900)
and names.py. Every column is read as text; a row is *flagged* (and would go to today's row
parser) unless each cell passes a strict check. The checks are regexes first because polars'
casts alone are too lenient: ``cast(Decimal(24, 6), strict=False)`` rounds "1.1234567" and reads
"1e3", "+2", and ``strptime`` with ``%Y-%m-%d`` reads "2025-1-1". Good rows are written as CSV
to ``COPY … (FORMAT csv)``. Prints one JSON line: seconds of each step, rows good and flagged.
"""

from __future__ import annotations

import io
import json
import sys
import time

import polars as pl
import psycopg
from psycopg import sql

TS_RE = (r"^(19|[2-9][0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) "
         r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")
MONEY_RE = r"^-?[0-9]{1,13}(\.[0-9]{1,6})?$"  # 13 digits: always below MONEY_LIMIT
UNITS_RE = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"  # 15 digits: always below UNITS_LIMIT
# names.py: controls and invisible characters go, whitespace runs (Python's str.split() set:
# Rust's \s is Unicode White_Space, which lacks \x1c-\x1f) become one space, NFC, trim.
DROP = (r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
        r"\x{ad}\x{180e}\x{200b}\x{200e}\x{200f}\x{2060}\x{feff}]")
SPACES = r"[\s\x1c-\x1f]+"
MAX_NAME_LENGTH = 1000
COLUMNS = ["sold_at", "product", "seller", "unit_price", "units", "total_price",
           "shipping_company"]  # the generated file's column order (ingest_data.HEADER)


def one_spelling(column: str) -> pl.Expr:
    """names.to_name as an expression; null when nothing is left (empty) or too long."""
    name = (pl.col(column).str.replace_all(DROP, "").str.normalize("NFC")
            .str.replace_all(SPACES, " ").str.strip_chars(" "))
    return (pl.when(name.str.len_chars().is_between(1, MAX_NAME_LENGTH)).then(name)
            .otherwise(None).alias(column))


def amount(column: str, pattern: str) -> tuple[pl.Expr, pl.Expr]:
    """The Decimal(24, 6) value (null unless the text passes ``pattern``) and its check."""
    ok = pl.col(column).str.contains(pattern).fill_null(False)
    return (pl.when(ok).then(pl.col(column).cast(pl.Decimal(24, 6), strict=False))
            .alias(column), ok)


def main(path: str, url: str, import_id: int, table: str) -> None:
    started = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False, new_columns=COLUMNS, encoding="utf8",
                        row_index_name="source_row_number",
                        row_index_offset=2)  # header is record 1 (csv_tables numbering)
    read = time.perf_counter()
    price, price_ok = amount("unit_price", MONEY_RE)
    units, units_ok = amount("units", UNITS_RE)
    total, total_ok = amount("total_price", MONEY_RE)
    ts_ok = pl.col("sold_at").str.contains(TS_RE)
    sold_at = (pl.when(ts_ok).then(pl.col("sold_at").str.strptime(
        pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False, exact=True)).alias("sold_at"))
    typed = frame.select(
        pl.lit(import_id, pl.Int64).alias("import_id"), pl.lit("").alias("source_sheet"),
        "source_row_number", sold_at, one_spelling("product"), one_spelling("seller"),
        one_spelling("shipping_company"),  # optional: empty → NULL
        price, units, total,
        (price_ok & units_ok & total_ok  # a shipping name too long to keep: the row parser's
         & (pl.col("shipping_company").str.len_chars() <= MAX_NAME_LENGTH).fill_null(True)
         ).alias("_ok"),
    )
    good_mask = (pl.col("_ok") & pl.col("sold_at").is_not_null()
                 & pl.col("product").is_not_null() & pl.col("seller").is_not_null())
    good = typed.filter(good_mask).drop("_ok")
    flagged = typed.height - good.height
    buffer = io.BytesIO()
    good.write_csv(buffer, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S",
                   null_value="")
    cast = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        statement = sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(
            sql.Identifier(*table.split(".")))
        with cur.copy(statement) as copy:
            view = buffer.getbuffer()
            for at in range(0, len(view), 1 << 20):
                copy.write(view[at:at + (1 << 20)])
    done = time.perf_counter()
    print(json.dumps({"read_s": read - started, "cast_check_s": cast - read,
                      "copy_s": done - cast, "good": good.height, "flagged": flagged}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
