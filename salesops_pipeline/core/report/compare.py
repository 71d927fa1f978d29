"""Period comparisons (``compare=previous|year``): which period a period is compared with, and
the change of each figure, defined once for the API and the dashboard.

- ``previous``: the period of the same length that ends the day before it starts.
- ``year``: the same ISO weeks and weekdays a year earlier: the period moved back by whole weeks
  (52, or 53 when the earlier ISO year has a week 53 and the period starts in it), so a Monday
  is compared with a Monday and week 10 with week 10.

A change is exact (``current - compared``); its percentage is ``change / compared × 100``
rounded half away from zero to two decimals, and None when the compared figure is 0 (no
percentage of nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from salesops_pipeline.errors import ComparisonOutOfRange

__all__ = ["COMPARISONS", "Compare", "Shifted", "change_pct", "compared_period", "merge_rows",
           "totals", "week_pairs", "weekly_rows"]

Compare = Literal["previous", "year"]
COMPARISONS: tuple[Compare, ...] = ("previous", "year")
_PCT = Decimal("0.01")
Row = dict[str, Any]


@dataclass(frozen=True)
class Shifted:
    """The compared period and how far back it lies (``shift``: days)."""

    start: date
    end: date
    shift: timedelta

    @property
    def whole_weeks(self) -> bool:
        """Whether every ISO week of the period has one compared ISO week."""
        return self.shift.days % 7 == 0


def _weeks_in(iso_year: int) -> int:
    return date(iso_year, 12, 28).isocalendar()[1]


def compared_period(start: date, end: date, compare: Compare) -> Shifted:
    """The period ``start..end`` (inclusive) is compared with.

    >>> compared_period(date(2026, 3, 2), date(2026, 3, 8), "previous").start
    datetime.date(2026, 2, 23)
    >>> compared_period(date(2026, 3, 2), date(2026, 3, 8), "year").start  # 2025-W10 Monday
    datetime.date(2025, 3, 3)
    """
    try:
        if compare == "previous":
            shift = end - start + timedelta(days=1)
        else:
            year, week, weekday = start.isocalendar()
            earlier = date.fromisocalendar(year - 1, min(week, _weeks_in(year - 1)), weekday)
            shift = start - earlier
        return Shifted(start - shift, end - shift, shift)
    except (OverflowError, ValueError) as exc:
        raise ComparisonOutOfRange(f"the period {start}..{end} has no {compare} period to "
                                   "compare with: it would begin before 0001-01-01") from exc


def change_pct(current: Decimal, compared: Decimal) -> Decimal | None:
    """``(current - compared) / compared × 100``, two decimals; None when compared is 0."""
    if compared == 0:
        return None
    return ((current - compared) * 100 / compared).quantize(_PCT, rounding=ROUND_HALF_UP)


def _with_change(row: Row, before: Row | None, figures: Sequence[str]) -> Row:
    out = dict(row)
    for name in figures:
        old = before[name] if before is not None else 0
        out[f"compared_{name}"] = old
    revenue, old_revenue = Decimal(row["revenue"]), Decimal(out["compared_revenue"])
    out["revenue_change"] = revenue - old_revenue
    out["revenue_change_pct"] = change_pct(revenue, old_revenue)
    return out


def merge_rows(current: Iterable[Row], compared: Iterable[Row], *, key: str,
               figures: Sequence[str], keep_absent: bool) -> list[Row]:
    """Each current row with ``compared_<figure>`` (0 when the name is absent then),
    ``revenue_change`` and ``revenue_change_pct``. With ``keep_absent``, names only in the
    compared rows follow with zero figures and ``rank`` None (a seller who stopped selling)."""
    before = {r[key]: r for r in compared}
    rows = [_with_change(r, before.get(r[key]), figures) for r in current]
    if keep_absent:
        seen = {r[key] for r in rows}
        for name in sorted((n for n in before if n not in seen), key=lambda n: (
                -Decimal(before[n]["revenue"]), n.encode("utf-8"))):
            empty = {"rank": None, key: name, **{f: _zero(before[name][f]) for f in figures}}
            rows.append(_with_change(empty, before[name], figures))
    return rows


def _zero(value: object) -> object:
    return 0 if isinstance(value, int) else Decimal(0)


def week_pairs(current: Iterable[date], compared: Iterable[date], shifted: Shifted
               ) -> list[tuple[date, date | None]]:
    """The ISO weeks (Mondays) with sales in the period or in their compared week, each with
    the Monday of its compared week (None when the shift is not whole weeks: then only the
    period totals compare, and only the period's own weeks are listed)."""
    if not shifted.whole_weeks:
        return [(m, None) for m in sorted(set(current))]
    mondays = set(current) | {m + shifted.shift for m in compared}
    return [(m, m - shifted.shift) for m in sorted(mondays)]


def weekly_rows(current: Sequence[Row], compared: Sequence[Row], shifted: Shifted) -> list[Row]:
    """The period's weekly rows with sales then or in the compared week (a week without sales
    reads 0), each with its compared week's figures and the change (compared fields None when
    the shift is not whole weeks)."""
    now = {r["week_start"]: r for r in current}
    then = {r["week_start"]: r for r in compared}
    figures = ("revenue", "units", "line_count")
    rows = []
    for monday, earlier in week_pairs(now, then, shifted):
        row = now.get(monday) or {"week_start": monday, "week_end": monday + timedelta(days=6),
                                  "revenue": Decimal(0), "units": Decimal(0), "line_count": 0}
        if earlier is None:
            rows.append({**row, "compared_week_start": None, "revenue_change": None,
                         "revenue_change_pct": None,
                         **{f"compared_{f}": None for f in figures}})
            continue
        merged = _with_change(row, then.get(earlier), figures)
        merged["compared_week_start"] = earlier
        rows.append(merged)
    return rows


def totals(rows: Iterable[Row], figures: Sequence[str]) -> Row:
    """The sum of each figure over ``rows``."""
    out: Row = {f: Decimal(0) for f in figures}
    for r in rows:
        for f in figures:
            out[f] += r[f]
    return out
