"""CSV and XLSX bytes from report rows (pure: rows in, bytes out), for the API and weekly exports,
and the text rules of the formats names are written into (one line, Markdown).

Money and units read as people write them (core/report/figures.py): CSV holds the same text as the
JSON answer (``2142715.53``, ``3``), XLSX the exact number under a number format per column
kind. XLSX writes a decimal as a number when a double holds it exactly (up to ~15 significant
digits) and as that text otherwise, so both formats read back to exactly the stored values.

Safe to open: names come from dropped files, so a text cell may start like a formula
(``=HYPERLINK(...)``). XLSX writes every string as a string; CSV has no types, so a text cell
starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` (OWASP's
rule against CSV injection). Numbers, dates and JSON are never touched.

Names (files, sheets, products, sellers, error texts) come from outside, so a name put into a
line of text goes through :func:`one_line` (control characters, line breaks included, become a
space: a name cannot start a line of its own) and into Markdown through :func:`markdown_text`
(its link, emphasis, code, table and HTML characters escaped: it reads as the name, never as
markup). Structured data (JSON fields, table cells, CSV/XLSX) keeps names as they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import xlsxwriter

from salesops_pipeline.core.report.figures import (
    MONEY_XLSX_FORMAT,
    UNITS_XLSX_FORMAT,
    money_text,
    units_text,
)

FigureKind = Literal["money", "units"]
#: Columns holding money or units, by name, in every export (API and weekly); other decimals
#: (revenue_share, tolerance) keep their stored text.
FIGURE_KINDS: Mapping[str, FigureKind] = {
    "revenue": "money", "unit_price": "money", "total_price": "money", "units": "units"}
#: What a spreadsheet takes as the start of a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Control characters (C0, DEL, C1) and Unicode's line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: What Markdown (CommonMark / GitHub) reads as markup inside a line: escapes, code, emphasis,
#: strike-through, links and images (``[``/``]``), table cells, HTML and autolinks (``<``/``>``).
MARKDOWN_SPECIAL = frozenset("\\`*_~[]|<>")
_TEXT = {"money": money_text, "units": units_text}
_XLSX_FORMAT = {"money": MONEY_XLSX_FORMAT, "units": UNITS_XLSX_FORMAT}


def cell_text(value: Any, kind: FigureKind | None = None) -> str:
    """The exact text of one value; a money or units Decimal as core/report/figures.py writes it."""
    if value is None:
        return ""
    if kind is not None and isinstance(value, Decimal):
        return _TEXT[kind](value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def one_line(text: str) -> str:
    r"""``text`` on one line: each run of control characters (CR, LF, tab, NUL, …) is one space.

    >>> one_line("may\r\nBcc: x@evil.example")
    'may Bcc: x@evil.example'
    """
    return _CONTROL.sub(" ", text)


def markdown_text(text: str) -> str:
    r"""``text`` as inert Markdown on one line: what it shows is the text itself, never a link,
    an image, HTML, emphasis or a new table cell (CommonMark backslash escapes).

    >>> markdown_text("[Reset password](https://evil.example)")
    '\\[Reset password\\](https://evil.example)'
    """
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in one_line(text))


def csv_cell(value: Any, kind: FigureKind | None = None) -> str:
    """:func:`cell_text`, with text a spreadsheet would run as a formula prefixed by ``'``."""
    text = cell_text(value, kind)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
           kinds: Mapping[str, FigureKind] = FIGURE_KINDS) -> bytes:
    """The rows as UTF-8 CSV with a header line; ``kinds`` says which columns are figures."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    column_kinds = [kinds.get(c) for c in columns]
    for row in rows:
        writer.writerow([csv_cell(row[c], k) for c, k in zip(columns, column_kinds, strict=True)])
    return buf.getvalue().encode("utf-8")


def exact_float(value: Decimal) -> float | None:
    """The float equal to ``value`` when one prints back to the same number, else None."""
    if not value.is_finite():
        return None
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


def to_xlsx(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], sheet: str,
            kinds: Mapping[str, FigureKind] = FIGURE_KINDS) -> bytes:
    """The rows as one worksheet; money and units columns carry their number formats."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "remove_timezone": True,
                                     "strings_to_numbers": False, "strings_to_formulas": False,
                                     "strings_to_urls": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    formats = {"day": book.add_format({"num_format": "yyyy-mm-dd"}),
               "moment": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
               **{kind: book.add_format({"num_format": f}) for kind, f in _XLSX_FORMAT.items()}}
    ws.write_row(0, 0, list(columns), bold)
    ws.freeze_panes(1, 0)
    column_kinds = [kinds.get(c) for c in columns]
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(columns):
            _write(ws, r, c, row[name], column_kinds[c], formats)
    ws.set_column(0, max(len(columns) - 1, 0), 18)
    book.close()
    return buf.getvalue()


def _write(ws: Any, r: int, c: int, value: Any, kind: FigureKind | None,
           formats: Mapping[str, Any]) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, datetime):
        ws.write_datetime(r, c, value, formats["moment"])
    elif isinstance(value, date):
        ws.write_datetime(r, c, value, formats["day"])
    elif isinstance(value, Decimal):
        number = exact_float(value)
        if number is None:
            ws.write_string(r, c, cell_text(value, kind))
        else:
            ws.write_number(r, c, number, formats[kind] if kind else None)
    elif isinstance(value, int) and abs(value) < 2**53:
        ws.write_number(r, c, value)
    else:
        ws.write_string(r, c, cell_text(value))  # a string cell: never a formula
