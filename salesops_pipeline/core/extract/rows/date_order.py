"""Day-first or month-first: the order of a table's numeric text dates, decided once per table.

``11/01/2026`` (also ``11.01.2026``, ``11-01-2026``) is 11 January day-first (European) and
1 November month-first (US Excel, most US CRMs). Reading it value by value would load some rows
of one file in the wrong month, silently, so the order is decided for the whole table:

1. **The file decides.** A value that reads one way only (``13/11/2026``: no month 13) is
   evidence. When there is any, the order most of it needs holds for the whole table; a value
   that reads only the other way contradicts the table and is quarantined saying so.
2. **Else the configured order** (``SALESOPS_DATE_ORDER=dmy|mdy``, or the file's entry in the
   column map's ``[date_order]`` table), also when the evidence is split evenly.
3. **Else (``auto``) nobody guesses:** the values that read two ways are quarantined with a
   reason naming the setting.

Values whose day equals their month (``05/05/2026``), ISO and year-first text, month names,
Excel date cells and serial day numbers need no decision; a table holding only those is read
as before and records "none needed". The decision is taken the first time a value needs it,
from one streaming pass over the table's sold_at column (``scan``): counts and one example per
kind, so memory stays bounded whatever the table's size. Pure: no database, no Dagster.

Why a second pass rather than holding rows back: the rows already stream as COPY text out of a
memory-capped child, and the rule needs the whole table's evidence before the first value that
reads two ways, and even before a one-way value (it may be the minority). Holding those rows
back would keep, for a 1M-row month-first file, ~60 % of its rows in memory (or spilled) and
reorder what the row sorter and control totals see. The pass costs one more read of the sold_at
column, only for tables that hold a value needing the order: ~3 µs a row for a CSV (read again
through the csv module with the same bounds), ~0.4 µs for a workbook (its grid is in memory);
every other file is read exactly as before. Rows written before the decision needed none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Protocol

__all__ = [
    "ANY_ORDER",
    "DATE_ORDER_TABLE",
    "DAY_MONTH_YEAR",
    "NONE_NEEDED",
    "SETTING",
    "ConfiguredOrder",
    "DateOrder",
    "DayMonth",
    "Decision",
    "Evidence",
    "TableDates",
    "classify",
    "configured_for",
    "decide",
]

SETTING = "SALESOPS_DATE_ORDER"
NONE_NEEDED = "none needed"  # the summary of a table whose dates needed no order
DATE_ORDER_TABLE = "date_order"  # the column map file's table of file pattern → order
# Two numbers then a four-digit year, one separator (rows/cells.py builds its text pattern on this).
DAY_MONTH_YEAR = r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
_PREFIX = re.compile(DAY_MONTH_YEAR + r"(?:[ T,]|$)")


class DayMonth(Protocol):
    """What cells.to_datetime asks about a numeric text date: its (day, month) or why not."""

    def day_month(self, first: int, second: int, year: int, text: str) -> tuple[int, int] | str:
        ...


class DateOrder(StrEnum):
    """How numeric dates read: day first, month first, or decided by the file alone."""

    DMY = "dmy"
    MDY = "mdy"
    AUTO = "auto"

    @property
    def words(self) -> str:
        return {"dmy": "day-first", "mdy": "month-first", "auto": "undecided"}[self.value]

    @property
    def other(self) -> DateOrder:
        """The opposite order (AUTO stays AUTO)."""
        return {"dmy": DateOrder.MDY, "mdy": DateOrder.DMY}.get(self.value, DateOrder.AUTO)


@dataclass(frozen=True)
class ConfiguredOrder:
    """The order to use when nothing in a file decides, and where it was configured."""

    order: DateOrder = DateOrder.AUTO
    source: str = SETTING  # "SALESOPS_DATE_ORDER" or "column map date_order 'us/*'"

    @property
    def label(self) -> str:
        """``SALESOPS_DATE_ORDER=dmy`` or ``column map date_order 'us/*' = "mdy"``: the setting
        as a user writes it."""
        if self.source == SETTING:
            return f"{SETTING}={self.order.value}"
        return f'{self.source} = "{self.order.value}"'


def configured_for(key: str, patterns: Iterable[tuple[str, str]], setting: str = "auto"
                   ) -> ConfiguredOrder:
    """The configured order for the file ``key`` (its path in the drop folder): the first
    column-map pattern that matches it (``*`` also crosses folders, case is ignored), else the
    SALESOPS_DATE_ORDER ``setting``."""
    for pattern, order in patterns:
        if fnmatchcase(key.casefold(), pattern.casefold()):
            return ConfiguredOrder(DateOrder(order),
                                   f"column map {DATE_ORDER_TABLE} {pattern!r}")
    return ConfiguredOrder(DateOrder(setting))


@dataclass
class Evidence:
    """What a table's sold_at values say: how many read only day-first, only month-first, or
    either way, with the first example of each."""

    day_first: int = 0
    month_first: int = 0
    ambiguous: int = 0
    day_first_example: str = ""
    month_first_example: str = ""
    ambiguous_example: str = ""

    def add(self, value: object) -> None:
        """Count one raw sold_at cell (anything but numeric day/month text is ignored)."""
        if type(value) is not str:
            return
        match = _PREFIX.match(value.strip())
        if match is None:
            return
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        text = match[0].rstrip(" T,")
        kind = classify(first, second, year)
        if kind is DateOrder.DMY:
            self.day_first += 1
            self.day_first_example = self.day_first_example or text
        elif kind is DateOrder.MDY:
            self.month_first += 1
            self.month_first_example = self.month_first_example or text
        elif kind is DateOrder.AUTO:
            self.ambiguous += 1
            self.ambiguous_example = self.ambiguous_example or text


def classify(first: int, second: int, year: int) -> DateOrder | None:
    """The order ``first/second/year`` can only be read in (DMY or MDY), AUTO when it reads two
    different ways, None when it needs no decision (equal numbers) or reads no way at all."""
    if first == second:
        return None
    day_first, month_first = _valid(year, second, first), _valid(year, first, second)
    if day_first and month_first:
        return DateOrder.AUTO
    if day_first:
        return DateOrder.DMY
    return DateOrder.MDY if month_first else None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Decision:
    """One table's order (None: undecided), what it rests on, and the summary the import log
    shows (``month-first: 55 values like '11/13/2026'``)."""

    order: DateOrder | None
    basis: str  # "55 values like '11/13/2026'", "SALESOPS_DATE_ORDER=dmy"
    summary: str
    evidence: Evidence

    def day_month(self, kind: DateOrder, first: int, second: int, year: int,
                  text: str) -> tuple[int, int] | str:
        """(day, month) of ``first/second/year``, whose ``kind`` is classify()'s, in this table;
        or the reason it is refused."""
        if self.order is DateOrder.DMY and kind is not DateOrder.MDY:
            return first, second
        if self.order is DateOrder.MDY and kind is not DateOrder.DMY:
            return second, first
        if self.order is not None:  # reads only the other way
            return (f"date {text!r} can only be read {kind.words}, but this table's dates are "
                    f"{self.order.words} ({self.basis}): quarantined rather than read in "
                    "another order than the rest of the table")
        if self.evidence.day_first or self.evidence.month_first:
            return (f"date {text!r} cannot be placed: this table's dates contradict each other "
                    f"({self.basis}); fix the file, or set {SETTING}=dmy or mdy")
        if kind is DateOrder.DMY:  # a table of this one value (parse_row on its own)
            return first, second
        if kind is DateOrder.MDY:
            return second, first
        return (f"ambiguous date {text!r}: {_spelled(year, second, first)} day-first, "
                f"{_spelled(year, first, second)} month-first, and no value in this table "
                f"decides (none has a day above 12); set {SETTING}=dmy or mdy, or the file's "
                "order in the column map's [date_order] table")


def decide(evidence: Evidence, configured: ConfiguredOrder) -> Decision:
    """The table's order from its evidence, else the configured order (module docstring)."""
    ev = evidence
    if ev.day_first != ev.month_first:
        order = DateOrder.DMY if ev.day_first > ev.month_first else DateOrder.MDY
        count, example, minority, other = (
            (ev.day_first, ev.day_first_example, ev.month_first, ev.month_first_example)
            if order is DateOrder.DMY else
            (ev.month_first, ev.month_first_example, ev.day_first, ev.day_first_example))
        basis = f"{_values(count)} like {example!r}"
        summary = f"{order.words}: {basis}"
        if minority:
            summary += (f"; {_values(minority)} readable only {order.other.words} (like "
                        f"{other!r}) quarantined")
        if configured.order not in (DateOrder.AUTO, order):
            summary += f"; the file overrules {configured.label}"
        return Decision(order, basis, summary, ev)
    split = _split(ev) if ev.day_first else ""
    if configured.order is not DateOrder.AUTO:
        basis = configured.label + (f"; the file's own dates are split: {split}" if split else "")
        return Decision(configured.order, basis, f"{configured.order.words}: {basis}", ev)
    if split:
        summary = (f"undecided: the file's dates contradict each other ({split}); those values "
                   f"quarantined; set {SETTING}=dmy or mdy")
    elif ev.ambiguous:
        summary = (f"undecided: {_values(ev.ambiguous)} like {ev.ambiguous_example!r} read two "
                   f"ways and nothing in the file decides; quarantined; set {SETTING}=dmy or "
                   "mdy")
    else:
        summary = NONE_NEEDED
    return Decision(None, split, summary, ev)


def _values(count: int) -> str:
    return f"{count:,} value{'s' if count != 1 else ''}"


def _split(ev: Evidence) -> str:
    return (f"{_values(ev.day_first)} only day-first like {ev.day_first_example!r}, "
            f"{_values(ev.month_first)} only month-first like {ev.month_first_example!r}")


def _spelled(year: int, month: int, day: int) -> str:
    return f"{day} {date(year, month, day):%B} {year}"


class TableDates:
    """The date order of one table, decided the first time a value needs it.

    ``scan`` yields the table's raw sold_at cells (a second, independent pass); it runs at most
    once, and never for a table whose dates need no decision. When it fails (a record past the
    CSV bounds), ``error`` keeps the exception and the table's dates stay undecided; the caller
    raises it once the table is done, so the file is refused as the main pass would refuse it.
    """

    def __init__(self, configured: ConfiguredOrder | None = None,
                 scan: Callable[[], Iterable[object]] | None = None) -> None:
        self.configured = configured or ConfiguredOrder()
        self._scan = scan
        self.decision: Decision | None = None
        self.error: Exception | None = None  # what stopped the scan (the caller raises it)

    def day_month(self, first: int, second: int, year: int, text: str) -> tuple[int, int] | str:
        """(day, month) of a numeric text date of this table, or why it is refused."""
        kind = classify(first, second, year)
        if kind is None:  # equal numbers, or no date either way (the caller says unreadable)
            return first, second
        decision = self.decision or self._decide()
        return decision.day_month(kind, first, second, year, text)

    def _decide(self) -> Decision:
        evidence = Evidence()
        try:
            for value in self._scan() if self._scan is not None else ():
                evidence.add(value)
        except Exception as exc:  # noqa: BLE001 - kept for the caller, which raises it
            # The scan runs inside a row's parsing, which turns exceptions into quarantined
            # rows; a file that cannot be read to its end must be refused instead.
            self.error = exc
            evidence = Evidence()  # undecided until the file is refused: nothing is guessed
        self.decision = decide(evidence, self.configured)
        return self.decision

    @property
    def order(self) -> DateOrder | None:
        """DMY or MDY as decided; None when undecided or when no value needed a decision."""
        return self.decision.order if self.decision else None

    @property
    def summary(self) -> str:
        """What the import log says: the order and why, or "none needed"."""
        return self.decision.summary if self.decision else NONE_NEEDED


class _AnyOrder:
    """Reads a numeric date in whichever order gives a date: only to ask "is this a time?"."""

    def day_month(self, first: int, second: int, year: int, text: str) -> tuple[int, int] | str:
        return (first, second) if _valid(year, second, first) else (second, first)


ANY_ORDER = _AnyOrder()
