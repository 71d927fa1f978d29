"""core/notify/check_cursor.py: the check sensor's cursor, old and new, and findings compared."""

from __future__ import annotations

import pytest

from salesops_pipeline.core.notify.check_cursor import BadCursor, CheckCursor, finding

KEY = "fact_sales_line:mismatched_total"


def test_a_plain_storage_id_from_before_reads_with_nothing_alerted() -> None:
    assert CheckCursor.parse("1234") == CheckCursor(1234, {})


def test_the_cursor_round_trips() -> None:
    cursor = CheckCursor(99, {KEY: "WARN count=3"})
    assert cursor.dump() == '{"after": 99, "alerted": {"' + KEY + '": "WARN count=3"}}'
    assert CheckCursor.parse(cursor.dump()) == cursor


@pytest.mark.parametrize("text", ["", "abc", "{}", '{"after": "x", "alerted": {}}', "[1]",
                                  '{"after": 1, "alerted": []}'])
def test_an_unreadable_cursor_is_named(text: str) -> None:
    with pytest.raises(BadCursor):
        CheckCursor.parse(text)


def test_a_finding_is_its_severity_and_count_not_what_moves_with_each_import() -> None:
    one = finding("WARN", {"count": "3", "lines_checked": "100", "share": "3 %"})
    assert one == finding("WARN", {"count": "3", "lines_checked": "250", "share": "1.2 %"})
    assert one != finding("WARN", {"count": "4", "lines_checked": "250"})
    assert one != finding("ERROR", {"count": "3"})
    assert finding("ERROR", {"mismatched_weeks": "2", "weeks_checked": "all"}) == (
        "ERROR mismatched_weeks=2")
    assert finding("WARN", {"a": "1"}) != finding("WARN", {"a": "2"})  # no named figure: all


def test_unchanged_alerts_once_changed_again_and_again_after_a_pass() -> None:
    cursor = CheckCursor(1)
    assert cursor.is_new(KEY, "WARN count=3")
    assert not cursor.is_new(KEY, "WARN count=3")
    assert cursor.is_new(KEY, "WARN count=4")
    cursor.passed(KEY)
    assert cursor.is_new(KEY, "WARN count=4")
    cursor.passed("never:alerted")  # nothing to forget
    assert cursor.alerted == {KEY: "WARN count=4"}
