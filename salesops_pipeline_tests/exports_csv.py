"""CSV exports of the source system in the shapes seen in drop folders, with known outcomes.

* ``"utf8-comma"``: UTF-8 with a byte-order mark, CRLF line ends, commas, decimal points
  ("1234.50", thousands as "1,234.50"), ISO times ("2026-11-03 14:05");
* ``"cp1252-semicolon"``: Windows-1252, LF line ends, semicolons, decimal commas ("1.234,50"),
  day-first times ("03.11.2026 14:05") — what a German or French Excel writes;
* ``"utf8-tab"``: UTF-8 without a BOM, LF, tabs, decimal points (a .tsv file).

Names hold commas, quotes and line breaks (quoted as the csv module does); the same line appears
twice on different rows. Row numbers count records (the header is row 1): a quoted line break
does not start a new row, as in a spreadsheet. Expectations come from the chosen values.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Literal

from salesops_pipeline_tests.exports import (
    HEADER,
    ExpectedControlTotal,
    ExpectedSkip,
    Export,
    Line,
    expected_line,
    make_lines,
)

__all__ = ["DIALECTS", "CsvDialect", "write_csv_export"]

QUOTED_PRODUCTS = ("Cable, 2 m", 'The "Pro" kit', "Gift box\nlarge", "Café crème")
QUOTED_SELLER = 'Lovelace, Ada "The Countess"'
DialectName = Literal["utf8-comma", "cp1252-semicolon", "utf8-tab"]


@dataclass(frozen=True)
class CsvDialect:
    encoding: str
    delimiter: str
    line_end: str
    decimal: str
    thousands: str
    time_format: str


DIALECTS: dict[str, CsvDialect] = {
    "utf8-comma": CsvDialect("utf-8-sig", ",", "\r\n", ".", ",", "%Y-%m-%d %H:%M"),
    "cp1252-semicolon": CsvDialect("cp1252", ";", "\n", ",", ".", "%d.%m.%Y %H:%M"),
    "utf8-tab": CsvDialect("utf-8", "\t", "\n", ".", ",", "%Y-%m-%d %H:%M"),  # a .tsv file
}


def number_text(value: Decimal, dialect: CsvDialect, *, grouped: bool = True) -> str:
    """An amount as the dialect writes it: "1,234.50" or "1.234,50" (grouped) or "1234.50"."""
    sign = "-" if value < 0 else ""
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    if grouped:
        groups: list[str] = []
        while len(whole) > 3:
            whole, groups = whole[:-3], [whole[-3:], *groups]
        whole = dialect.thousands.join([whole, *groups])
    return f"{sign}{whole}{dialect.decimal}{cents}"


def write_csv_export(path: Path, *, seed: int, dialect: DialectName, count: int = 12,
                     grand_total: bool = False) -> Export:
    """``count`` (≥ 5) lines plus a copy of one of them on the last line row; ``grand_total`` adds a
    "Total" row (label in Time, amount in Total Price) that states their sum."""
    spec = DIALECTS[dialect]
    rng = random.Random(seed)
    lines = make_lines(rng, count)
    for index, product in enumerate(QUOTED_PRODUCTS):  # every quoting case, whatever the seed
        lines[index] = replace(lines[index], product=product)
    lines[len(QUOTED_PRODUCTS)] = replace(lines[len(QUOTED_PRODUCTS)], seller=QUOTED_SELLER)
    lines.append(lines[rng.randrange(count)])  # the same sale twice: two rows, both loaded
    out = Export(path)
    records: list[list[str]] = [list(HEADER)]
    for row, line in enumerate(lines, start=2):
        records.append(_record(line, spec, grouped=row % 2 == 0))
        out.lines.append(expected_line(None, row, line))
    if grand_total:
        stated = sum((line.total_price for line in lines), Decimal(0))
        records.append(["Total", "", "", "", "", number_text(stated, spec), ""])
        row = len(records)
        out.skipped.append(ExpectedSkip(None, row, "total"))
        out.control_totals.append(ExpectedControlTotal(None, row, stated, stated, Decimal(0)))
    with path.open("w", encoding=spec.encoding, newline="") as handle:
        csv.writer(handle, delimiter=spec.delimiter, lineterminator=spec.line_end).writerows(
            records)
    return out


def _record(line: Line, spec: CsvDialect, *, grouped: bool) -> list[str]:
    return [line.sold_at.strftime(spec.time_format), line.product, line.seller,
            number_text(line.unit_price, spec, grouped=grouped), str(line.units),
            number_text(line.total_price, spec, grouped=grouped), line.shipping_company or ""]
