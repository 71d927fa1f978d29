"""Read one cell as an exact Decimal or a naive datetime, or say precisely why it cannot be.

The converters behind rows.parse_row; each raises InvalidCell with a reason a user can act on.

Conventions users are told about:

* **Dates as text.** ISO 8601 first (``2026-03-02``, ``2026-03-02 14:05``,
  ``2026-03-02T14:05:09.5``). Numeric dates with the day and month in front (``02/03/2026``,
  ``02.03.2026``, ``02-03-2026``) are day-first or month-first as decided **once per table**
  (core/extract/rows/date_order.py: the file's own values, else SALESOPS_DATE_ORDER, else the values
  that read two ways are quarantined); ``05/05/2026`` needs no decision. Year-first
  ``2026/03/02`` and ``2026.3.2`` are accepted; two-digit years are not. English month names:
  ``Mar 2, 2026``, ``2 March 2026``, ``02-Mar-2026``. An optional time follows: ``14:05``,
  ``14:05:09``, ``14:05:09.250``, 12-hour ``2:05 PM``, ``2:05PM``, ``2:05 p.m.``, ``12:30 am``
  (12 AM is midnight).
* **Date and time in two columns** (columns.split_sold_at: Date/Time, Datum/Uhrzeit, …):
  ``combine`` reads the date cell as above (the table's date order applies; a time of day in it
  other than midnight is refused) and the time cell as an Excel time (a day fraction
  0 ≤ x < 1, a time cell, a datetime dated 1899-12-30 or 1899-12-31 as openpyxl and calamine
  give time-only cells) or text ``14:05``, ``14:05:09``, ``2:05 PM``. Either part missing or
  unreadable quarantines the row naming its column; a missing time is never read as midnight.
* **Time zones.** Times carrying a zone (``…Z``, ``…+01:00``) are rejected: the warehouse keeps
  naive business-local times, and guessing a conversion could move a sale to another day.
* **Day numbers.** A plain number in sold_at is an Excel serial day (1899-12-30 epoch), accepted
  from 61 (1900-03-01) to 2958465 (9999-12-31), rounded to the millisecond. Years < 1900 are
  refused.
* **Numbers.** Excel stores doubles, so a cached ``=0.1+0.2`` reads 0.30000000000000004; floats
  are taken at Excel's own precision, 15 significant digits (12.3 → Decimal("12.3")). Text numbers
  may carry $ € £ ¥ or a currency code, thousands separators in groups of three ("1,234.50",
  "1 234.50"), and a sign as "-12", "12-" or "(12)". A decimal comma ("12,50") is refused, not
  guessed. More than 6 decimal places is refused rather than rounded: silently rounding money is
  worse than asking. True/False is never a number.
* **Decimal commas** (``to_decimal_comma``: text cells of a semicolon-separated CSV file, the
  form European Excel writes). The comma is the decimal separator and ``.`` or a space groups
  thousands: "12,5" → 12.5, "1.234,50" → 1234.50, "1.234.567,89", "1 234,50", "-1.234,50",
  "(12,50)", "€ 1.234,50", "1.234,50 €"; "1.234.567" (dots in several groups of three) is
  1234567. A value with both separators takes the *last* as the decimal separator and the other
  must group by three, so "1,234.50" is 1234.50 too and "1.23,4" is refused. A lone dot that
  could group thousands ("1.234", "-12.500 €") is ambiguous (1234 or 1.234?) and refused with a
  reason; a lone dot that cannot ("12.5", "0.250", "1234.5") is a decimal point. A comma appears
  at most once ("1,234,567" is refused). Signs, currencies and limits as above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from salesops_pipeline.core.extract.rows.date_order import DAY_MONTH_YEAR, DayMonth, TableDates

MAX_DECIMAL_PLACES = 6
MONEY_LIMIT = 1e13  # |unit_price|, |total_price| below this: numeric(19, 6) holds it
UNITS_LIMIT = 1e15  # |units| below this: numeric(21, 6) holds it
MIN_YEAR = 1900
_EXCEL_EPOCH = datetime(1899, 12, 30)
_FIRST_SERIAL = 61  # 1900-03-01, the first day after Excel's fictitious 1900-02-29
_LAST_SERIAL = 2958466  # 10000-01-01, excluded
_ZERO = Decimal(0)
INF = float("inf")
_QUANTUM = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)


class InvalidCell(Exception):
    """One cell's problem; parse_row collects them, so they never escape a row."""


# ---- numbers ----------------------------------------------------------------------------------

_CURRENCY = r"(?:US\$|[$€£¥]|USD|EUR|GBP|JPY|CHF|CAD|AUD)"
_NUMBER_TEXT = re.compile(
    rf"""(?P<open>\()?\s*(?P<sign>[-+])?\s*(?:{_CURRENCY}\s*)?(?P<sign2>[-+])?\s*
    (?P<int>\d{{1,3}}(?P<sep>[, ])\d{{3}}(?:(?P=sep)\d{{3}})*|\d+)?(?:\.(?P<frac>\d*))?
    \s*(?:{_CURRENCY}\s*)?(?P<trail>-)?\s*(?P<close>\))?""",
    re.VERBOSE | re.IGNORECASE,
)


def to_decimal(value: object, limit: float) -> Decimal:
    """Read a money or units cell exactly; see the module docstring for the accepted forms."""
    if type(value) is float:
        if -limit < value < limit:
            text = repr(value)
            if len(text) > 16 or "e" in text:  # 16-17 digits carry binary noise: keep Excel's 15
                text = format(value, ".15g")
            dot = text.find(".")
            if "e" in text or (dot >= 0 and len(text) - dot - 1 > MAX_DECIMAL_PLACES):
                return _checked(Decimal(text), limit, value)
            if text.endswith(".0"):
                text = text[:-2]
            return Decimal(text) if value else _ZERO
        if value != value or value in (INF, -INF):
            raise InvalidCell(f"not a finite number {show(value)}")
        raise InvalidCell(_out_of_range(value, limit))
    if type(value) is int:
        return _checked(Decimal(value), limit, value)
    if type(value) is str:
        text = value.strip()
        digits = text[1:] if text[:1] == "-" else text
        dot = digits.find(".")
        if (  # plain "12.50": skip the regex; 13 characters are always within the limits
            len(digits) <= 13
            and digits.isascii()
            and digits.replace(".", "", 1).isdigit()
            and (dot < 0 or len(digits) - dot - 1 <= MAX_DECIMAL_PLACES)
        ):
            number = Decimal(text)
            return number if number else _ZERO
        return _checked(_decimal_from_text(value), limit, value)
    if value is None:
        raise InvalidCell("missing")
    if type(value) is Decimal:
        if not value.is_finite():
            raise InvalidCell(f"not a finite number {show(value)}")
        return _checked(value, limit, value)
    raise InvalidCell(f"{kind(value)} is not a number {show(value)}")


def _decimal_from_text(value: str) -> Decimal:
    """Parse "$1,234.50", "(12.50)", "1 234,00"-style text; refuse anything ambiguous."""
    text = " ".join(value.replace("\u2212", "-").split())
    if not text:
        raise InvalidCell("missing")
    return _decimal_from_match(_NUMBER_TEXT.fullmatch(text), value)


def _decimal_from_match(match: re.Match[str] | None, value: str) -> Decimal:
    """The Decimal of a _NUMBER_TEXT or _COMMA_NUMBER_TEXT match: one sign at most, parentheses
    paired, some digits."""
    if match is None or (not match["int"] and not match["frac"]):
        raise InvalidCell(f"unreadable number {show(value)}")
    signs = [s for s in (match["sign"], match["sign2"], match["trail"]) if s]
    if bool(match["open"]) != bool(match["close"]) or len(signs) + bool(match["open"]) > 1:
        raise InvalidCell(f"unreadable number {show(value)}")
    digits = (match["int"] or "0").replace(",", "").replace(".", "").replace(" ", "")
    negative = bool(match["open"]) or signs == ["-"]
    fraction = f".{match['frac']}" if match["frac"] else ""
    return Decimal(f"{'-' if negative else ''}{digits}{fraction}")


# The decimal-comma form: "." or " " groups thousands (the first group never starts with 0), ","
# is the decimal separator.
_COMMA_NUMBER_TEXT = re.compile(
    rf"""(?P<open>\()?\s*(?P<sign>[-+])?\s*(?:{_CURRENCY}\s*)?(?P<sign2>[-+])?\s*
    (?P<int>[1-9]\d{{0,2}}(?P<sep>[. ])\d{{3}}(?P<more>(?:(?P=sep)\d{{3}})*)|\d+)?
    (?:,(?P<frac>\d*))?\s*(?:{_CURRENCY}\s*)?(?P<trail>-)?\s*(?P<close>\))?""",
    re.VERBOSE | re.IGNORECASE,
)


def to_decimal_comma(value: object, limit: float) -> Decimal:
    """to_decimal for a file whose numbers as text use a decimal comma (module docstring)."""
    if type(value) is not str:
        return to_decimal(value, limit)
    text = value.strip()
    digits = text[1:] if text[:1] == "-" else text
    comma = digits.find(",")
    if (  # plain "12,50": skip the regex; 13 characters are always within the limits
        len(digits) <= 13
        and digits.isascii()
        and digits.replace(",", "", 1).isdigit()
        and (comma < 0 or len(digits) - comma - 1 <= MAX_DECIMAL_PLACES)
    ):
        number = Decimal(text.replace(",", ".", 1))
        return number if number else _ZERO
    return _checked(_decimal_comma_from_text(value), limit, value)


def _decimal_comma_from_text(value: str) -> Decimal:
    """Parse "€ 1.234,50"-style text; a value whose last separator is a dot is read as
    "1,234.50" (dot decimal, comma thousands); a lone dot grouping three digits is refused."""
    text = " ".join(value.replace("\u2212", "-").split())
    if not text:
        raise InvalidCell("missing")
    match = _COMMA_NUMBER_TEXT.fullmatch(text)
    if match is not None:
        if match["sep"] == "." and not match["more"] and match["frac"] is None:
            raise InvalidCell(
                f"ambiguous number {show(value)}: '.' may group thousands or mark decimals in "
                f"a decimal-comma file; write {show(text.replace('.', ''))} or "
                f"{show(text.replace('.', ','))}"
            )
        return _decimal_from_match(match, value)
    if text.rfind(".") > text.rfind(","):  # "1,234.50", "12.5": the last separator is a dot
        return _decimal_from_match(_NUMBER_TEXT.fullmatch(text), value)
    raise InvalidCell(f"unreadable number {show(value)}")


def _out_of_range(raw: object, limit: float) -> str:
    """The reason for a number too large for its warehouse column."""
    return f"out of range {show(raw)} (size must stay below 1e{len(str(int(limit))) - 1:d})"


def _checked(number: Decimal, limit: float, raw: object) -> Decimal:
    """Apply the range and decimal-place limits; zero loses its sign."""
    if not number:
        return _ZERO
    if abs(number) >= limit:
        raise InvalidCell(_out_of_range(raw, limit))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        rounded = number.quantize(_QUANTUM)  # "1.5000000" is fine, "1.5000001" is not
        if rounded != number:
            raise InvalidCell(f"more than {MAX_DECIMAL_PLACES} decimal places {show(raw)}")
        number = rounded
    return number


# ---- dates and times --------------------------------------------------------------------------

_CLOCK = (
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,6}))?)?"
    r" ?(?P<ampm>[AP]\.?M\.?)?"
)
_TIME = rf"(?:[ T,]+{_CLOCK})?"
_CLOCK_TEXT = re.compile(_CLOCK, re.IGNORECASE)
_TIME_ONLY_DAYS = (date(1899, 12, 30), date(1899, 12, 31))  # how readers give time-only cells
_DAY_MS = 86_400_000
_MONTH_NAMES = (
    "jan january|feb february|mar march|apr april|may|jun june|jul july|aug august|"
    "sep sept september|oct october|nov november|dec december"
)
_MONTHS = {
    name: number
    for number, names in enumerate(_MONTH_NAMES.split("|"), start=1)
    for name in names.split()
}
_DATE_PATTERNS = tuple(
    re.compile(pattern + _TIME, re.IGNORECASE)
    for pattern in (
        DAY_MONTH_YEAR,  # day and month in the table's order (rows/date_order.py)
        r"(?P<y>\d{4})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})",
        r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[ -](?P<mon>[a-z]{3,9})\.?(?:,? |-)(?P<y>\d{4})",
        r"(?P<mon>[a-z]{3,9})\.? (?P<d>\d{1,2})(?:st|nd|rd|th)?,? (?P<y>\d{4})",
    )
)


# A table of one value: read in its only order, refused when it reads two ways (parse_row).
_ONE_VALUE = TableDates()


def to_datetime(value: object, dates: DayMonth = _ONE_VALUE) -> datetime:
    """Read a sold_at cell: Excel date/datetime, serial day number, or text (module docstring).

    ``dates`` orders numeric text dates (``11/01/2026``): the table's TableDates.
    """
    if type(value) is str:  # first: every CSV cell (workbook datetimes: sales_line.py's path)
        result = _datetime_from_text(value, dates)
    elif type(value) is SplitMoment:
        return combine(value, dates)
    elif isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif type(value) is float or type(value) is int:
        if not _FIRST_SERIAL <= value < _LAST_SERIAL:
            raise InvalidCell(
                f"number {show(value)} is not a date (Excel day numbers run "
                f"{_FIRST_SERIAL}..{_LAST_SERIAL - 1})"
            )
        try:
            result = _EXCEL_EPOCH + timedelta(milliseconds=round(value * 86_400_000))
        except OverflowError:
            raise InvalidCell(f"number {show(value)} is past the year 9999") from None
    elif value is None:
        raise InvalidCell("missing")
    elif isinstance(value, time):
        raise InvalidCell(f"a time of day without a date {show(value)}")
    elif isinstance(value, timedelta):
        raise InvalidCell(f"a duration, not a date {show(value)}")
    else:
        raise InvalidCell(f"{kind(value)} is not a date {show(value)}")
    if result.tzinfo is not None:
        raise InvalidCell(f"timezone-aware times are not supported {show(value)}")
    if result.year < MIN_YEAR:
        raise InvalidCell(f"year {result.year} is before {MIN_YEAR} {show(value)}")
    return result


def _datetime_from_text(value: str, dates: DayMonth) -> datetime:
    """ISO 8601 via the C parser, then the numeric forms (``dates`` orders day and month) and
    the month-name forms."""
    text = " ".join(value.split())
    if not text:
        raise InvalidCell("missing")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            try:
                return _datetime_from_match(match, dates)
            except (ValueError, KeyError):
                break
    raise InvalidCell(f"unreadable date/time {show(value)}")


def _datetime_from_match(match: re.Match[str], dates: DayMonth) -> datetime:
    """Build the datetime from a _DATE_PATTERNS match; ValueError/KeyError when out of range,
    InvalidCell when the table's date order refuses it."""
    parts = match.groupdict()
    if parts.get("a"):
        read = dates.day_month(int(parts["a"]), int(parts["b"]), int(parts["y"]),
                               match.string)
        if isinstance(read, str):
            raise InvalidCell(read)
        day, month = read
    else:
        day = int(parts["d"])
        month = _MONTHS[parts["mon"].lower()] if parts.get("mon") else int(parts["m"])
    return datetime.combine(date(int(parts["y"]), month, day), _clock(parts))


def _clock(parts: dict[str, str | None]) -> time:
    """The time of day of a _CLOCK match (midnight when absent); ValueError when out of range."""
    hour = int(parts["h"] or 0)
    ampm = parts["ampm"]
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError("12-hour clock needs hours 1..12")
        hour = hour % 12 + (12 if ampm[0] in "pP" else 0)
    micro = int((parts["f"] or "0").ljust(6, "0"))
    return time(hour, int(parts["mi"] or 0), int(parts["s"] or 0), micro)


# ---- date and time in two columns -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitMoment:
    """The sold_at cell of a table whose sale time is a date column plus a time column: both raw
    cells and their headers as messages name them ("'Datum' (A)")."""

    date: object
    time: object
    date_label: str
    time_label: str

    def __str__(self) -> str:
        return f"{self.date} {self.time}"


def combine(value: SplitMoment, dates: DayMonth = _ONE_VALUE) -> datetime:
    """The sale time of a date cell and a time cell; InvalidCell names the column(s) at fault."""
    problems: list[str] = []
    day = clock = None
    try:
        day = to_date_part(value.date, dates)
    except InvalidCell as exc:
        problems.append(f"date column {value.date_label}: {exc}")
    try:
        clock = to_time_part(value.time)
    except InvalidCell as exc:
        problems.append(f"time column {value.time_label}: {exc}")
    if day is None or clock is None:
        raise InvalidCell("; ".join(problems))
    return datetime.combine(day, clock)


def to_date_part(value: object, dates: DayMonth = _ONE_VALUE) -> date:
    """Read the date column of a split sale time: as to_datetime reads sold_at, at midnight."""
    if type(value) is datetime and value.time() != time() and value.date() in _TIME_ONLY_DAYS:
        raise InvalidCell(f"a time of day without a date {show(value)}")
    result = to_datetime(value, dates)
    if result.time() != time():
        raise InvalidCell(f"holds a time of day; the time column gives it {show(value)}")
    return result.date()


def to_time_part(value: object) -> time:
    """Read the time column of a split sale time (module docstring); never midnight by default."""
    if type(value) is str:
        text = " ".join(value.split())
        if not text:
            raise InvalidCell("missing")
        match = _CLOCK_TEXT.fullmatch(text)
        try:
            if match is not None:
                return _clock(match.groupdict())
        except ValueError:
            pass
        raise InvalidCell(f"unreadable time {show(value)}")
    if value is None:
        raise InvalidCell("missing")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise InvalidCell(f"timezone-aware times are not supported {show(value)}")
        if value.date() not in _TIME_ONLY_DAYS:
            raise InvalidCell(f"a date, not a time of day {show(value)}")
        return value.time()
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise InvalidCell(f"timezone-aware times are not supported {show(value)}")
        return value
    if isinstance(value, timedelta) and timedelta(0) <= value < timedelta(days=1):
        return (datetime.min + value).time()
    if (type(value) is float or type(value) is int) and 0 <= value < 1:
        milliseconds = round(value * _DAY_MS)
        if milliseconds < _DAY_MS:
            return (datetime.min + timedelta(milliseconds=milliseconds)).time()
    if type(value) is float or type(value) is int:
        raise InvalidCell(f"number {show(value)} is not a time of day (Excel times run 0..1)")
    raise InvalidCell(f"{kind(value)} is not a time of day {show(value)}")


# ---- reporting --------------------------------------------------------------------------------


def kind(value: object) -> str:
    """A user's word for a value's type, for reasons."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (date, time, timedelta)):
        return "a date/time"
    return type(value).__name__


def show(value: object) -> str:
    """A short quoted rendering of a raw value for a reason."""
    try:
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
    except ValueError:  # int too long for str()
        text = f"<{type(value).__name__} too long to show>"
    return repr(text if len(text) <= 60 else text[:57] + "...")
