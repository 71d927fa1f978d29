"""Read a CSV or TSV drop as a sales table, streaming, with the row numbers a spreadsheet shows.

Decisions, each made before any row is yielded:

* **Encoding.** UTF-8 or Windows-1252, decided by formats/csv_text.py (which also refuses what
  is not text at all).
* **Delimiter.** Comma, semicolon and tab are tried on the first HEADER_SCAN_ROWS records; the
  one whose best row names the most sales columns wins (ties: tab first for .tsv/.tab, else
  comma, semicolon, tab). Quoting follows Python's csv module (Excel's rules): quoted fields may
  hold delimiters, doubled quotes and line breaks; a quote left open is refused, not guessed.
* **Decimal commas.** A semicolon-separated file is a decimal-comma file (``decimal_comma``):
  its number cells are read by cells.to_decimal_comma (rules in core/extract/rows/cells.py).
* **Row numbers** are record ordinals (1-based) as LibreOffice/Excel show them after opening the
  file: blank lines count, and a quoted line break does not shift the rows after it.

Limits, so a hostile file cannot exhaust memory or time: MAX_CSV_BYTES per file (csv_text.py),
MAX_RECORD_CHARS per record (line breaks included; lines are read at most that long),
MAX_FIELDS fields per record, ``max_rows`` records below the header, and csv.field_size_limit()
(128 KiB by default) per field. Size limits raise WorkbookTooLarge, the rest UnreadableCsv.
The record limits also apply while iterating, so iter_rows may raise them mid-file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from salesops_pipeline.core.extract.formats.csv_text import detect_encoding, open_text
from salesops_pipeline.core.extract.formats.sales_table import TableLayout
from salesops_pipeline.core.extract.header.columns import (
    CANONICAL_ORDER,
    DISPLAY_NAMES,
    HEADER_SCAN_ROWS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ColumnMap,
    default_column_map,
    find_header,
)
from salesops_pipeline.core.extract.rows.cells import SplitMoment
from salesops_pipeline.errors import (
    NoSalesSheet,
    UnreadableCsv,
    WorkbookError,
    WorkbookTooLarge,
)

__all__ = [
    "MAX_FIELDS",
    "MAX_RECORD_CHARS",
    "CsvTable",
    "open_csv_table",
]

MAX_RECORD_CHARS = 1 << 20  # 1 Mi characters per record; real sales records are < 1 KiB
MAX_FIELDS = 1000  # fields per record
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_TAB_SUFFIXES = frozenset({".tsv", ".tab"})


class CsvTable:
    """An open CSV/TSV file positioned on its sales table (a SalesTable); a context manager."""

    cells_are_text = True

    def __init__(self, path: Path, encoding: str, delimiter: str, layout: TableLayout,
                 max_rows: int) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self.layout = layout
        self.decimal_comma = delimiter == ";"
        self.rows_outside_columns = 0
        self._max_rows = max_rows
        self._handle: IO[str] | None = open_text(path, encoding)

    def iter_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Yield (row number, cells in CANONICAL_ORDER) for each non-blank row under the header.

        Cells are text ("" for empty, also past the end of a short record); a column absent
        from the header yields None. A row is blank when every sales cell is "" or whitespace;
        blank rows with a value in another column are counted in ``rows_outside_columns``.
        """
        if self._handle is None:
            raise ValueError("CsvTable is closed")
        columns = self.layout.columns
        absent = any(name not in columns for name in CANONICAL_ORDER)
        pick = itemgetter(*(columns.get(name, -1) for name in CANONICAL_ORDER))
        split = self.layout.split
        need = max(*columns.values(), split.time_column if split else 0) + 1
        records = _records(self._handle, self.delimiter)
        for _ in islice(records, self.layout.header_row):  # bounds checked like any record
            pass
        # The hot loop, once per record: a row is checked for blanks only when its first
        # sales cell is blank (the time, required: rarely).
        for row_number, record in islice(records, self._max_rows):
            if len(record) < need:
                if not record:  # a blank line
                    continue
                record.extend([""] * (need - len(record)))
            if absent:
                record.append(None)  # type: ignore[arg-type]  # what the -1 picks read
            cells = pick(record)
            first = cells[0]
            if not first or first.isspace():
                if not any(value and not value.isspace() for value in cells):
                    if any(value and not value.isspace() for value in record):
                        self.rows_outside_columns += 1
                    continue
            if split is not None:
                cells = (SplitMoment(first, record[split.time_column], split.date_label,
                                     split.time_label), *cells[1:])
            yield row_number, cells
        for _ in records:  # a record past max_rows
            raise WorkbookTooLarge(
                f"the file has more than {self._max_rows} rows below the header on row "
                f"{self.layout.header_row}; the limit is {self._max_rows}"
            )

    def sold_at_values(self) -> Iterator[object]:
        """Yield the sold_at field of each record under the header (blank ones too), read
        through a second handle with the same bounds (rows/date_order.py's evidence)."""
        column = self.layout.columns["sold_at"]
        first = self.layout.header_row
        with open_text(self.path, self.encoding) as handle:
            for _, record in islice(_records(handle, self.delimiter), first,
                                    first + self._max_rows):
                if len(record) > column:
                    yield record[column]

    def close(self) -> None:
        """Close the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> CsvTable:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def open_csv_table(path: Path, *, column_map: ColumnMap | None = None,
                   max_rows: int = 5_000_000) -> CsvTable:
    """Open ``path``, decide its encoding and delimiter, and find the sales header.

    Raises UnreadableCsv, WorkbookTooLarge, NoSalesSheet, MissingColumns or AmbiguousColumns.
    """
    path = Path(path)
    column_map = column_map or default_column_map()
    encoding = detect_encoding(path)
    delimiter, rows, error = _pick_delimiter(path, encoding, column_map)
    header = find_header(rows, column_map=column_map, sheet=None)
    if header is None:
        if error is not None:  # a broken file, rather than one without a header
            raise error
        raise NoSalesSheet(_no_header_message(rows))
    layout = TableLayout(sheet_name=None, header_row=header.row_number,
                         columns=header.columns, header_cells=header.cells, split=header.split)
    return CsvTable(path, encoding, delimiter, layout, max_rows)


def _records(handle: IO[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, fields) of every record, from the start of the file, bounds checked.

    Speed: a line without a quote is a whole record (only a quoted field spans lines), and
    csv.reader would split it exactly as str.split does, for readline (newline="") ends a
    line at its only line break. Such lines, nearly all, are split here at half csv.reader's
    cost per line; the others go to csv.reader (_QuotedRecords). Lines are read at most
    MAX_RECORD_CHARS + 1 long, so a longer one trips the bound without being read whole.
    """
    try:
        handle.seek(0)
    except OSError as exc:
        raise UnreadableCsv(f"cannot read the file: {exc}") from exc
    readline = handle.readline
    limit = MAX_RECORD_CHARS
    plain = min(limit, csv.field_size_limit())  # longer lines: csv.reader's field limit error
    quoted = _QuotedRecords(handle, delimiter)
    row_number = 0  # records read; the line being read starts record row_number + 1
    try:
        while line := readline(limit + 1):
            if len(line) > plain or '"' in line:
                if len(line) > limit:
                    raise _too_long(row_number + 1)
                record = quoted.read(line, row_number + 1)
            elif line[0] in "\r\n":  # only a line break: a blank line
                record = []
            else:
                record = line.rstrip("\r\n").split(delimiter)
            row_number += 1
            if len(record) > MAX_FIELDS:
                raise WorkbookTooLarge(
                    f"row {row_number} has {len(record)} fields; the limit is {MAX_FIELDS}")
            yield row_number, record
    except csv.Error as exc:
        raise UnreadableCsv(_csv_error_message(row_number + 1, exc)) from exc
    except UnicodeDecodeError as exc:  # the file changed since its encoding was decided
        raise UnreadableCsv(f"row {row_number + 1} is not {exc.encoding} text") from exc


class _QuotedRecords:
    """csv.reader for the records that start on a line with a quote: ``read`` hands it the
    line; inside a quoted field it reads on, and the record's lines add up to the bound."""

    def __init__(self, handle: IO[str], delimiter: str) -> None:
        self._handle = handle
        self._first: str | None = None
        self._row_number = 0
        self._reader = csv.reader(self._lines(), delimiter=delimiter, strict=True)

    def read(self, first: str, row_number: int) -> list[str]:
        """The fields of record ``row_number``, whose first line is ``first``."""
        self._first = first
        self._row_number = row_number
        return next(self._reader)

    def _lines(self) -> Iterator[str]:
        """The first line ``read`` was given, then the lines of a quoted field spanning lines
        (the reader asks for more only inside one), until the file ends."""
        readline = self._handle.readline
        limit = MAX_RECORD_CHARS
        chars = 0
        while True:
            line = self._first
            if line is not None:
                self._first = None
                chars = len(line)
            else:
                line = readline(limit + 1)
                if not line:
                    return
                chars += len(line)
                if chars > limit:
                    raise _too_long(self._row_number)
            yield line


def _too_long(row_number: int) -> WorkbookTooLarge:
    """The error for a record past MAX_RECORD_CHARS."""
    return WorkbookTooLarge(
        f"row {row_number} is longer than {MAX_RECORD_CHARS} characters; is a quote left "
        "open, or is this not a CSV file?")


def _csv_error_message(row_number: int, exc: csv.Error) -> str:
    """A message for the csv module's complaints, in words a user can act on."""
    text = str(exc)
    if "field larger than field limit" in text:
        return (f"row {row_number} has a field longer than {csv.field_size_limit()} characters; "
                "is a quote left open?")
    if "unexpected end of data" in text:
        return (f"row {row_number}: a quoted field is never closed (a \" without its partner), "
                "so the rest of the file would be one cell")
    if "expected after" in text:
        return (f"row {row_number}: text follows a closing quote ({text}); quote the whole "
                "field and double the quotes inside it")
    return f"row {row_number} cannot be read as CSV: {text}"


def _pick_delimiter(path: Path, encoding: str, column_map: ColumnMap
                    ) -> tuple[str, list[tuple[int, list[str]]], WorkbookError | None]:
    """The delimiter whose first records best name the sales columns, those records, and the
    error that ended them early (if any)."""
    order = list(DELIMITERS)
    if path.suffix.lower() in _TAB_SUFFIXES:
        order.remove("\t")
        order.insert(0, "\t")
    best: tuple[int, str, list[tuple[int, list[str]]], WorkbookError | None] | None = None
    with open_text(path, encoding) as handle:
        for delimiter in order:
            rows: list[tuple[int, list[str]]] = []
            error: WorkbookError | None = None
            try:  # a wrong delimiter may break the quoting: score the records read before
                rows.extend(islice(_records(handle, delimiter), HEADER_SCAN_ROWS))
            except (UnreadableCsv, WorkbookTooLarge) as exc:
                error = exc
            score = max((len(column_map.match(cells)) for _, cells in rows), default=0)
            if best is None or score > best[0]:
                best = (score, delimiter, rows, error)
    assert best is not None
    return best[1], best[2], best[3]


def _no_header_message(rows: list[tuple[int, list[str]]]) -> str:
    """Say what was looked at and what the header needs."""
    needed = ", ".join(DISPLAY_NAMES[c] for c in REQUIRED_COLUMNS)
    optional = ", ".join(DISPLAY_NAMES[c] for c in OPTIONAL_COLUMNS)
    # The reason only: the file's own text never goes into an error (it is stored and shown).
    blank = not any(c.strip() for _, cells in rows for c in cells)
    seen = "; they are blank" if blank else ""
    return (
        f"no header row naming the sales columns in the first {HEADER_SCAN_ROWS} lines of the "
        f"file (tried {', '.join(DELIMITERS.values())} as separators){seen}. The header needs "
        f"{needed} and optionally {optional}"
    )
