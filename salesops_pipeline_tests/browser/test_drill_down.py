"""Drill-down, comparison and the URL state in a real browser, in German (de-DE) so the locale's
grouping shows: one page load from a shared link, a click on a seller's revenue shows exactly
that seller's lines with file, row and import; the import link opens its feedback; a
data-quality count opens the lines its rule flags."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from salesops_pipeline_tests.browser.conftest import TIMEOUT_MS, _is_local
from salesops_pipeline_tests.browser.test_dashboard import (  # noqa: F401 - fixture used here
    BEFORE,
    LINES,
    WEEK,
    known_data,
    table,
    wait_loaded,
)


@pytest.fixture
def german_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE")
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", lambda route, request: route.continue_() if _is_local(request.url)
                  else route.abort("blockedbyclient"))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
        assert errors == [], errors
    finally:
        context.close()


def _de(text: str) -> str:
    """A plain decimal as de-DE writes it: 1200.50 → 1.200,50."""
    whole, _, fraction = text.partition(".")
    return f"{int(whole):,}".replace(",", ".") + ("," + fraction if fraction else "")


def test_a_shared_link_restores_the_view_and_a_figure_opens_its_lines(
        german_page: Page, live_api, known_data) -> None:  # noqa: F811
    page = german_page
    page.goto(live_api.url(f"/dashboard?start={WEEK.start}&end={WEEK.end}&compare=previous"
                           "&top=3"))
    page.fill("#api-key", live_api.admin_key)
    page.click("#key-form button[type=submit]")
    wait_loaded(page, WEEK.start, WEEK.end)
    assert page.input_value("#compare") == "previous" and page.input_value("#top-n") == "3"
    state = parse_qs(urlsplit(page.url).query)
    assert state == {"start": [str(WEEK.start)], "end": [str(WEEK.end)],
                     "compare": ["previous"], "top": ["3"]}
    assert live_api.admin_key not in page.url

    ada = [x for x in LINES if x.seller == "Ada" and WEEK.start <= x.day <= WEEK.end]
    before = [x for x in LINES if x.seller == "Ada" and BEFORE.start <= x.day <= BEFORE.end]
    row = next(r for r in table(page, "#sellers-table") if r[1] == "Ada")
    revenue = sum(x.total_price for x in ada)
    assert row[2] == _de(f"{revenue:.2f}") == "1.220,51"  # grouped in the browser's locale
    assert row[5] == _de(f"{sum(x.total_price for x in before):.2f}") == "1.000,00"
    assert row[6].startswith("+22.05 %")  # (1220.51 − 1000.00) / 1000.00, as the API says

    page.click('a[data-drill="seller:Ada"]')
    expect(page.locator("#drill")).to_have_attribute(
        "data-loaded", f"seller Ada|0|{len(ada)}")
    lines = table(page, "#drill-table")
    assert [(r[0], r[2], r[5]) for r in lines] == [
        (x.source_file, str(x.source_row_number), "Ada") for x in ada]
    assert [r[10] for r in lines] == [_de(f"{x.total_price:.2f}") for x in ada]
    page.locator("#drill-table tbody tr").first.get_by_role("link").click()  # its import
    expect(page.locator("#drill-import-title")).to_contain_text("sales.xlsx — loaded")

    page.click('a[data-drill="rule:missing_shipping_company"]')  # a data-quality count
    expect(page.locator("#drill")).to_have_attribute("data-loaded", "no shipping company|0|1")
    [dock] = table(page, "#drill-table")
    assert (dock[2], dock[6], dock[7]) == ("5", "Dock", "")

    page.select_option("#compare", "year")
    wait_loaded(page, WEEK.start, WEEK.end)
    assert parse_qs(urlsplit(page.url).query)["compare"] == ["year"]
