"""The business-figure checks in the weekly job on real PostgreSQL: a planted drop and a seller
gone silent are found with their figures (WARN), a steady seller is not; one alert per finding,
not again while the week is unchanged."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from dagster import AssetCheckSeverity

from salesops_pipeline.core.notify.alerts import Alert
from salesops_pipeline.core.notify.check_cursor import CheckCursor
from salesops_pipeline.core.notify.figure_alerts import finding_alerts
from salesops_pipeline_tests.core.notify.webhook_receiver import webhook_receiver
from salesops_pipeline_tests.defs.alert_support import tick
from salesops_pipeline_tests.ingest_support import checks_by_name
from salesops_pipeline_tests.workbooks import write_clean_workbook

WEEK = date(2026, 3, 2)  # judged; the 8 weeks before it are the history
STEADY = {"Ada": ("Widget", "1000.00"), "Bob": ("Gadget", "800.00"), "Cara": ("Gizmo", "600.00")}
THIS_WEEK = {"Ada": "200.00", "Cara": "610.00"}  # Ada drops, Bob sells nothing, Cara as usual


def _row(day: date, seller: str, total: str) -> dict[str, object]:
    product = STEADY[seller][0]
    return {"sold_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=10),
            "product": product, "seller": seller, "unit_price": Decimal(total), "units": 1,
            "total_price": Decimal(total), "shipping_company": "DHL"}


def _rows() -> list[dict[str, object]]:
    rows = []
    for back in range(8, 0, -1):
        monday = WEEK - timedelta(weeks=back)
        for i, (seller, (_product, usual)) in enumerate(STEADY.items()):
            wobble = Decimal(back % 3 - 1) * 20  # -20, 0, +20: ordinary noise
            rows.append(_row(monday + timedelta(days=i), seller, str(Decimal(usual) + wobble)))
    rows += [_row(WEEK + timedelta(days=1), s, total) for s, total in THIS_WEEK.items()]
    return rows


def _weekly(ingest):
    result = ingest.run_job("weekly_reports", {"ops": {"sales_reports": {"config": {
        "weeks": [WEEK.isoformat()]}}}}, partition_key=WEEK.isoformat())
    assert result.success
    return result


def test_weekly_job_warns_on_the_planted_drop_and_the_silent_seller(ingest, alert_env) -> None:
    write_clean_workbook(ingest.folder / "sales.xlsx", _rows())
    ingest.run("sales.xlsx")
    with webhook_receiver() as receiver:
        alert_env(webhook=receiver.url)
        cursor, _ = tick(ingest.instance, None)  # first tick: starts from now
        result = _weekly(ingest)
        cursor, _ = tick(ingest.instance, cursor)
        _weekly(ingest)  # the same week again, unchanged: no alert repeated
        cursor, _ = tick(ingest.instance, cursor)
    sent = sorted(b["title"] for b in receiver.bodies)
    assert sent == ["WARN unusual figure: drop of Ada", "WARN unusual figure: drop of Widget",
                    "WARN unusual figure: drop of all sales",
                    "WARN unusual figure: silent of Bob", "WARN unusual figure: silent of Gadget"]
    ada = next(b for b in receiver.bodies if b["title"].endswith("drop of Ada"))
    assert (ada["subject"], ada["figures"]["median"], ada["figures"]["revenue"]) == \
        ("week of 2026-03-02", "1000.00", "200.00")
    checks = checks_by_name(result)
    sellers = checks["unusual_seller_weeks"]
    assert not sellers.passed and sellers.severity == AssetCheckSeverity.WARN
    assert sellers.metadata["week"].value == "2026-03-02"
    found = {f["name"]: f for f in sellers.metadata["findings"].value}
    assert set(found) == {"Ada", "Bob"}
    # Ada's history: 1020 1000 980 1020 1000 980 1020 1000 (back = 8..1) → median 1000, MAD 20
    assert (found["Ada"]["kind"], Decimal(found["Ada"]["revenue"]),
            Decimal(found["Ada"]["median"]), Decimal(found["Ada"]["spread"])) == \
        ("drop", Decimal(200), Decimal(1000), Decimal(20))
    assert Decimal(found["Ada"]["change_pct"]) == Decimal("-80.00")
    assert (found["Bob"]["kind"], Decimal(found["Bob"]["revenue"]),
            found["Bob"]["weeks_with_sales"]) == ("silent", Decimal(0), "8")
    products = {f["name"]: f["kind"] for f in
                checks["unusual_product_weeks"].metadata["findings"].value}
    assert products == {"Widget": "drop", "Gadget": "silent"}
    # total: usual 2400 ± 60, this week 810: a drop of about two thirds (> 30 %)
    [total] = checks["unusual_week_total"].metadata["findings"].value
    assert (total["kind"], Decimal(total["revenue"])) == ("drop", Decimal(810))

    base = Alert(title="WARN check unusual_seller_weeks failed", severity="WARN",
                 subject="week of 2026-03-02", run_id=result.run_id, link="", kind="check")
    state = CheckCursor()
    key = "report_seller_ranking:unusual_seller_weeks"
    listed = sellers.metadata["findings"].value
    alerts = finding_alerts(key, base, listed, state)
    assert [a.title for a in alerts] == ["WARN unusual figure: drop of Ada",
                                         "WARN unusual figure: silent of Bob"]
    assert alerts[0].figures["median"] == found["Ada"]["median"]
    assert finding_alerts(key, base, listed, state) == []  # the week unchanged: no repeat
    changed = [{**listed[0], "revenue": "150.00"}, listed[1]]
    assert [a.title for a in finding_alerts(key, base, changed, state)] == \
        ["WARN unusual figure: drop of Ada"]
    assert finding_alerts(key, base, [listed[1]], state) == []  # Ada gone: forgotten
    assert len(finding_alerts(key, base, listed, state)) == 1  # back: alerted again
