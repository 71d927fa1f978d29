"""One contender of ``benchmarks/ingest.py``, run alone in this process so its peak RSS is its own.

    BENCH_DATABASE_URL=postgresql://… python benchmarks/ingest_contenders.py CONTENDER PATH ROWS

CONTENDER is ours, classic or floor (PATH an .xlsx or, except classic, a .csv), or copy-csv.

Prints one JSON line: seconds from the first byte read to the committed rows (imports and
interpreter start-up excluded, reported apart as ``startup_s``), rows loaded, and details.
Exits non-zero when the rows loaded differ from the rows in the workbook.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

_BOOT = time.perf_counter()

import psycopg  # noqa: E402
from ingest_data import CSV_HEADER_ROW, HEADER_ROW, SHEET  # noqa: E402

# ---- ours: the real Dagster ingest path -------------------------------------------------------


def run_ours(url: str, path: Path) -> dict:
    """Materialize the ingest assets for ``path`` (its folder is the data folder, key = name)."""
    from dagster import DagsterEventType, DagsterInstance, materialize

    from salesops_pipeline.defs.ingest import FILE_TAG, ingest_assets, sales_files
    from salesops_pipeline.defs.resources import (
        QualityResource,
        SalesFolderResource,
        WarehouseResource,
    )

    key = path.name
    started = time.perf_counter()
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(sales_files.name, [key])
    result = materialize(
        ingest_assets, partition_key=key, instance=instance, tags={FILE_TAG: key},
        resources={
            "warehouse": WarehouseResource(database_url=url),
            "sales_folder": SalesFolderResource(data_dir=str(path.parent),
                                                export_dir=str(path.parent.parent / "exports")),
            "quality": QualityResource(),
        },
    )
    seconds = time.perf_counter() - started
    steps: dict[str, float] = {}
    begun: dict[str, float] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            begun[event.step_key] = entry.timestamp
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            steps[event.step_key] = round(entry.timestamp - begun[event.step_key], 3)
    stage = result.asset_materializations_for_node("raw_sales_rows")[0].metadata
    loaded = _scalar(url, "SELECT count(*) FROM salesops.fact_sales_line WHERE source_file = %s",
                     key)
    return {"seconds": seconds, "rows_loaded": loaded, "startup_s": started - _BOOT,
            "detail": {"steps_s": steps, "stage_s": stage["duration_s"].value},
            # the file is parsed in a capped child of multiprocessing's fork server, which
            # wait4() does not see: its own peak comes back in the metadata
            "child_peak_rss_mb": stage["parser_peak_rss_mb"].value}


# ---- classic: pandas + openpyxl, one INSERT … ON CONFLICT per row via SQLAlchemy --------------

_DIM_SQL = {
    dim: (f"INSERT INTO salesops.dim_{dim} (name) VALUES (:name) ON CONFLICT (name) DO NOTHING",
          f"SELECT {dim}_id FROM salesops.dim_{dim} WHERE name = :name")
    for dim in ("product", "seller", "shipping_company")  # fixed identifiers
}
_FACT_SQL = (
    "INSERT INTO bench.classic_sales_line (sold_at, product_id, seller_id, shipping_company_id,"
    " unit_price, units, total_price, source_file, source_row_number) VALUES (:sold_at,"
    " :product_id, :seller_id, :shipping_company_id, :unit_price, :units, :total_price,"
    " :source_file, :source_row_number) ON CONFLICT (source_file, source_row_number) DO NOTHING"
)


def run_classic(url: str, path: Path) -> dict:
    """What a hand-written import script does: read it all, then upsert row by row."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    statements = {dim: (text(upsert), text(select)) for dim, (upsert, select) in _DIM_SQL.items()}
    insert = text(_FACT_SQL)
    started = time.perf_counter()
    frame = pd.read_excel(path, sheet_name=SHEET, header=HEADER_ROW - 1, engine="openpyxl")
    read_s = time.perf_counter() - started
    engine = create_engine(url)  # SQLAlchemy 2.1: postgresql:// is psycopg 3

    def dim_id(conn, dim: str, name: object) -> int | None:
        if pd.isna(name):
            return None
        upsert, select = statements[dim]
        conn.execute(upsert, {"name": name})
        return conn.execute(select, {"name": name}).scalar_one()

    with engine.begin() as conn:
        for number, row in enumerate(frame.itertuples(index=False, name=None),
                                     start=HEADER_ROW + 1):
            sold_at, product, seller, price, units, total, shipper = row
            conn.execute(insert, {
                "sold_at": sold_at.to_pydatetime(), "product_id": dim_id(conn, "product", product),
                "seller_id": dim_id(conn, "seller", seller),
                "shipping_company_id": dim_id(conn, "shipping_company", shipper),
                "unit_price": float(price), "units": float(units), "total_price": float(total),
                "source_file": path.name, "source_row_number": number,
            })
    engine.dispose()
    seconds = time.perf_counter() - started
    loaded = _scalar(url, "SELECT count(*) FROM bench.classic_sales_line")
    return {"seconds": seconds, "rows_loaded": loaded, "startup_s": started - _BOOT,
            "detail": {"read_excel_s": round(read_s, 3)}}


# ---- floor: fastest raw parse + plain COPY into an unconstrained table ------------------------


def run_floor(url: str, path: Path) -> dict:
    """The floor of the file's format."""
    return run_floor_csv(url, path) if path.suffix == ".csv" else run_floor_xlsx(url, path)


def run_floor_xlsx(url: str, path: Path) -> dict:
    """calamine's rows, formatted with no validation, streamed through one COPY."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET)
    rows = sheet.iter_rows()
    for _ in range(HEADER_ROW):
        next(rows)
    return _copy_unvalidated(url, rows, HEADER_ROW + 1, started)


def run_floor_csv(url: str, path: Path) -> dict:
    """The csv module's rows, formatted with no validation, streamed through one COPY."""
    import csv

    started = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        for _ in range(CSV_HEADER_ROW):
            next(rows)
        return _copy_unvalidated(url, rows, CSV_HEADER_ROW + 1, started)


def _copy_unvalidated(url: str, rows: Iterator[list], first: int, started: float) -> dict:
    """The floor's load: each row's seven cells as text, in blocks, through one COPY."""

    def blocks() -> Iterator[bytes]:
        lines: list[str] = []
        for number, row in enumerate(rows, start=first):
            lines.append(f"{number}\t{row[0]}\t{row[1]}\t{row[2]}\t{row[3]}\t{row[4]}"
                         f"\t{row[5]}\t{row[6]}\n")
            if len(lines) == 4096:
                yield "".join(lines).encode()
                lines.clear()
        if lines:
            yield "".join(lines).encode()

    with psycopg.connect(url) as conn, conn.cursor() as cur, \
            cur.copy("COPY bench.floor_sales_line FROM STDIN") as copy:
        for block in blocks():
            copy.write(block)
    seconds = time.perf_counter() - started
    loaded = _scalar(url, "SELECT count(*) FROM bench.floor_sales_line")
    return {"seconds": seconds, "rows_loaded": loaded, "startup_s": started - _BOOT, "detail": {}}


def run_copy_csv(url: str, path: Path) -> dict:
    """No parsing in Python at all: the file's bytes as they are, through COPY … FORMAT csv."""
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur, path.open("rb") as handle, \
            cur.copy(  # HEADER skips the first line, BOM included
                "COPY bench.floor_sales_line (sold_at, product, seller, unit_price, units, "
                "total_price, shipping_company) FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy:
        while block := handle.read(1 << 18):
            copy.write(block)
    seconds = time.perf_counter() - started
    loaded = _scalar(url, "SELECT count(*) FROM bench.floor_sales_line")
    return {"seconds": seconds, "rows_loaded": loaded, "startup_s": started - _BOOT, "detail": {}}


def _scalar(url: str, query: str, *params: object) -> int:
    with psycopg.connect(url) as conn, conn.cursor() as cur:  # closed when the block ends
        cur.execute(query, params)
        value = cur.fetchone()[0]
    return int(value)


CONTENDERS = {"ours": run_ours, "classic": run_classic, "floor": run_floor,
              "copy-csv": run_copy_csv}


def main() -> None:
    contender, path, expected = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    result = CONTENDERS[contender](os.environ["BENCH_DATABASE_URL"], path)
    print(json.dumps(result), flush=True)
    if result["rows_loaded"] != expected:
        sys.exit(f"{contender}: {result['rows_loaded']} rows loaded, expected {expected}")


if __name__ == "__main__":
    main()
