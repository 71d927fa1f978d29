"""One spelling per name: a name typed on Windows and on a Mac (NFC, NFD), or with no-break
spaces or tabs around it, is one seller / product / shipping company, in the dimension tables
and in the reports, its figures summed exactly.

Two real imports, a workbook (the test workbook builder) and a CSV export; expected figures are
Decimal sums of the generated lines under the name each spelling must end as (written out here).
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg

from salesops_pipeline.core.report import queries
from salesops_pipeline.core.report.week_files import ConnectionFetcher
from salesops_pipeline_tests.workbooks import write_clean_workbook

JOSE = "Jos\u00e9 \u00c1lvarez"
CAFE = "Caf\u00e9 cr\u00e8me"
# The one name → how exports typed it: NFC (Windows), NFD (a Mac), spaces of every kind around.
SELLERS = {
    JOSE: [JOSE, "Jose\u0301 A\u0301lvarez", "\u00a0Jos\u00e9 \u00c1lvarez",
           "Jose\u0301\u202fA\u0301lvarez\t", "\tJos\u00e9  \u00c1lvarez\u00a0\u202f"],
    "ACME": ["ACME", " ACME\u00a0"],  # ACME and Acme are two names: case is kept
    "Acme": ["Acme", "Acme\u202f", "\ufeffAcme\u200b"],
}
PRODUCTS = {CAFE: [CAFE, "Cafe\u0301 cre\u0300me", "\u00a0Caf\u00e9\u00a0cr\u00e8me\t",
                   "Cafe\u0301\u3000cre\u0300me"],
            "Dock": ["Dock", "Dock\u00a0"]}
SHIPPERS = {"La Poste": ["La Poste", "La\u00a0Poste", "\tLa\u202fPoste "],
            "DHL": ["DHL", "DHL\u00a0"]}
PRICES = [Decimal("19.99"), Decimal("4.50"), Decimal("1299.00"), Decimal("0.35")]
HEADER = ["Time", "Product", "Seller", "Unit Price", "Units", "Total Price", "Shipping Company"]


def _lines(seed: int, n: int) -> list[dict]:
    """Lines whose names are picked among the spellings; ``name_*`` keys hold the one name."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        seller, product, ship = (rng.choice(list(d)) for d in (SELLERS, PRODUCTS, SHIPPERS))
        price, units = rng.choice(PRICES), rng.randint(1, 9)
        sold = datetime(2026, 3, 2, 8) + timedelta(days=rng.randrange(10),
                                                   minutes=rng.randrange(600))
        out.append({"sold_at": sold, "product": rng.choice(PRODUCTS[product]),
                    "seller": rng.choice(SELLERS[seller]), "unit_price": price, "units": units,
                    "total_price": price * units, "shipping_company": rng.choice(SHIPPERS[ship]),
                    "name_seller": seller, "name_product": product, "name_shipper": ship})
    return out


def _write_csv(path, lines: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        out.writerow(HEADER)
        for x in lines:
            out.writerow([f"{x['sold_at']:%Y-%m-%d %H:%M}", x["product"], x["seller"],
                          str(x["unit_price"]), str(x["units"]), str(x["total_price"]),
                          x["shipping_company"]])


def _expected(lines: list[dict], kind: str) -> dict[str, tuple]:
    sums: dict[str, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for x in lines:
        acc = sums[x[f"name_{kind}"]]
        acc[0] += x["total_price"]
        acc[1] += Decimal(x["units"])
        acc[2] += 1
    return {name: tuple(v) for name, v in sums.items()}


def test_every_spelling_of_a_name_is_one_row_and_one_line_of_the_reports(ingest, sql, db) -> None:
    book, export = _lines(1, 150), _lines(2, 120)
    columns = ["sold_at", "product", "seller", "unit_price", "units", "total_price",
               "shipping_company"]
    write_clean_workbook(ingest.folder / "windows.xlsx", book, columns=columns)
    _write_csv(ingest.folder / "mac.csv", export)
    # Every spelling is in the files, byte for byte.
    raw = (ingest.folder / "mac.csv").read_text(encoding="utf-8")
    assert "Jose\u0301 A\u0301lvarez" in raw and "\u00a0Jos\u00e9" in raw
    for name in ("windows.xlsx", "mac.csv"):
        assert ingest.run(name).success
    assert ingest.refresh().success
    assert sql("SELECT source_file, status, rows_loaded, rows_rejected FROM salesops.import_log"
               " ORDER BY import_id") == [("windows.xlsx", "loaded", 150, 0),
                                         ("mac.csv", "loaded", 120, 0)]

    assert sorted(sql("SELECT name FROM salesops.dim_seller")) == [("ACME",), ("Acme",), (JOSE,)]
    assert sorted(sql("SELECT name FROM salesops.dim_product")) == [(CAFE,), ("Dock",)]
    assert sorted(sql("SELECT name FROM salesops.dim_shipping_company")) == [
        ("DHL",), ("La Poste",)]

    lines = book + export
    period = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}
    with psycopg.connect(db) as conn:
        reports = ConnectionFetcher(conn)
        ranking = queries.seller_ranking(reports, **period)
        top = queries.top_products(reports, **period, limit=10)
        shipping = queries.shipping_breakdown(reports, **period)
    assert {r["seller"]: (r["revenue"], r["units"], r["line_count"]) for r in ranking} == \
        _expected(lines, "seller")
    assert {r["product"]: (r["revenue"], r["units"]) for r in top} == {
        name: v[:2] for name, v in _expected(lines, "product").items()}
    assert {r["shipping_company"]: (r["revenue"], r["line_count"]) for r in shipping} == {
        name: (v[0], v[2]) for name, v in _expected(lines, "shipper").items()}
