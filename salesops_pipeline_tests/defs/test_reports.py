"""Report tables: exact figures per week/seller/product/shipper, incremental = full rebuild."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from salesops_pipeline_tests.workbooks import write_clean_workbook

SELLERS = ["Ada", "Grace", "Alan", "Zoë"]
PRODUCTS = {"Laptop": "1299.99", "Mouse": "24.95", "Dock": "189.90", "Cable": "3.33"}
SHIPPERS = ["DHL", "UPS", None]



def generate(seed: int, n: int, start: date, days: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        product = rng.choice(list(PRODUCTS))
        price = Decimal(PRODUCTS[product])
        units = rng.randint(1, 7)
        sold = datetime.combine(start + timedelta(days=rng.randrange(days)), datetime.min.time())
        sold += timedelta(minutes=rng.randrange(24 * 60))
        rows.append({"sold_at": sold, "product": product, "seller": rng.choice(SELLERS),
                     "unit_price": price, "units": units, "total_price": price * units,
                     "shipping_company": rng.choice(SHIPPERS)})
    return rows


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def expected(rows: list[dict[str, object]]) -> dict[str, dict]:
    """Independent figures: plain Python Decimal sums over the generated rows."""
    out: dict[str, dict] = {k: defaultdict(lambda: [Decimal(0), Decimal(0), 0])
                            for k in ("week", "seller", "product", "shipper")}
    for r in rows:
        keys = {"week": monday(r["sold_at"].date()), "seller": r["seller"],
                "product": r["product"], "shipper": r["shipping_company"] or "UNKNOWN"}
        for kind, key in keys.items():
            acc = out[kind][key]
            acc[0] += r["total_price"]
            acc[1] += Decimal(r["units"])
            acc[2] += 1
    return {k: {key: tuple(v) for key, v in d.items()} for k, d in out.items()}


def actual(sql) -> dict[str, dict]:
    weekly = sql("SELECT date_trunc('week', day)::date, sum(revenue), sum(units), sum(line_count)"
                 " FROM salesops.report_daily_sales GROUP BY 1")
    seller = sql("SELECT seller, sum(revenue), sum(units), sum(line_count)"
                 " FROM salesops.report_daily_seller GROUP BY 1")
    product = sql("SELECT product, sum(revenue), sum(units), sum(line_count)"
                  " FROM salesops.report_daily_product GROUP BY 1")
    shipper = sql("SELECT shipping_company, sum(revenue), 0, sum(line_count)"
                  " FROM salesops.report_daily_shipping GROUP BY 1")
    return {"week": {r[0]: (r[1], r[2], r[3]) for r in weekly},
            "seller": {r[0]: (r[1], r[2], r[3]) for r in seller},
            "product": {r[0]: (r[1], r[2], r[3]) for r in product},
            "shipper": {r[0]: (r[1], r[3]) for r in shipper}}


def assert_reports_match(sql, rows: list[dict[str, object]]) -> None:
    want, got = expected(rows), actual(sql)
    want["shipper"] = {k: (v[0], v[2]) for k, v in want["shipper"].items()}
    for kind in want:
        assert got[kind] == want[kind], kind


def test_reports_match_independent_figures_including_after_correction(ingest, sql) -> None:
    jan = generate(1, 300, date(2026, 1, 5), 21)
    feb = generate(2, 250, date(2026, 1, 19), 28)
    write_clean_workbook(ingest.folder / "jan.xlsx", jan)
    write_clean_workbook(ingest.folder / "feb.xlsx", feb)
    ingest.run("jan.xlsx")
    ingest.run("feb.xlsx")
    assert ingest.refresh().success
    assert_reports_match(sql, jan + feb)
    # A corrected re-export drops the last 100 lines and changes the price of others.
    fixed = [dict(r) for r in feb[:150]]
    for r in fixed[::3]:
        r["unit_price"] = Decimal("0.10")
        r["total_price"] = Decimal("0.10") * r["units"]
    write_clean_workbook(ingest.folder / "feb.xlsx", fixed)
    ingest.run("feb.xlsx")
    assert ingest.refresh().success
    assert_reports_match(sql, jan + fixed)


def _snapshot(sql) -> dict[str, list[tuple]]:
    tables = {
        "report_daily_sales": "day, revenue, units, line_count",
        "report_daily_seller": "day, seller, revenue, units, line_count",
        "report_daily_product": "day, product, revenue, units, line_count",
        "report_daily_shipping": "day, shipping_company, revenue, line_count",
        "report_daily_quality": "day, line_count, mismatched_total_count, nonpositive_units_count,"
                                " negative_amount_count, missing_shipping_company_count,"
                                " rejected_row_count",
        "report_quality_sample": "day, rule, source_file, source_row_number",
    }
    return {t: sql(f"SELECT {cols} FROM salesops.{t} ORDER BY {cols}") for t, cols in
            tables.items()}


def test_incremental_refresh_touches_only_affected_weeks_and_equals_full(ingest, sql) -> None:
    a = generate(3, 200, date(2026, 2, 2), 14)   # weeks of Feb 2 and Feb 9
    b = generate(4, 100, date(2026, 3, 2), 5)    # week of Mar 2 only
    write_clean_workbook(ingest.folder / "a.xlsx", a)
    ingest.run("a.xlsx")
    first = ingest.refresh()
    weeks = first.asset_materializations_for_node("sales_reports")[0].metadata
    assert weeks["weeks_refreshed"].value == ["2026-02-02", "2026-02-09"]
    stamps = dict(sql("SELECT day, refreshed_at FROM salesops.report_daily_sales"))
    write_clean_workbook(ingest.folder / "b.xlsx", b)
    ingest.run("b.xlsx")
    second = ingest.refresh()
    meta = {m.asset_key.to_user_string(): m.metadata
            for m in second.asset_materializations_for_node("sales_reports")}
    assert meta["report_weekly_summary"]["weeks_refreshed"].value == ["2026-03-02"]
    assert sql("SELECT weeks FROM salesops.report_refresh ORDER BY refresh_id DESC LIMIT 1") == [
        ([date(2026, 3, 2)],)]
    # Days of the untouched weeks were not rewritten.
    after = dict(sql("SELECT day, refreshed_at FROM salesops.report_daily_sales"))
    for day, stamp in stamps.items():
        assert after[day] == stamp, day
    # A correction that moves lines out of a week refreshes the week that lost them.
    moved = [dict(r, sold_at=r["sold_at"] + timedelta(days=7)) for r in b]
    write_clean_workbook(ingest.folder / "b.xlsx", moved)
    ingest.run("b.xlsx")
    third = ingest.refresh()
    assert third.asset_materializations_for_node("sales_reports")[0].metadata[
        "weeks_refreshed"].value == ["2026-03-02", "2026-03-09"]
    assert sql("SELECT count(*) FROM salesops.report_daily_sales WHERE day < '2026-03-09'"
               " AND day >= '2026-03-02'") == [(0,)]
    incremental = _snapshot(sql)
    assert ingest.refresh(full=True).success
    assert _snapshot(sql) == incremental
    assert_reports_match(sql, a + moved)


def test_refresh_metadata_has_preview_and_chart(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "a.xlsx", generate(5, 50, date(2026, 4, 6), 14))
    ingest.run("a.xlsx")
    result = ingest.refresh()
    meta = {m.asset_key.to_user_string(): m.metadata
            for m in result.asset_materializations_for_node("sales_reports")}
    assert set(meta) == {"report_weekly_summary", "report_seller_ranking", "report_top_products",
                         "report_shipping_breakdown", "report_data_quality"}
    weekly = meta["report_weekly_summary"]
    assert "Week of 2026-04-13" in weekly["latest_week"].value
    assert "2026-04-06" in weekly["weekly_revenue"].value and "█" in weekly["weekly_revenue"].value
    days = sql("SELECT 1 FROM salesops.report_daily_sales")
    assert weekly["dagster/row_count"].value == len(days)


def test_data_quality_counts_per_day(ingest, sql) -> None:
    day = datetime(2026, 5, 4, 9)
    rows = [
        {"sold_at": day, "product": "A", "seller": "S", "unit_price": Decimal("2.50"),
         "units": 2, "total_price": Decimal("5.00"), "shipping_company": "DHL"},   # fine
        {"sold_at": day, "product": "A", "seller": "S", "unit_price": Decimal("2.50"),
         "units": 2, "total_price": Decimal("5.02"), "shipping_company": "DHL"},   # mismatch
        {"sold_at": day, "product": "A", "seller": "S", "unit_price": Decimal("2.50"),
         "units": 0, "total_price": Decimal("0"), "shipping_company": None},       # units, shipper
        {"sold_at": day, "product": "A", "seller": "S", "unit_price": Decimal("-1"),
         "units": 1, "total_price": Decimal("-1"), "shipping_company": "UPS"},     # negative
        {"sold_at": "not a date", "product": "A", "seller": "S", "unit_price": 1, "units": 1,
         "total_price": 1, "shipping_company": "UPS"},                              # quarantined
    ]
    write_clean_workbook(ingest.folder / "q.xlsx", rows)
    ingest.run("q.xlsx")
    ingest.refresh()
    counts = sql("SELECT mismatched_total_count, nonpositive_units_count, negative_amount_count,"
                 " missing_shipping_company_count, line_count FROM salesops.report_daily_quality"
                 " WHERE day = '2026-05-04'")
    assert counts == [(1, 1, 1, 1, 4)]
    assert sql("SELECT sum(rejected_row_count) FROM salesops.report_daily_quality") == [(1,)]
    rules = sql("SELECT rule, source_row_number FROM salesops.report_quality_sample ORDER BY 1")
    assert rules == [("mismatched_total", 3), ("missing_shipping_company", 4),
                     ("negative_amount", 5), ("nonpositive_units", 4), ("rejected_row", 6)]


def test_refresh_retries_when_a_publish_changes_its_snapshot(ingest, folder, sql, db) -> None:
    """A day marked dirty again after the refresh's snapshot: serialization failure, retried."""
    import threading

    import psycopg

    from salesops_pipeline.core.db.connect import connect
    from salesops_pipeline.core.report import refresh as reports

    write_clean_workbook(folder / "w.xlsx", generate(7, 40, date(2026, 3, 2), 7))
    ingest.run("w.xlsx")
    blocker = psycopg.connect(db)  # holds the reports lock like a refresh still running
    blocker.cursor().execute(reports.LOCK_REPORTS)
    outcome: list[object] = []

    def refresh() -> None:
        try:
            with connect(db) as conn:
                outcome.append(reports.refresh(conn, tolerance=Decimal("0.01")))
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome.append(exc)

    worker = threading.Thread(target=refresh)
    worker.start()
    # Its snapshot is taken; it waits for the lock. A publish marks a day dirty meanwhile.
    for _ in range(100):
        waiting = sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                      " AND query LIKE '%%salesops.reports%%'")[0][0]
        if waiting:
            break
        threading.Event().wait(0.05)
    sql("UPDATE salesops.report_dirty_day SET marked_at = now()")
    blocker.rollback()
    blocker.close()
    worker.join(timeout=60)
    assert not isinstance(outcome[0], Exception), outcome[0]
    assert sql("SELECT count(*) FROM salesops.report_dirty_day") == [(0,)]
    revenue = sum(r["total_price"] for r in generate(7, 40, date(2026, 3, 2), 7))
    assert sql("SELECT sum(revenue) FROM salesops.report_daily_sales") == [(revenue,)]
