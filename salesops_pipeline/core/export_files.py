"""CSV and XLSX bytes from report rows (pure: rows in, bytes out), for the API and weekly exports.

CSV holds the exact text of every value (decimals as stored, ISO dates). XLSX writes a decimal
as a number when a double holds it exactly (up to ~15 significant digits) and as text otherwise,
so both formats read back to exactly the rows the JSON answer has.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter


def cell_text(value: Any) -> str:
    """The exact CSV text of one value."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(row[c]) for c in columns])
    return buf.getvalue().encode("utf-8")


def exact_float(value: Decimal) -> float | None:
    """The float equal to ``value`` when one prints back to the same number, else None."""
    if not value.is_finite():
        return None
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


def to_xlsx(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], sheet: str) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "remove_timezone": True,
                                     "strings_to_numbers": False, "strings_to_formulas": False,
                                     "strings_to_urls": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws.write_row(0, 0, list(columns), bold)
    ws.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(columns):
            _write(ws, r, c, row[name], day, moment)
    ws.set_column(0, max(len(columns) - 1, 0), 18)
    book.close()
    return buf.getvalue()


def _write(ws: Any, r: int, c: int, value: Any, day: Any, moment: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, datetime):
        ws.write_datetime(r, c, value, moment)
    elif isinstance(value, date):
        ws.write_datetime(r, c, value, day)
    elif isinstance(value, Decimal):
        number = exact_float(value)
        if number is None:
            ws.write_string(r, c, str(value))
        else:
            ws.write_number(r, c, number)
    elif isinstance(value, int) and abs(value) < 2**53:
        ws.write_number(r, c, value)
    else:
        ws.write_string(r, c, cell_text(value))
