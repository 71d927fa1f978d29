"""The date-order rule alone (extract/rows/date_order.py): evidence, decision, reasons, cost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesops_pipeline.core.extract.rows.date_order import (
    NONE_NEEDED,
    ConfiguredOrder,
    DateOrder,
    Evidence,
    TableDates,
    classify,
    configured_for,
    decide,
)

DMY, MDY, AUTO = DateOrder.DMY, DateOrder.MDY, DateOrder.AUTO


@pytest.mark.parametrize(("first", "second", "kind"), [
    (13, 11, DMY),  # no month 13: day first
    (11, 13, MDY),
    (11, 1, AUTO),  # 11 January or 1 November
    (5, 5, None),  # the same either way
    (31, 4, None),  # 31 April does not exist, nor month 31
    (29, 2, None),  # 2026 is no leap year (and there is no month 29)
    (2, 29, None),
    (30, 2, None),
    (4, 31, None),
    (13, 13, None),
])
def test_classify(first: int, second: int, kind: DateOrder | None) -> None:
    assert classify(first, second, 2026) is kind


def test_classify_knows_leap_years() -> None:
    assert classify(29, 2, 2028) is DMY and classify(2, 29, 2028) is MDY


def evidence(*values: object) -> Evidence:
    found = Evidence()
    for value in values:
        found.add(value)
    return found


def test_evidence_counts_numeric_dates_only() -> None:
    found = evidence("11/13/2026 2:05 PM", " 12/25/2026", "11/01/2026", "13.11.2026",
                     "05-05-2026", "2026-11-13", "13 Nov 2026", 46000.5, None, "",
                     "11/13/26", "Total", "11/13/2026T14:05", "11/13/2026,14:05")
    assert (found.day_first, found.month_first, found.ambiguous) == (1, 4, 1)
    assert (found.day_first_example, found.month_first_example, found.ambiguous_example) == (
        "13.11.2026", "11/13/2026", "11/01/2026")


def test_the_file_decides_by_its_one_way_values() -> None:
    decision = decide(evidence("11/13/2026", "11/14/2026", "11/01/2026"), ConfiguredOrder())
    assert decision.order is MDY
    assert decision.summary == "month-first: 2 values like '11/13/2026'"
    assert decision.day_month(AUTO, 11, 1, 2026, "11/01/2026") == (1, 11)
    assert decision.day_month(MDY, 11, 13, 2026, "11/13/2026") == (13, 11)


def test_the_minority_order_is_quarantined_with_the_reason() -> None:
    found = evidence(*["11/13/2026"] * 3, "13/11/2026")
    decision = decide(found, ConfiguredOrder())
    assert decision.order is MDY
    assert decision.summary == ("month-first: 3 values like '11/13/2026'; 1 value readable only "
                                "day-first (like '13/11/2026') quarantined")
    assert decision.day_month(DMY, 13, 11, 2026, "13/11/2026") == (
        "date '13/11/2026' can only be read day-first, but this table's dates are month-first "
        "(3 values like '11/13/2026'): quarantined rather than read in another order than the "
        "rest of the table")


def test_the_file_overrules_the_setting_and_says_so() -> None:
    decision = decide(evidence("25/12/2026"), ConfiguredOrder(MDY))
    assert decision.order is DMY
    assert decision.summary == ("day-first: 1 value like '25/12/2026'; the file overrules "
                                "SALESOPS_DATE_ORDER=mdy")


@pytest.mark.parametrize("order", [DMY, MDY])
def test_the_setting_orders_a_file_that_does_not_decide(order: DateOrder) -> None:
    decision = decide(evidence("11/01/2026", "10/02/2026"), ConfiguredOrder(order))
    assert decision.order is order
    assert decision.summary == f"{order.words}: SALESOPS_DATE_ORDER={order.value}"
    assert decision.day_month(AUTO, 11, 1, 2026, "11/01/2026") == (
        (11, 1) if order is DMY else (1, 11))


def test_auto_quarantines_what_reads_two_ways_naming_the_setting() -> None:
    decision = decide(evidence("11/01/2026", "10/02/2026", "05/05/2026"), ConfiguredOrder())
    assert decision.order is None
    assert decision.summary == (
        "undecided: 2 values like '11/01/2026' read two ways and nothing in the file decides; "
        "quarantined; set SALESOPS_DATE_ORDER=dmy or mdy")
    reason = decision.day_month(AUTO, 11, 1, 2026, "11/01/2026 2:05 PM")
    assert reason == (
        "ambiguous date '11/01/2026 2:05 PM': 11 January 2026 day-first, 1 November 2026 "
        "month-first, and no value in this table decides (none has a day above 12); set "
        "SALESOPS_DATE_ORDER=dmy or mdy, or the file's order in the column map's [date_order] "
        "table")


def test_an_even_split_takes_the_setting_or_quarantines_both_sides() -> None:
    split = evidence("13/11/2026", "11/13/2026", "11/01/2026")
    auto = decide(split, ConfiguredOrder())
    assert auto.order is None and auto.summary.startswith(
        "undecided: the file's dates contradict each other (1 value only day-first like "
        "'13/11/2026', 1 value only month-first like '11/13/2026')")
    for kind, first, second in ((DMY, 13, 11), (MDY, 11, 13), (AUTO, 11, 1)):
        reason = auto.day_month(kind, first, second, 2026, "x")
        assert isinstance(reason, str) and "contradict each other" in reason
    configured = decide(split, ConfiguredOrder(DMY))
    assert configured.order is DMY
    assert configured.day_month(DMY, 13, 11, 2026, "13/11/2026") == (13, 11)
    assert "can only be read month-first" in str(
        configured.day_month(MDY, 11, 13, 2026, "11/13/2026"))


def test_nothing_to_decide() -> None:
    assert decide(Evidence(), ConfiguredOrder()).summary == NONE_NEEDED


class Scan:
    """A sold_at column that counts how often it is read."""

    def __init__(self, *values: object) -> None:
        self.values, self.passes = values, 0

    def __call__(self) -> Iterator[object]:
        self.passes += 1
        yield from self.values


def test_the_table_is_scanned_once_and_only_when_a_value_needs_an_order() -> None:
    scan = Scan("05/05/2026", "11/01/2026", "11/13/2026")
    dates = TableDates(ConfiguredOrder(), scan)
    assert dates.day_month(5, 5, 2026, "05/05/2026") == (5, 5)
    assert dates.day_month(31, 4, 2026, "31/04/2026") == (31, 4)  # unreadable either way
    assert (scan.passes, dates.order, dates.summary) == (0, None, NONE_NEEDED)
    assert dates.day_month(11, 1, 2026, "11/01/2026") == (1, 11)
    assert dates.day_month(11, 13, 2026, "11/13/2026") == (13, 11)
    assert (scan.passes, dates.order) == (1, MDY)
    assert dates.summary == "month-first: 1 value like '11/13/2026'"


@pytest.mark.parametrize(("key", "order", "source"), [
    ("us/nov.csv", MDY, "column map date_order 'us/*'"),
    ("US/deep/nov.CSV", MDY, "column map date_order 'us/*'"),  # case and folders
    ("eu_nov.csv", DMY, "column map date_order '*eu_*.csv'"),
    ("nov.csv", AUTO, "SALESOPS_DATE_ORDER"),
])
def test_configured_for_takes_the_first_matching_pattern(key: str, order: DateOrder,
                                                         source: str) -> None:
    patterns = [("us/*", "mdy"), ("*eu_*.csv", "dmy"), ("*", "auto")]
    got = configured_for(key, patterns[:2] if order is AUTO else patterns)
    assert (got.order, got.source) == (order, source)


def test_labels_say_where_the_order_was_configured() -> None:
    assert ConfiguredOrder(DMY).label == "SALESOPS_DATE_ORDER=dmy"
    assert configured_for("us/a.csv", [("us/*", "mdy")]).label == (
        "column map date_order 'us/*' = \"mdy\"")
    assert configured_for("a.csv", [], "dmy") == ConfiguredOrder(DMY)


def test_a_failed_scan_is_kept_once_and_nothing_is_guessed() -> None:
    passes = []

    def broken() -> Iterator[object]:
        passes.append(1)
        yield "11/13/2026"
        raise ValueError("row 9 has 1200 fields")

    dates = TableDates(ConfiguredOrder(), broken)
    for _ in range(3):
        reason = dates.day_month(11, 1, 2026, "11/01/2026")
        assert isinstance(reason, str) and reason.startswith("ambiguous date '11/01/2026'")
    assert len(passes) == 1 and str(dates.error) == "row 9 has 1200 fields"
