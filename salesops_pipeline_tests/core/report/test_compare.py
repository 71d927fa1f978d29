"""Which period a period is compared with, and the change of a figure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from salesops_pipeline.core.report.compare import change_pct, compared_period


@pytest.mark.parametrize(("start", "end", "compare", "want"), [
    (date(2026, 3, 2), date(2026, 3, 8), "previous", (date(2026, 2, 23), date(2026, 3, 1))),
    (date(2026, 1, 1), date(2026, 1, 31), "previous", (date(2025, 12, 1), date(2025, 12, 31))),
    # 2026-W10 Monday ↔ 2025-W10 Monday; a Wednesday stays a Wednesday
    (date(2026, 3, 2), date(2026, 3, 15), "year", (date(2025, 3, 3), date(2025, 3, 16))),
    (date(2026, 3, 4), date(2026, 3, 4), "year", (date(2025, 3, 5), date(2025, 3, 5))),
    # 2027-W01 starts 2027-01-04; 2026-W01 started 2025-12-29
    (date(2027, 1, 4), date(2027, 1, 10), "year", (date(2025, 12, 29), date(2026, 1, 4))),
    # 2026-W53 (2026 has 53 ISO weeks) ↔ 2025-W52, the last week 2025 has
    (date(2026, 12, 28), date(2027, 1, 3), "year", (date(2025, 12, 22), date(2025, 12, 28))),
])
def test_compared_period(start: date, end: date, compare: str,
                         want: tuple[date, date]) -> None:
    shifted = compared_period(start, end, compare)  # type: ignore[arg-type]
    assert (shifted.start, shifted.end) == want
    assert shifted.end - shifted.start == end - start
    if compare == "year":
        assert shifted.start.weekday() == start.weekday() and shifted.whole_weeks


@pytest.mark.parametrize(("now", "then", "want"), [
    ("110", "100", "10.00"), ("0", "99.99", "-100.00"), ("1", "3", "-66.67"),
    ("2", "3", "-33.33"), ("1.005", "1", "0.50"), ("5", "0", None), ("0", "0", None),
])
def test_change_pct(now: str, then: str, want: str | None) -> None:
    got = change_pct(Decimal(now), Decimal(then))
    assert got == (None if want is None else Decimal(want))
