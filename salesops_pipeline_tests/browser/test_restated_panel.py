"""The "Changed since reported" panel in a real browser: a reported week restated by a
corrected file shows with its figures before and after, exactly as the API sends them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from salesops_pipeline.api.deps import last_complete_week
from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.report.restatements import mark_sent
from salesops_pipeline_tests.core.report.restate_support import (
    publish_file,
    refresh_now,
    sale,
    week_totals,
)

WEEK = last_complete_week(datetime.now(ZoneInfo("UTC")).date())  # the page's default period


def _day(offset: int) -> str:
    return (WEEK.start + timedelta(days=offset)).isoformat()


OLD = [sale(_day(0), "Ada", "Laptop", "1200.50"), sale(_day(2), "Bob", "Mouse", "20.01", "2")]
NEW = [sale(_day(0), "Ada", "Laptop", "1100.50"), sale(_day(2), "Bob", "Mouse", "20.01", "2"),
       sale(_day(4), "<b>Chen</b>", "Dock", "189.90")]


def test_restated_week_shows_in_its_panel(browser_page: Page, live_api, api_db) -> None:
    old = publish_file(api_db, "week.csv", OLD)
    refresh_now(api_db)
    with connect(api_db) as conn, conn.cursor() as cur:
        mark_sent(cur, week=WEEK.start, channel="email", run_id="weekly")
    new = publish_file(api_db, "week.csv", NEW)
    refresh_now(api_db)
    (item,) = httpx.get(live_api.url("/reports/restatements"),
                        headers={"X-API-Key": live_api.admin_key}, timeout=10).json()["data"]
    b, a = week_totals(OLD, WEEK.start), week_totals(NEW, WEEK.start)
    assert (Decimal(item["revenue_before"]), Decimal(item["revenue_after"])) == (b[0], a[0])

    page = browser_page
    page.goto(live_api.url("/dashboard"))
    page.fill("#api-key", live_api.viewer_key)
    page.click("#key-form button[type=submit]")
    expect(page.locator("#restated")).to_be_visible()
    expect(page.locator("#restated")).to_have_attribute("data-count", "1")
    (cells,) = page.eval_on_selector_all(
        "#restated-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent))")
    week, _reported, _changed, revenue, lines, names, files = cells
    assert week.startswith(item["iso_week"])
    assert item["revenue_change"] == "89.90"  # shown with its sign
    assert revenue == f"{item['revenue_before']} → {item['revenue_after']} (+89.90)"
    assert lines == f"{b[2]} → {a[2]} (+{a[2] - b[2]})"
    assert "<b>Chen</b>: none → 189.90" in names  # a name is text, never markup
    assert page.locator("#restated-table b").count() == 0
    assert files == f"week.csv (import {new}, replaced import {old})"
