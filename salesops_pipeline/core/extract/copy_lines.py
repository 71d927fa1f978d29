"""Parse one dropped file into PostgreSQL COPY text: the part of staging that reads the file.

It runs in a child process whose memory is capped (extract/memory_cap.py, called by
core/load/staging.py), so a hostile file can only exhaust that child. Every sales table of the file
(each sales sheet of a workbook, or the one table of a CSV/TSV file) is parsed row by row: good rows
are written as COPY lines to ``out`` (staging feeds them to ``stage_sales_line``), unreadable ones
with their reasons to the rejects file, and rows that are not sales (subtotal and total rows, notes
under the table, repeated headers) to the skipped file. What was found comes back as a ParsedFile.
Pure: no database, no Dagster.
"""

from __future__ import annotations

import json
import resource
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from salesops_pipeline.core.extract.formats.registry import open_sales_file
from salesops_pipeline.core.extract.formats.sales_table import SkippedSheet
from salesops_pipeline.core.extract.header.columns import ColumnMap
from salesops_pipeline.core.extract.header.shape import decimal_separator, header_columns
from salesops_pipeline.core.extract.rows.date_order import NONE_NEEDED, ConfiguredOrder, TableDates
from salesops_pipeline.core.extract.rows.known_cells import NULL, KnownCells, copy_text
from salesops_pipeline.core.extract.rows.non_sales import RowSorter, SkippedRow, StatedTotal
from salesops_pipeline.core.extract.rows.sales_line import (
    MIN_YEAR,
    RejectedRow,
    RowParser,
    SalesLine,
)

__all__ = ["ParsedFile", "TableResult", "parse_to_copy"]

_NULL = NULL
_BATCH = 2048  # COPY lines joined per write to the stream


@dataclass
class TableResult:
    """What one sales table (a sheet, or a CSV file) held."""

    sheet: str | None
    header_row: int
    rows_read: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    date_order: str | None = None  # "dmy" or "mdy" as decided; None: undecided or none needed
    date_order_reason: str = NONE_NEEDED  # "month-first: 55 values like '11/13/2026'"
    # The header as header.shape.header_columns describes it, and the decimal separator of
    # numbers as text: what core/load/drift.py compares with other versions and files.
    columns: list[dict[str, object]] = field(default_factory=list)
    decimal_separator: str | None = None


@dataclass
class ParsedFile:
    """What the file held (staging adds the control totals checked against the staged lines:
    core/load/staging.ParsedFile); the samples keep a few rows for the UI."""

    tables: list[TableResult] = field(default_factory=list)
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)
    rows_read: int = 0  # sales rows: staged + rejected (skipped rows are not sales)
    rows_staged: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    seconds: float = 0.0
    parser_peak_rss_mb: float = 0.0  # the parsing process's own peak (it runs apart, capped)
    sample_rejections: list[RejectedRow] = field(default_factory=list)
    sample_skipped: list[SkippedRow] = field(default_factory=list)
    stated_totals: list[StatedTotal] = field(default_factory=list)

    @property
    def sheet_name(self) -> str | None:
        return self.tables[0].sheet if self.tables else None

    @property
    def header_row(self) -> int | None:
        return self.tables[0].header_row if self.tables else None

    @property
    def dates_needed_order(self) -> bool:
        """Whether some table's numeric text dates needed a date order (rows/date_order.py)."""
        return any(t.date_order_reason != NONE_NEEDED for t in self.tables)

    def sheets(self) -> list[dict[str, object]]:
        """Each table as the import log's ``sheets`` keeps it."""
        return [{"sheet": t.sheet, "header_row": t.header_row, "rows_read": t.rows_read,
                 "rows_rejected": t.rows_rejected, "rows_skipped": t.rows_skipped,
                 "date_order": t.date_order, "date_order_reason": t.date_order_reason,
                 "decimal_separator": t.decimal_separator, "columns": t.columns}
                for t in self.tables]

    def sheets_json(self) -> str:
        return json.dumps(self.sheets(), ensure_ascii=False)

    def skipped_sheets_json(self) -> str:
        return json.dumps([{"sheet": s.sheet_name, "reason": s.reason}
                           for s in self.skipped_sheets], ensure_ascii=False)


def _text(value: str) -> str:
    """Text in COPY text format (NULL is ``_NULL``; numbers and times format themselves)."""
    return copy_text(value)


class _StagedNames:
    """Each staged name's COPY text, remembered per dimension, and written once to the names
    spool (``stage_name``): the dimension upserts then read a file's few distinct names instead
    of scanning its staged lines. Only the row parser's good rows come here, and a row of known
    cells only carries names the parser read from an earlier good row, so the spool holds
    exactly the staged lines' names. Bounded: past 100,000 a map starts afresh (a name may then
    be spooled twice; the upsert's DISTINCT absorbs it)."""

    def __init__(self, import_id: int, spool: BinaryIO | None) -> None:
        self.prefix, self.spool = f"{import_id}\t", spool
        self.product: dict[str | None, str] = {}
        self.seller: dict[str | None, str] = {}
        self.shipping_company: dict[str | None, str] = {None: _NULL}

    def text(self, dimension: str, name: str | None) -> str:
        """The COPY text of a name not met yet in ``dimension`` (one of the three maps)."""
        known: dict[str | None, str] = getattr(self, dimension)
        if name is None:  # the hot loop finds None in the map; this is for the type checker
            return _NULL
        if len(known) > 100_000:
            known.clear()
            known[None] = _NULL
        text = known[name] = _text(name)
        if self.spool is not None:
            self.spool.write(f"{self.prefix}{dimension}\t{text}\n".encode())
        return text


def _pg_array(items: Iterable[str]) -> str:
    quoted = ('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in items)
    return "{" + ",".join(quoted) + "}"


class _Verdicts:
    """Writes the rows whose fate the sorter decided (quarantined or skipped) to their files."""

    def __init__(self, result: ParsedFile, import_id: int, rejects: BinaryIO,
                 skipped: BinaryIO, sample_size: int) -> None:
        self.result, self.import_id, self.sample_size = result, import_id, sample_size
        self.rejects, self.skipped = rejects, skipped

    def settle(self, verdicts: list[RejectedRow | SkippedRow], table: TableResult) -> None:
        result = self.result
        sheet = _text(table.sheet or "")
        for verdict in verdicts:
            raw = _text(json.dumps(verdict.raw, default=str, ensure_ascii=False))
            if isinstance(verdict, RejectedRow):
                self.rejects.write(f"{self.import_id}\t{sheet}\t{verdict.source_row_number}\t"
                                   f"{raw}\t{_text(_pg_array(verdict.reasons))}\n".encode())
                table.rows_rejected += 1
                if len(result.sample_rejections) < self.sample_size:
                    result.sample_rejections.append(verdict)
            else:
                self.skipped.write(f"{self.import_id}\t{sheet}\t{verdict.source_row_number}\t"
                                   f"{verdict.kind}\t{_text(verdict.reason)}\t{raw}\n".encode())
                table.rows_skipped += 1
                if len(result.sample_skipped) < self.sample_size:
                    result.sample_skipped.append(verdict)


def parse_to_copy(out: BinaryIO, path: Path, import_id: int, column_map: ColumnMap,
                  max_rows: int, rejects_path: Path, skipped_path: Path,
                  sample_size: int = 20, date_order: ConfiguredOrder | None = None,
                  known_cells: bool = True, names_path: Path | None = None) -> ParsedFile:
    """Write the COPY lines of ``path``'s good rows to ``out`` (stage_sales_line's columns),
    its quarantined and skipped rows to the two files; return what was found.

    ``date_order`` is the configured order for numeric text dates that nothing in a table
    decides (SALESOPS_DATE_ORDER or the column map; default auto). ``known_cells``: write rows
    of cells the parser has already read without parsing them again (rows/known_cells.py);
    False parses every row (the differential test's reference). ``names_path``: where to write
    the staged names, each once per dimension (``stage_name``'s COPY lines).

    Raises a WorkbookError when the file as a whole is unusable.
    """
    result = ParsedFile()
    with open_sales_file(path, column_map=column_map, max_rows=max_rows) as source, \
            rejects_path.open("wb") as rejects, skipped_path.open("wb") as skipped, \
            (names_path.open("wb") if names_path else nullcontext()) as names_spool:
        result.skipped_sheets = list(source.skipped_sheets)
        verdicts = _Verdicts(result, import_id, rejects, skipped, sample_size)
        staged = _StagedNames(import_id, names_spool)  # names repeat: escape each once
        staged_products, staged_sellers, staged_carriers = (
            staged.product, staged.seller, staged.shipping_company)
        batch: list[str] = []
        for table in source.tables:
            layout = table.layout
            done = TableResult(layout.sheet_name, layout.header_row,
                               columns=header_columns(layout),
                               decimal_separator=decimal_separator(table.decimal_comma))
            result.tables.append(done)
            prefix = f"{import_id}\t{_text(layout.sheet_name or '')}\t"
            dates = TableDates(date_order, table.sold_at_values)
            parse_row = RowParser(decimal_comma=table.decimal_comma, dates=dates)
            sorter = RowSorter(layout.sheet_name, layout.header_row, column_map, parse_row.number)
            rows = 0
            known = (KnownCells(text=table.cells_are_text)
                     if known_cells and layout.split is None else None)
            if known is not None:
                text = known.text
                products, sellers, carriers, money, units = (
                    known.products, known.sellers, known.carriers, known.money, known.units)
                days, times, minutes = known.days, known.times, known.minutes
            # The hot loop: ~1 µs per row of it is formatting. A row of known cells is
            # KnownCells.line, inlined (a call costs a tenth of the row).
            for row_number, cells in table.iter_rows():
                rows += 1
                if known is not None:
                    sold, product, seller, price, count, total, carrier = cells
                    p, s, c = products.get(product), sellers.get(seller), carriers.get(carrier)
                    up, u, t = money.get(price), units.get(count), money.get(total)
                    if p is None or s is None or c is None or up is None or u is None or t is None:
                        moment = None
                    elif text:
                        if len(sold) == 19 and sold[10] in " T" and sold[:10] in days:
                            moment = f"{sold[:10]}T{sold[11:]}" if sold[11:] in times else None
                        elif len(sold) == 16 and sold[10] in " T" and sold[:10] in days:
                            moment = f"{sold[:10]}T{sold[11:]}:00" if sold[11:] in minutes else None
                        else:
                            moment = None
                    else:
                        moment = (sold.isoformat() if type(sold) is datetime
                                  and sold.tzinfo is None and sold.year >= MIN_YEAR
                                  and type(price) is float and type(count) is float
                                  and type(total) is float else None)
                    if moment is not None:
                        if sorter.pending:
                            verdicts.settle(sorter.sale(), done)
                        batch.append(f"{prefix}{row_number}\t{moment}\t{p}\t{s}\t{c}\t{up}\t"
                                     f"{u}\t{t}\n")
                        if len(batch) >= _BATCH:
                            out.write("".join(batch).encode())
                            batch.clear()
                        continue
                parsed = parse_row(row_number, cells)
                if type(parsed) is SalesLine:
                    if known is not None:
                        known.learn(cells, parsed)
                    if sorter.pending:
                        verdicts.settle(sorter.sale(), done)
                    product = (staged_products.get(parsed.product)
                               or staged.text("product", parsed.product))
                    seller = (staged_sellers.get(parsed.seller)
                              or staged.text("seller", parsed.seller))
                    ship = (staged_carriers.get(parsed.shipping_company)
                            or staged.text("shipping_company", parsed.shipping_company))
                    batch.append(f"{prefix}{row_number}\t{parsed.sold_at.isoformat()}\t{product}"
                                 f"\t{seller}\t{ship}\t{parsed.unit_price!s}\t{parsed.units!s}\t"
                                 f"{parsed.total_price!s}\n")
                    if len(batch) >= _BATCH:
                        out.write("".join(batch).encode())
                        batch.clear()
                elif isinstance(parsed, RejectedRow):
                    verdicts.settle(sorter.not_a_sale(parsed, cells), done)
            if dates.error is not None:  # the date scan met what refuses the whole file
                raise dates.error
            verdicts.settle(sorter.finish(), done)
            result.stated_totals.extend(sorter.control_totals)
            done.date_order = dates.order.value if dates.order else None
            done.date_order_reason = dates.summary
            done.rows_read = rows - done.rows_skipped
            done.rows_skipped += table.rows_outside_columns
        out.write("".join(batch).encode())
    result.rows_read = sum(t.rows_read for t in result.tables)
    result.rows_rejected = sum(t.rows_rejected for t in result.tables)
    result.rows_skipped = sum(t.rows_skipped for t in result.tables)
    result.rows_staged = result.rows_read - result.rows_rejected
    result.parser_peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result
