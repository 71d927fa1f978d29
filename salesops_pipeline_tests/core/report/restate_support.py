"""Publish, withdraw and refresh through the real core code, fast: a file version's rows are
staged straight into stage_sales_line (the parser is tested elsewhere), then published by
core/load/publish.py exactly as the ingest job does. Expected figures come from the same
``Sale`` objects, summed in Python with Decimal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from hashlib import sha256

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.load.publish import publish
from salesops_pipeline.core.load.withdraw import withdraw_file
from salesops_pipeline.core.report.refresh import RefreshResult, refresh
from salesops_pipeline.core.report.weeks import week_start

TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class Sale:
    sold_at: datetime
    seller: str
    product: str
    shipping_company: str | None
    units: Decimal
    total: Decimal

    @property
    def week(self) -> date:
        return week_start(self.sold_at.date())


def sale(day: str, seller: str, product: str, total: str, units: str = "1",
         shipping: str | None = "DHL", hour: int = 10) -> Sale:
    return Sale(datetime.fromisoformat(f"{day}T{hour:02d}:00:00"), seller, product, shipping,
                Decimal(units), Decimal(total))


def publish_file(url: str, key: str, sales: list[Sale]) -> int:
    """Stage ``sales`` as a new version of ``key`` and publish it; its import id."""
    digest = sha256(repr((key, sales)).encode()).hexdigest()
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status,"
                    " rows_read) VALUES (%s, %s, 1, 'staged', %s) RETURNING import_id",
                    (key, digest, len(sales)))
        row = cur.fetchone()
        assert row is not None
        import_id = int(row[0])
        cur.executemany(
            "INSERT INTO salesops.stage_sales_line (import_id, source_row_number, sold_at,"
            " product, seller, shipping_company, unit_price, units, total_price)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(import_id, n + 2, s.sold_at, s.product, s.seller, s.shipping_company,
              s.total / s.units, s.units, s.total) for n, s in enumerate(sales)])
        cur.executemany(  # the names staging spools for the dimension upserts
            "INSERT INTO salesops.stage_name (import_id, dimension, name) VALUES (%s, %s, %s)",
            [(import_id, dimension, name) for s in sales
             for dimension, name in (("product", s.product), ("seller", s.seller),
                                     ("shipping_company", s.shipping_company)) if name])
        conn.commit()
        assert publish(conn, import_id=import_id, key=key).published
    return import_id


def withdraw(url: str, key: str) -> int:
    with connect(url) as conn:
        return withdraw_file(conn, key).import_id


def refresh_now(url: str) -> RefreshResult:
    with connect(url) as conn:
        return refresh(conn, tolerance=TOLERANCE, run_id="test")


def db_now(url: str) -> datetime:
    """The server's clock (as_of moments are compared with the server's transaction times)."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT clock_timestamp()")
        row = cur.fetchone()
        assert row is not None
        return row[0]


Totals = tuple[Decimal, Decimal, int]


def week_totals(sales: Iterable[Sale], week: date) -> Totals:
    chosen = [s for s in sales if s.week == week]
    return (sum((s.total for s in chosen), Decimal(0)), sum((s.units for s in chosen),
                                                            Decimal(0)), len(chosen))


def by_name(sales: Iterable[Sale], week: date, dimension: str
            ) -> dict[str, tuple[Decimal, Decimal | None, int]]:
    """Per seller, product or shipping company (UNKNOWN for none): revenue, units, lines."""
    out: dict[str, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for s in sales:
        if s.week != week:
            continue
        name = {"seller": s.seller, "product": s.product,
                "shipping_company": s.shipping_company or "UNKNOWN"}[dimension]
        out[name][0] += s.total
        out[name][1] += s.units
        out[name][2] += 1
    return {n: (r, None if dimension == "shipping_company" else u, c)
            for n, (r, u, c) in out.items()}


def expected_figures(before: list[Sale], after: list[Sale], week: date) -> dict:
    out = {}
    for dimension in ("seller", "product", "shipping_company"):
        b, a = by_name(before, week, dimension), by_name(after, week, dimension)
        for name in b.keys() | a.keys():
            if b.get(name) != a.get(name):
                out[(dimension, name)] = (*(b.get(name) or (None,) * 3),
                                          *(a.get(name) or (None,) * 3))
    return out


W1, W2, W4 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 23)
OLD_A = [sale("2026-11-02", "Ada", "Laptop", "1000.10", "2"),
         sale("2026-11-03", "Bob", "Mouse", "19.99", "1", None),
         sale("2026-11-04", "Ada", "Dock", "250.005", "0.5", "UPS"),
         sale("2026-11-06", "Chen", "Mouse", "39.98", "2")]
# The corrected re-export: a total fixed, a line gone, a seller added, a shipper changed.
NEW_A = [sale("2026-11-02", "Ada", "Laptop", "1000.01", "2"),
         sale("2026-11-03", "Bob", "Mouse", "19.99", "1", None),
         sale("2026-11-06", "Chen", "Mouse", "39.98", "2", "UPS"),
         sale("2026-11-06", "Dana", "Keyboard", "75.25", "3")]
B = [sale("2026-11-10", "Ada", "Laptop", "999.99"), sale("2026-11-12", "Bob", "Dock", "120.5")]
C = [sale("2026-11-24", "Chen", "Laptop", "1500")]
