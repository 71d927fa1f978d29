"""Revision 0003: dimension rows of one name typed two ways merged, every line and figure kept.

The database is built at revision 0002 the way older parsers left it: one seller stored as NFC,
NFD and with no-break spaces around it, each with lines in the shared partition, in a large
import's own partition and in a partition built but not attached yet (an import staged, not
published), its staged rows spelled the old way, and reports refreshed over the split names.
Expected figures are summed here with Decimal from the generated lines, by the spelling each
id must end under (written out below, not computed by the code under test).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from salesops_pipeline.core.db.connect import Connection
from salesops_pipeline.core.db.migrations import head_revision, upgrade
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.core.load import partitions
from salesops_pipeline.core.load.publish import publish
from salesops_pipeline.core.report import queries
from salesops_pipeline.core.report.refresh import refresh
from salesops_pipeline.core.report.week_files import ConnectionFetcher
from salesops_pipeline_tests.core.db.migration_support import (
    fresh_database,
    runner,
    snapshot,
    version,
)

JOSE = "Jos\u00e9 \u00c1lvarez"
CAFE = "Caf\u00e9"
# Each dimension's rows in id order (1, 2, …) as older parsers stored them, and the one
# spelling each must end under.
SELLERS = [
    ("Jose\u0301 A\u0301lvarez", JOSE),      # 1: NFD (a Mac), the survivor, respelled
    ("ACME", "ACME"),                        # 2
    (JOSE, JOSE),                            # 3: NFC (Windows)
    ("Acme", "Acme"),                        # 4: not ACME: case is kept
    ("\u00a0Jos\u00e9 \u00c1lvarez\u202f", JOSE),  # 5: no-break spaces around it
    ("Acme\t", "Acme"),                      # 6
    ("Grace\u00a0Hopper", "Grace Hopper"),   # 7: alone, respelled in place
    ("Ada", "Ada"),                          # 8: untouched
]
PRODUCTS = [(CAFE, CAFE), ("Cafe\u0301", CAFE), ("\u200bCaf\u00e9\ufeff", CAFE),
            ("Dock", "Dock")]
SHIPPERS = [("La\u00a0Poste", "La Poste"), ("DHL", "DHL"), ("La Poste", "La Poste"),
            ("DHL\u3000", "DHL")]
DAYS = [date(2026, 3, 2) + timedelta(days=i) for i in range(6)]
LATE_DAY = date(2026, 3, 20)  # lines loaded after the last refresh: no report rows yet
PRICES = [Decimal("19.99"), Decimal("4.5"), Decimal("1299.000001"), Decimal("0.333333")]


def _lines(rng: random.Random, n: int, days: list[date]) -> list[dict]:
    out = []
    for _ in range(n):
        price, units = rng.choice(PRICES), Decimal(rng.choice(["1", "2", "7", "0.5"]))
        total = (price * units).quantize(Decimal("0.000001"))  # numeric(24, 6) holds it
        total += Decimal("1.00") if rng.random() < 0.2 else 0  # mismatched totals
        when = datetime.combine(rng.choice(days), datetime.min.time())
        out.append({"sold_at": when + timedelta(minutes=rng.randrange(1440)),
                    "seller_id": rng.randint(1, len(SELLERS)),
                    "product_id": rng.randint(1, len(PRODUCTS)),
                    "shipping_company_id": rng.choice([1, 2, 3, 4, None]),
                    "unit_price": price, "units": units, "total_price": total})
    return out


def _expected(lines: list[dict]) -> dict[str, dict[str, tuple]]:
    """Per dimension, stored spelling → (revenue, units, lines), in Decimal."""
    out: dict[str, dict] = {k: defaultdict(lambda: [Decimal(0), Decimal(0), 0])
                            for k in ("seller", "product", "shipper")}
    for line in lines:
        ship = line["shipping_company_id"]
        for kind, name in (("seller", SELLERS[line["seller_id"] - 1][1]),
                           ("product", PRODUCTS[line["product_id"] - 1][1]),
                           ("shipper", SHIPPERS[ship - 1][1] if ship else "UNKNOWN")):
            acc = out[kind][name]
            acc[0] += line["total_price"]
            acc[1] += line["units"]
            acc[2] += 1
    return {k: {name: tuple(v) for name, v in d.items()} for k, d in out.items()}


FACT_COLUMNS = ("sold_at", "product_id", "seller_id", "shipping_company_id", "unit_price",
                "units", "total_price")


def _insert_facts(cur: psycopg.Cursor, table: str, lines: list[dict], *, import_id: int,
                  key: str, first_row: int = 2) -> None:
    slot = 0 if table == "fact_sales_line" else import_id
    cur.executemany(
        f"INSERT INTO salesops.{table} ({', '.join(FACT_COLUMNS)}, source_file,"
        " source_row_number, import_id, load_slot) VALUES"
        f" ({', '.join(['%s'] * len(FACT_COLUMNS))}, %s, %s, %s, %s)",
        [(*(line[c] for c in FACT_COLUMNS), key, row, import_id, slot)
         for row, line in enumerate(lines, start=first_row)])


def _import(cur: psycopg.Cursor, key: str, status: str, rows: int) -> int:
    cur.execute("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status,"
                " rows_read, rows_loaded, finished_at) VALUES (%s, %s, 1, %s, %s, %s, now())"
                " RETURNING import_id",
                (key, key[0] * 64, status, rows, rows if status == "loaded" else 0))
    return int(cur.fetchone()[0])


@pytest.fixture
def at_0002(pg_cluster: LocalCluster) -> Iterator[str]:
    with fresh_database(pg_cluster) as url:
        assert upgrade(url, revision="0002") == ["0001", "0002"]
        yield url


def _build(conn: Connection, dims: dict[str, list[tuple[str, str]]]) -> dict[str, list[dict]]:
    """The dimensions (stored spellings) and lines of three imports; a full refresh between."""
    rng = random.Random(20)
    cur = conn.cursor()
    for table, rows in dims.items():
        cur.executemany(f"INSERT INTO salesops.{table} (name) VALUES (%s)",
                        [(stored,) for stored, _ in rows])
    shared, own, built = _lines(rng, 240, DAYS), _lines(rng, 120, DAYS), _lines(rng, 60, DAYS)
    first = _import(cur, "a.xlsx", "loaded", len(shared))
    _insert_facts(cur, "fact_sales_line", shared, import_id=first, key="a.xlsx")
    second = _import(cur, "b.csv", "loaded", len(own))  # a large import's own partition
    partitions.create(cur, second)
    _insert_facts(cur, partitions.table_name(second), own, import_id=second, key="b.csv")
    partitions.finish(cur, second)
    partitions.attach(cur, second)
    third = _import(cur, "c.xlsx", "staged", len(built))  # built, not attached: unpublished
    partitions.create(cur, third)
    _insert_facts(cur, partitions.table_name(third), built, import_id=third, key="c.xlsx")
    partitions.finish(cur, third)
    cur.executemany(
        "INSERT INTO salesops.stage_sales_line (import_id, source_row_number, sold_at, product,"
        " seller, shipping_company, unit_price, units, total_price)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [(third, row, x["sold_at"], PRODUCTS[x["product_id"] - 1][0],
          SELLERS[x["seller_id"] - 1][0],
          SHIPPERS[x["shipping_company_id"] - 1][0] if x["shipping_company_id"] else None,
          x["unit_price"], x["units"], x["total_price"]) for row, x in enumerate(built, 2)])
    conn.commit()
    refresh(conn, tolerance=Decimal("0.01"), full=True)
    # A day refreshed at another tolerance keeps it; lines of a day never refreshed.
    cur.execute("UPDATE salesops.report_daily_quality SET tolerance = 0.5 WHERE day = %s",
                (DAYS[1],))
    late = _lines(rng, 30, [LATE_DAY])
    _insert_facts(cur, "fact_sales_line", late, import_id=first, key="a.xlsx", first_row=500)
    cur.execute("UPDATE salesops.import_log SET rows_read = rows_read + %s,"
                " rows_loaded = rows_loaded + %s WHERE import_id = %s",
                (len(late), len(late), first))
    conn.commit()
    return {"reported": shared + own, "late": late, "built": built}


def _by_name(conn: Connection, kind: str, where: str = "") -> dict[str, tuple]:
    table, key = {"seller": ("dim_seller", "seller_id"), "product": ("dim_product", "product_id"),
                  "shipper": ("dim_shipping_company", "shipping_company_id")}[kind]
    rows = conn.execute(
        f"SELECT coalesce(d.name, 'UNKNOWN'), sum(f.total_price), sum(f.units), count(*)"
        f" FROM salesops.fact_sales_line f LEFT JOIN salesops.{table} d USING ({key})"
        f" {where} GROUP BY 1").fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _reports(conn: Connection) -> dict[str, dict[str, tuple]]:
    """The seller ranking, top products and shipping breakdown over every day, as the API and
    the weekly exports read them."""
    db, period = ConnectionFetcher(conn), {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
    sellers = queries.seller_ranking(db, **period)
    products = queries.top_products(db, **period, limit=100)
    shipping = queries.shipping_breakdown(db, **period)
    return {"seller": {r["seller"]: (r["revenue"], r["units"], r["line_count"]) for r in sellers},
            "product": {r["product"]: (r["revenue"], r["units"]) for r in products},
            "shipper": {r["shipping_company"]: (r["revenue"], r["line_count"])
                        for r in shipping}}


def _as_reported(expected: dict[str, dict[str, tuple]]) -> dict[str, dict[str, tuple]]:
    return {"seller": expected["seller"],
            "product": {k: v[:2] for k, v in expected["product"].items()},
            "shipper": {k: (v[0], v[2]) for k, v in expected["shipper"].items()}}


def test_duplicates_are_merged_every_line_kept_and_reports_rewritten(at_0002) -> None:
    url = at_0002
    with psycopg.connect(url) as conn, runner(url) as run:
        lines = _build(conn, {"dim_seller": SELLERS, "dim_product": PRODUCTS,
                              "dim_shipping_company": SHIPPERS})
        before = _reports(conn)
        conn.commit()
        assert len([s for s in before["seller"] if "lvarez" in s]) == 3  # the bug, reproduced
        facts = run("SELECT sales_line_id, tableoid::regclass::text, source_file,"
                    " source_row_number, unit_price, units, total_price, sold_at"
                    " FROM salesops.fact_sales_line ORDER BY 1")
        quality = run("SELECT * FROM salesops.report_daily_quality ORDER BY day")
        samples = run("SELECT day, rule, source_file, source_row_number"
                      " FROM salesops.report_quality_sample ORDER BY 1, 2, 3, 4")
        refreshes = run("SELECT count(*) FROM salesops.report_refresh")[0][0]

        said: list[str] = []
        assert upgrade(url, revision="0003", progress=said.append) == ["0003"]

        assert f"dim_seller: merged {JOSE!r} (ids 1, 3, 5) into id 1" in said, said
        assert "dim_seller: merged 'Acme' (ids 4, 6) into id 4" in said
        assert "dim_seller: respelled id 7 'Grace\\xa0Hopper' as 'Grace Hopper'" in said
        assert "dim_seller: 2 name(s) merged (3 duplicate row(s) deleted), 1 respelled in place" \
            in said
        assert f"dim_product: merged {CAFE!r} (ids 1, 2, 3) into id 1" in said
        assert "dim_shipping_company: merged 'La Poste' (ids 1, 3) into id 1" in said
        assert "dim_shipping_company: merged 'DHL' (ids 2, 4) into id 2" in said
        assert any(x.startswith("stage_sales_line: ") for x in said), said
        assert f"reports: {len(DAYS)} day(s) rewritten, 1 day(s) never refreshed marked for the" \
               " next refresh" in said
        assert said.index("reports: 6 day(s) rewritten, 1 day(s) never refreshed marked for the"
                          " next refresh") < next(i for i, x in enumerate(said)
                                                  if x.startswith("revision 0003 applied"))

        # One row per name, under the lowest id; ACME and Acme stay two.
        assert run("SELECT seller_id, name FROM salesops.dim_seller ORDER BY 1") == [
            (1, JOSE), (2, "ACME"), (4, "Acme"), (7, "Grace Hopper"), (8, "Ada")]
        assert run("SELECT product_id, name FROM salesops.dim_product ORDER BY 1") == [
            (1, CAFE), (4, "Dock")]
        assert run("SELECT shipping_company_id, name FROM salesops.dim_shipping_company"
                   " ORDER BY 1") == [(1, "La Poste"), (2, "DHL")]
        # Every line kept, in its partition, figures unchanged; summed by name as generated.
        assert run("SELECT sales_line_id, tableoid::regclass::text, source_file,"
                   " source_row_number, unit_price, units, total_price, sold_at"
                   " FROM salesops.fact_sales_line ORDER BY 1") == facts
        loaded = _expected(lines["reported"] + lines["late"])
        for kind in ("seller", "product", "shipper"):
            assert _by_name(conn, kind) == loaded[kind], kind
        # The unpublished import: its built partition points at the survivors, its staged
        # rows are spelled the one way.
        assert run(f"SELECT DISTINCT seller_id FROM salesops.{partitions.table_name(3)}"
                   " WHERE seller_id NOT IN (1, 2, 4, 7, 8)") == []
        staged = run("SELECT DISTINCT seller FROM salesops.stage_sales_line")
        assert {s for (s,) in staged} <= {JOSE, "ACME", "Acme", "Grace Hopper", "Ada"}

        # The reports were rewritten for the days concerned: one seller, one product, one
        # shipping company, figures summed exactly; quality figures and tolerances unchanged.
        assert _reports(conn) == _as_reported(_expected(lines["reported"]))
        conn.commit()
        assert run("SELECT * FROM salesops.report_daily_quality ORDER BY day") == quality
        assert run("SELECT day, rule, source_file, source_row_number FROM"
                   " salesops.report_quality_sample ORDER BY 1, 2, 3, 4") == samples
        assert run("SELECT run_id, days FROM salesops.report_refresh ORDER BY refresh_id"
                   f" OFFSET {refreshes}") == [
            ("salesops db upgrade (0003)", DAYS[:1] + DAYS[2:]),
            ("salesops db upgrade (0003)", DAYS[1:2])]  # by tolerance: 0.01, then 0.5
        assert run("SELECT day FROM salesops.report_dirty_day") == [(LATE_DAY,)]

        # Running it again changes nothing.
        state = snapshot(run)
        assert upgrade(url, revision="0003") == []
        assert snapshot(run) == state and version(run) == [("0003",)]
        assert upgrade(url)[-1] == head_revision()  # 0004 onwards (drift, …), for the code below

        # The import staged by the older parser publishes under the one spelling.
        assert publish(conn, import_id=3, key="c.xlsx").published
        conn.commit()
        refresh(conn, tolerance=Decimal("0.01"))
        everything = _expected(lines["reported"] + lines["late"] + lines["built"])
        assert _reports(conn) == _as_reported(everything)
        assert run("SELECT count(*) FROM salesops.dim_seller") == [(5,)]


def test_a_database_with_names_already_spelled_once_is_left_alone(at_0002) -> None:
    url = at_0002
    clean = {"dim_seller": [(name, name) for name in (JOSE, "ACME", "Acme", "Ada")],
             "dim_product": [(CAFE, CAFE), ("Dock", "Dock")],
             "dim_shipping_company": [("La Poste", "La Poste"), ("DHL", "DHL")]}
    clean_lines = [dict(x, seller_id=1 + i % 4, shipping_company_id=[1, 2, None][i % 3],
                        product_id=1 + i % 2)
                   for i, x in enumerate(_lines(random.Random(3), 50, DAYS))]
    with psycopg.connect(url) as conn, runner(url) as run:
        cur = conn.cursor()
        for table, rows in clean.items():
            cur.executemany(f"INSERT INTO salesops.{table} (name) VALUES (%s)",
                            [(name,) for name, _ in rows])
        _insert_facts(cur, "fact_sales_line", clean_lines,
                      import_id=_import(cur, "a.xlsx", "loaded", 50), key="a.xlsx")
        conn.commit()
        refresh(conn, tolerance=Decimal("0.01"), full=True)
        before = snapshot(run)
        said: list[str] = []
        assert upgrade(url, revision="0003", progress=said.append) == ["0003"]
        assert "names: every name already in its one spelling, nothing changed" in said
        assert snapshot(run) == before
