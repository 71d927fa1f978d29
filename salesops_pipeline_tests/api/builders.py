"""Test data for the API: sales lines in Python, written straight into the tables the API reads.

`write_reports` aggregates lines per day (what the report refresh does) and inserts the daily
report rows; `write_facts` inserts dimensions, an import and the fact lines themselves. Tests
compute their expectations from the same `Line` objects, independently of any SQL.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

Sql = Callable[..., list[tuple]]
SHA = "ab" * 32


@dataclass(frozen=True)
class Line:
    sold_at: datetime
    seller: str
    product: str
    shipping_company: str | None
    unit_price: Decimal
    units: Decimal
    total_price: Decimal
    source_file: str = "sales.xlsx"
    source_row_number: int = 2

    @property
    def day(self) -> date:
        return self.sold_at.date()


def random_lines(n: int, *, start: date, days: int, seed: int = 7) -> list[Line]:
    """``n`` lines over ``days`` days from ``start``, with awkward decimals and some gaps."""
    rnd = random.Random(seed)
    sellers = ["Ada", "Bob", "Chen", "Dana", "Élodie", "Zoë"]
    products = ["Laptop", "Mouse", "Keyboard", "Monitor 27\"", "USB-C cable", "Dock"]
    shippers = ["DHL", "UPS", "FedEx", None]
    lines = []
    for i in range(n):
        day = start + timedelta(days=rnd.randrange(days))
        units = Decimal(rnd.choice(["1", "2", "3", "0.5", "12", "1.25"]))
        price = Decimal(rnd.randrange(1, 100_000)) / 100
        minute = timedelta(minutes=rnd.randrange(1440))
        lines.append(Line(
            sold_at=datetime.combine(day, datetime.min.time()) + minute,
            seller=rnd.choice(sellers), product=rnd.choice(products),
            shipping_company=rnd.choice(shippers), unit_price=price, units=units,
            total_price=(price * units).quantize(Decimal("0.000001")),
            source_file=f"file{i % 3}.xlsx", source_row_number=i // 3 + 2))
    return lines


def line(day: date, seller: str, product: str, total: str, *, units: str = "1",
         shipping: str | None = "DHL", row: int = 2, source_file: str = "sales.xlsx") -> Line:
    amount = Decimal(total)
    return Line(datetime.combine(day, datetime.min.time()) + timedelta(hours=9), seller, product,
                shipping, amount / Decimal(units), Decimal(units), amount, source_file, row)


def _ids(names: Iterable[str]) -> dict[str, int]:
    return {name: i for i, name in enumerate(sorted(set(names)), start=1)}


def write_reports(sql: Sql, lines: Sequence[Line]) -> None:
    """Insert the daily report rows (sales, seller, product, shipping) of ``lines``."""
    sellers, products = _ids(x.seller for x in lines), _ids(x.product for x in lines)
    tables: dict[str, dict[tuple, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)]))
    for x in lines:
        keys = {"sales": (x.day,), "seller": (x.day, sellers[x.seller], x.seller),
                "product": (x.day, products[x.product], x.product),
                "shipping": (x.day, x.shipping_company or "UNKNOWN")}
        for table, key in keys.items():
            acc = tables[table][key]
            acc[0] += x.total_price
            acc[1] += x.units
            acc[2] += 1
    for key, (revenue, units, n) in tables["sales"].items():
        sql("INSERT INTO salesops.report_daily_sales (day, revenue, units, line_count)"
            " VALUES (%s, %s, %s, %s)", (*key, revenue, units, int(n)))
    for table in ("seller", "product"):
        for key, (revenue, units, n) in tables[table].items():
            sql(f"INSERT INTO salesops.report_daily_{table} (day, {table}_id, {table}, revenue,"
                " units, line_count) VALUES (%s, %s, %s, %s, %s, %s)",
                (*key, revenue, units, int(n)))
    for key, (revenue, _units, n) in tables["shipping"].items():
        sql("INSERT INTO salesops.report_daily_shipping (day, shipping_company, revenue,"
            " line_count) VALUES (%s, %s, %s, %s)", (*key, revenue, int(n)))


def write_quality(sql: Sql, day: date, *, tolerance: str = "0.01", **counts: int) -> None:
    columns = ["day", "tolerance", *counts]
    sql(f"INSERT INTO salesops.report_daily_quality ({', '.join(columns)})"
        f" VALUES ({', '.join(['%s'] * len(columns))})", (day, tolerance, *counts.values()))


def write_quality_sample(sql: Sql, day: date, rule: str, row: int, values: dict) -> None:
    sql("INSERT INTO salesops.report_quality_sample (day, rule, source_file, source_row_number,"
        " row_values) VALUES (%s, %s, 'sales.xlsx', %s, %s)", (day, rule, row, json.dumps(values)))


def write_refresh(sql: Sql, when: datetime | None = None) -> None:
    sql("INSERT INTO salesops.report_refresh (mode, days, weeks, refreshed_at)"
        " VALUES ('full', '{}', '{}', coalesce(%s, now()))", (when,))


def write_import(sql: Sql, source_file: str = "sales.xlsx", *, status: str = "loaded",
                 sha: str = SHA, rows_read: int = 0, rows_loaded: int = 0,
                 rows_rejected: int = 0, error: str | None = None, run_id: str | None = None,
                 duplicate_of: int | None = None, started_at: datetime | None = None) -> int:
    return sql(
        "INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, rows_read,"
        " rows_loaded, rows_rejected, error, run_id, duplicate_of, started_at, finished_at)"
        " VALUES (%s, %s, 100, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()),"
        " CASE WHEN %s IN ('running', 'staged') THEN NULL ELSE coalesce(%s, now()) END)"
        " RETURNING import_id",
        (source_file, sha, status, rows_read, rows_loaded, rows_rejected, error, run_id,
         duplicate_of, started_at, status, started_at))[0][0]


def write_rejection(sql: Sql, import_id: int, row: int, values: dict,
                    reasons: list[str]) -> None:
    sql("INSERT INTO salesops.rejected_row (import_id, source_file, source_row_number,"
        " raw_values, reasons) SELECT %s, source_file, %s, %s, %s FROM salesops.import_log"
        " WHERE import_id = %s", (import_id, row, json.dumps(values), reasons, import_id))


def write_facts(sql: Sql, lines: Sequence[Line]) -> dict[str, int]:
    """Dimensions, one loaded import per source file, and the fact lines; returns import ids."""
    dim_ids: dict[tuple[str, str], int] = {}
    for table, names in (("product", {x.product for x in lines}),
                         ("seller", {x.seller for x in lines}),
                         ("shipping_company", {x.shipping_company for x in lines} - {None})):
        for name in sorted(names):  # type: ignore[type-var]
            dim_ids[table, name] = sql(f"INSERT INTO salesops.dim_{table} (name) VALUES (%s)"
                                       f" RETURNING {table}_id", (name,))[0][0]
    imports: dict[str, int] = {}
    for i, name in enumerate(sorted({x.source_file for x in lines})):
        n = sum(1 for x in lines if x.source_file == name)
        imports[name] = write_import(sql, name, sha=f"{i:064x}", rows_read=n, rows_loaded=n)
    for x in lines:
        sql("INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id,"
            " shipping_company_id, unit_price, units, total_price, source_file,"
            " source_row_number, import_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (x.sold_at, dim_ids["product", x.product], dim_ids["seller", x.seller],
             dim_ids.get(("shipping_company", x.shipping_company or "")), x.unit_price, x.units,
             x.total_price, x.source_file, x.source_row_number, imports[x.source_file]))
    return imports
