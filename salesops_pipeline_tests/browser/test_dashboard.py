"""The dashboard in a real browser (Debian's chromium) against the real API and PostgreSQL.

Known data: sales lines of two ISO weeks (the last complete one, the default period, and the
week before), written as facts and daily report rows with the API tests' builders; every
figure expected here comes from those lines in Decimal (`api/expected.py`). The page must show
each money and unit string exactly as the API sends it, so each figure is checked twice: the
text equals the API's JSON string, and that string's value equals the Decimal oracle.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from salesops_pipeline.api.deps import last_complete_week
from salesops_pipeline.api.keys import revoke_key
from salesops_pipeline_tests.api import expected
from salesops_pipeline_tests.api.builders import (
    line,
    write_facts,
    write_import,
    write_quality,
    write_quality_sample,
    write_rejection,
    write_reports,
)

BAD_KEY_MESSAGE = "This API key is not valid (or was revoked) — enter another"
WEEK = last_complete_week(datetime.now(ZoneInfo("UTC")).date())  # the API's default (UTC)
BEFORE = last_complete_week(WEEK.start)
MON, PREV_MON = WEEK.start, BEFORE.start


def day(monday: date, offset: int) -> date:
    return monday + timedelta(days=offset)


LINES = [
    line(day(MON, 0), "Ada", "Laptop", "1200.50", row=2),
    line(day(MON, 1), "Bob", "Mouse", "74.97", units="3", shipping="UPS", row=3),
    line(day(MON, 2), "Ada", "Mouse", "20.01", units="2", row=4),
    line(day(MON, 3), "Chen", "Dock", "189.90", shipping=None, row=5),
    line(day(MON, 3), "Chen", "Cable", "5.25", units="0.5", shipping="UPS", row=6),
    line(day(MON, 6), "Bob", "Laptop", "999.99", shipping="FedEx", row=7),
    line(day(PREV_MON, 1), "Ada", "Laptop", "1000.00", row=8),
    line(day(PREV_MON, 4), "Bob", "Mouse", "50.00", units="2", shipping="UPS", row=9),
]
SAMPLES = [  # (day, rule, row): the Dock line has no shipping company; a mismatched total
    (day(MON, 3), "missing_shipping_company", 5),
    (day(MON, 1), "mismatched_total", 3),
]
REJECTED_ROW = 12  # quarantined on Monday: not a sales line, one of the import's rejections


@pytest.fixture
def known_data(live_api, sql) -> None:
    imports = write_facts(sql, LINES)
    write_reports(sql, LINES)
    write_rejection(sql, imports["sales.xlsx"], REJECTED_ROW, {"Units": "three"},
                    ["Units: not a number"])
    write_quality(sql, day(MON, 0), rejected_row_count=1)
    write_quality_sample(sql, day(MON, 0), "rejected_row", REJECTED_ROW,
                         {"raw": {"Units": "three"}, "reasons": ["Units: not a number"]})
    write_quality(sql, day(MON, 1), mismatched_total_count=1)
    write_quality(sql, day(MON, 3), tolerance="0.05", missing_shipping_company_count=1)
    for when, rule, row in SAMPLES:
        source = next(x for x in LINES if x.source_row_number == row)
        write_quality_sample(sql, when, rule, row, {"total_price": str(source.total_price)})
    write_import(sql, "broken.xlsx", status="rejected", sha="cd" * 32, rows_read=3,
                 error="the header has no Units column")


def api_json(live_api, path: str, **params: str) -> dict:
    response = httpx.get(live_api.url(path), params=params,
                         headers={"X-API-Key": live_api.admin_key}, timeout=10)
    response.raise_for_status()
    return response.json()


def open_dashboard(page: Page, live_api, key: str) -> None:
    page.goto(live_api.url("/dashboard"))
    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")


def wait_loaded(page: Page, start: date, end: date) -> None:
    expect(page.locator("body")).to_have_attribute("data-loaded", f"{start}/{end}")


def table(page: Page, selector: str) -> list[list[str]]:
    """The body cells of a table as text, row by row."""
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent))")


def grouped(api_text: str) -> str:
    """The API's exact string as the page shows it in the en-US locale: thousands grouped."""
    sign, digits = ("-", api_text[1:]) if api_text.startswith("-") else ("", api_text)
    whole, dot, fraction = digits.partition(".")
    return f"{sign}{int(whole):,}{dot}{fraction}"


def plain(shown: str) -> Decimal:
    """A figure shown in the en-US locale as a Decimal."""
    return Decimal(shown.replace(",", ""))


def same_text_and_value(shown: str, api_text: str, oracle: str | Decimal) -> None:
    assert shown == grouped(api_text), "the page must show the API's string, every digit"
    assert Decimal(api_text) == Decimal(oracle)


def change_text(current: Decimal, previous: Decimal) -> tuple[Decimal, Decimal]:
    """(percent rounded half away from zero to 0.1, difference) of the oracle."""
    pct = ((current - previous) * 100 / previous).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return pct, current - previous


def parse_change(text: str) -> tuple[Decimal, Decimal]:
    pct, diff = text.split(" % (")
    return Decimal(pct), plain(diff.rstrip(")"))


def test_known_week_shows_exact_figures(browser_page: Page, page_log, live_api,
                                        known_data) -> None:
    page = browser_page
    open_dashboard(page, live_api, live_api.admin_key)
    wait_loaded(page, WEEK.start, WEEK.end)
    assert page.input_value("#start-date") == WEEK.start.isoformat()
    assert page.input_value("#end-date") == WEEK.end.isoformat()

    this, = expected.weekly(LINES, WEEK.start, WEEK.end)
    last, = expected.weekly(LINES, BEFORE.start, BEFORE.end)
    api_week, = api_json(live_api, "/reports/weekly-summary", start_date=str(WEEK.start),
                         end_date=str(WEEK.end))["data"]
    (label, revenue, revenue_change, units, units_change, lines, lines_change), = \
        table(page, "#weekly-table")
    assert label == f"{WEEK.start} – {WEEK.end}"
    same_text_and_value(revenue, api_week["revenue"], this["revenue"])
    same_text_and_value(units, api_week["units"], this["units"])
    assert lines == str(this["line_count"]) == "6"
    for shown, key in ((revenue_change, "revenue"), (units_change, "units"),
                       (lines_change, "line_count")):
        assert parse_change(shown) == change_text(Decimal(this[key]), Decimal(last[key]))
    assert parse_change(revenue_change)[0] == Decimal("137.2")  # 2490.62 against 1050.00

    want = expected.sellers(LINES, WEEK.start, WEEK.end)
    api_rows = api_json(live_api, "/reports/seller-ranking", start_date=str(WEEK.start),
                        end_date=str(WEEK.end))["data"]
    shown_rows = table(page, "#sellers-table")
    assert [r[:2] for r in shown_rows] == [[str(w["rank"]), w["seller"]] for w in want]
    for shown, api_row, w in zip(shown_rows, api_rows, want, strict=True):
        same_text_and_value(shown[2], api_row["revenue"], w["revenue"])
        same_text_and_value(shown[3], api_row["units"], w["units"])
        assert shown[4] == str(w["line_count"])

    want = expected.products(LINES, WEEK.start, WEEK.end, 10)
    shown_rows = table(page, "#products-table")
    assert [(r[1], plain(r[2]), plain(r[3])) for r in shown_rows] \
        == [(w["product"], Decimal(w["revenue"]), Decimal(w["units"])) for w in want]

    want = expected.shipping(LINES, WEEK.start, WEEK.end)
    shown_rows = table(page, "#shipping-table")
    assert [r[0] for r in shown_rows] == [w["shipping_company"] for w in want]
    for shown, w in zip(shown_rows, want, strict=True):
        assert plain(shown[1]) == Decimal(w["revenue"])
        assert shown[3].endswith(" %")
        assert Decimal(shown[3][:-2]) == Decimal(w["revenue_share"]) * 100  # moved, not rounded

    expect(page.locator("#quality-status")).to_have_text("warn")
    assert Decimal(page.text_content("#quality-tolerance")) == Decimal("0.05")  # latest day's
    counts = dict(table(page, "#quality-table"))
    assert counts == {"Total ≠ unit price × units": "1", "Units ≤ 0": "0",
                      "Negative amount": "0", "No shipping company": "1",
                      "Rejected (quarantined) rows": "1"}
    assert page.locator("#weekly-chart").bounding_box()["height"] > 100  # the chart was drawn
    assert page_log.errors == []
    assert page_log.external_requests == []

    page.reload()  # the key stays for the browser session
    wait_loaded(page, WEEK.start, WEEK.end)
    expect(page.locator("#key-form")).to_be_hidden()


def test_the_figures_follow_the_date_range(browser_page: Page, live_api, known_data) -> None:
    page = browser_page
    open_dashboard(page, live_api, live_api.admin_key)
    wait_loaded(page, WEEK.start, WEEK.end)

    page.fill("#start-date", BEFORE.start.isoformat())
    page.fill("#end-date", BEFORE.end.isoformat())
    page.click("#period-form button[type=submit]")
    wait_loaded(page, BEFORE.start, BEFORE.end)
    last, = expected.weekly(LINES, BEFORE.start, BEFORE.end)
    (label, revenue, change, units, _, lines, _), = table(page, "#weekly-table")
    assert (label, plain(revenue), plain(units), lines) == \
        (f"{BEFORE.start} – {BEFORE.end}", Decimal("1050.00"), Decimal("3"), "2")
    assert plain(revenue) == Decimal(last["revenue"])
    assert change.endswith("(no sales the week before)")
    assert [r[1] for r in table(page, "#sellers-table")] == ["Ada", "Bob"]

    page.fill("#start-date", BEFORE.start.isoformat())  # both weeks: two rows, one per week
    page.fill("#end-date", WEEK.end.isoformat())
    page.click("#period-form button[type=submit]")
    wait_loaded(page, BEFORE.start, WEEK.end)
    assert [r[0] for r in table(page, "#weekly-table")] == [
        f"{BEFORE.start} – {BEFORE.end}", f"{WEEK.start} – {WEEK.end}"]
    assert [plain(r[1]) for r in table(page, "#weekly-table")] == [
        Decimal(w["revenue"]) for w in expected.weekly(LINES, BEFORE.start, WEEK.end)]

    page.fill("#top-n", "1")
    page.dispatch_event("#top-n", "change")
    expect(page.locator("#products-table tbody tr")).to_have_count(1)
    top, = expected.products(LINES, BEFORE.start, WEEK.end, 1)
    assert table(page, "#products-table")[0][1] == top["product"] == "Laptop"

    page.click("#last-week")
    wait_loaded(page, WEEK.start, WEEK.end)


def test_a_wrong_or_revoked_key_gets_a_clear_message(browser_page: Page, live_api,
                                                     known_data) -> None:
    page = browser_page
    open_dashboard(page, live_api, "sok_000000000000_not-a-real-key")
    expect(page.locator("#message")).to_have_text(BAD_KEY_MESSAGE)
    expect(page.locator("#reports")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0  # a bad key is not kept

    revoke_key(live_api.database_url, "test-viewer")
    page.fill("#api-key", live_api.viewer_key)
    page.click("#key-form button[type=submit]")
    expect(page.locator("#message")).to_have_text(BAD_KEY_MESSAGE)
    expect(page.locator("#reports")).to_be_hidden()

    page.fill("#api-key", live_api.admin_key)  # another key works at once
    page.click("#key-form button[type=submit]")
    wait_loaded(page, WEEK.start, WEEK.end)
    expect(page.locator("#message")).to_be_hidden()


def test_an_admin_sees_samples_audit_lines_and_imports(browser_page: Page, live_api,
                                                       known_data) -> None:
    page = browser_page
    open_dashboard(page, live_api, live_api.admin_key)
    wait_loaded(page, WEEK.start, WEEK.end)
    expect(page.locator("#role")).to_have_text("admin")
    expect(page.locator("#samples")).to_be_visible()
    samples = table(page, "#samples-table")
    assert [(r[0], r[1], r[2], r[4]) for r in samples] == [
        (str(when), rule, "sales.xlsx", str(row)) for when, rule, row in
        [(day(MON, 0), "rejected_row", REJECTED_ROW), *sorted(SAMPLES)]]
    assert json.loads(samples[2][5]) == {"total_price": "189.90"}

    page.locator("#samples-table tbody tr").nth(2).get_by_role("button").click()  # the Dock
    expect(page.locator("#audit-title")).to_have_text(
        f"Sales lines of sales.xlsx sold on {day(MON, 3)}")
    expect(page.locator("#audit")).to_have_attribute(
        "data-sample", f"{day(MON, 3)} missing_shipping_company 5")  # loaded
    expect(page.locator("#audit-table tr.flagged")).to_have_count(1)
    audit = table(page, "#audit-table")
    same_day = [x for x in LINES if x.day == day(MON, 3)]
    assert sorted(r[0] for r in audit) == [str(x.source_row_number) for x in same_day] == ["5", "6"]
    flagged = page.locator("#audit-table tr.flagged td").all_text_contents()
    assert flagged[0] == "5" and flagged[2] == "Dock" and flagged[4] == ""
    assert Decimal(flagged[7]) == Decimal("189.90")

    page.locator("#samples-table tbody tr").nth(0).get_by_role("button").click()  # quarantined
    expect(page.locator("#audit")).to_have_attribute(
        "data-sample", f"{day(MON, 0)} rejected_row {REJECTED_ROW}")
    expect(page.locator("#audit-table tr.flagged")).to_have_count(1)
    expect(page.locator("#audit-title")).to_contain_text("Quarantined rows of sales.xlsx")
    (import_id, row, reasons, values), = table(page, "#audit-table")
    assert (row, reasons, json.loads(values)) == (str(REJECTED_ROW), "Units: not a number",
                                                  {"Units": "three"})

    expect(page.locator("#imports")).to_be_visible()
    imports = table(page, "#imports-table")
    assert [(r[1], r[2]) for r in imports] == [("broken.xlsx", "rejected"),
                                                ("sales.xlsx", "loaded")]
    assert imports[0][8] == "the header has no Units column"
    assert imports[1][3:5] == [str(len(LINES))] * 2


def test_a_viewer_sees_reports_but_no_samples_or_imports(browser_page: Page, page_log, live_api,
                                                         known_data) -> None:
    page = browser_page
    open_dashboard(page, live_api, live_api.viewer_key)
    wait_loaded(page, WEEK.start, WEEK.end)
    expect(page.locator("#role")).to_have_text("viewer")
    expect(page.locator("#weekly-table tbody tr")).to_have_count(1)
    expect(page.locator("#quality-status")).to_have_text("warn")
    expect(page.locator("#samples")).to_be_hidden()
    expect(page.locator("#imports")).to_be_hidden()
    assert page.locator("#samples-table tbody tr").count() == 0  # never filled, not just hidden
    expect(page.locator("#message")).to_be_hidden()
    # the 403 of /imports is how the page learns the role; nothing else may fail
    assert [e for e in page_log.errors if "403" not in e] == []


def test_a_csv_download_has_the_panel_rows(browser_page: Page, live_api, known_data) -> None:
    page = browser_page
    open_dashboard(page, live_api, live_api.viewer_key)
    wait_loaded(page, WEEK.start, WEEK.end)
    with page.expect_download() as info:
        page.locator("#sellers .downloads").get_by_role("button", name="CSV").click()
    download = info.value
    assert download.suggested_filename == f"seller-ranking_{WEEK.start}_{WEEK.end}.csv"
    assert live_api.viewer_key not in download.url  # the key travels in the header only
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    want = expected.sellers(LINES, WEEK.start, WEEK.end)
    assert [(r["rank"], r["seller"], Decimal(r["revenue"]), Decimal(r["units"]), r["line_count"])
            for r in rows] == [(str(w["rank"]), w["seller"], Decimal(w["revenue"]),
                                Decimal(w["units"]), str(w["line_count"])) for w in want]


def test_an_import_whose_header_drifted_is_marked_and_its_feedback_saved(
        browser_page: Page, live_api, known_data, sql) -> None:
    change = {"kind": "renamed", "against": "previous", "sheet": "Sales",
              "column": "unit_price", "before": "Unit Price", "after": "<Price>",
              "before_position": 3, "after_position": 3}
    sql("UPDATE salesops.import_log SET drift = %s WHERE source_file = 'sales.xlsx'",
        (json.dumps({"changes": [change], "references": [
            {"against": "previous", "file": "sales.xlsx", "import_id": 1, "files_alike": 1,
             "files_compared": 1}]}),))
    page = browser_page
    open_dashboard(page, live_api, live_api.admin_key)
    wait_loaded(page, WEEK.start, WEEK.end)
    rows = page.locator("#imports-table tbody tr")
    sales = rows.filter(has_text="sales.xlsx")
    mark = sales.locator(".drift")
    expect(mark).to_have_text("changed (1)")
    expect(mark).to_have_attribute(
        "title", "previous Sales renamed unit_price “Unit Price” → “<Price>”")
    expect(rows.filter(has_text="broken.xlsx").locator(".drift")).to_have_count(0)
    with page.expect_download() as info:
        sales.get_by_role("button", name="Feedback").click()
    download = info.value
    import_id = next(r["id"] for r in api_json(live_api, "/imports")["data"]
                     if r["source_file"] == "sales.xlsx")
    assert download.suggested_filename == f"import-{import_id}-feedback.md"
    assert live_api.admin_key not in download.url
    page_text = download.path().read_text(encoding="utf-8")
    assert page_text.startswith("# Import feedback: sales.xlsx\n")
    assert "renamed 'Unit Price' → '\\<Price\\>'" in page_text


def test_the_page_and_only_its_own_files_are_served(live_api) -> None:
    for path in ("/", "/dashboard"):
        page = httpx.get(live_api.url(path), timeout=10)  # no key: the page holds no data
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert '<form id="key-form"' in page.text
    script = httpx.get(live_api.url("/dashboard/static/app.js"), timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    for path in ("/dashboard/static/README.md", "/dashboard/static/..%2F..%2Fmain.py",
                 "/dashboard/static/index.html", "/dashboard/static/chart.umd.min.js.map"):
        assert httpx.get(live_api.url(path), timeout=10).status_code == 404, path
