"""Stream-parse one dropped file and COPY its rows into staging, in one transaction.

The first step of a file version's load (see loader.py for the rest). Every sales table of the
file (each sales sheet of a workbook, or the one table of a CSV/TSV file) is parsed row by row:
good rows go to ``stage_sales_line``, unreadable ones with their reasons to
``stage_rejected_row``, and rows that are not sales (subtotal and total rows, notes under the
table, repeated headers) to ``skipped_row``. The totals a file states about itself are compared
with the staged lines they cover (``control_total``). Staging is keyed by the import, idempotent
(a rerun deletes and re-stages) and never read by reports.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import SpooledTemporaryFile

import psycopg2
import psycopg2.extensions

from salesops_pipeline.core import control_totals, import_log
from salesops_pipeline.core.columns import ColumnMap, default_column_map
from salesops_pipeline.core.readers import open_sales_file
from salesops_pipeline.core.rows import RejectedRow, RowParser, SalesLine
from salesops_pipeline.core.tables import SkippedSheet
from salesops_pipeline.core.totals import RowSorter, SkippedRow, StatedTotal

Connection = psycopg2.extensions.connection
Progress = Callable[[int], None]

STAGE_COLUMNS = ("import_id", "source_sheet", "source_row_number", "sold_at", "product",
                 "seller", "shipping_company", "unit_price", "units", "total_price")
COPY_STAGE = (f"COPY salesops.stage_sales_line ({', '.join(STAGE_COLUMNS)}) FROM STDIN")
COPY_REJECTS = ("COPY salesops.stage_rejected_row (import_id, source_sheet, source_row_number,"
                " raw_values, reasons) FROM STDIN")
COPY_SKIPPED = ("COPY salesops.skipped_row (import_id, source_sheet, source_row_number, kind,"
                " reason, raw_values) FROM STDIN")
PROGRESS_EVERY = 50_000
_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass
class TableResult:
    """What one sales table (a sheet, or a CSV file) held."""

    sheet: str | None
    header_row: int
    rows_read: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0


@dataclass
class StageResult:
    """What staging found; the samples keep a few rows for the UI."""

    tables: list[TableResult] = field(default_factory=list)
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)
    rows_read: int = 0  # sales rows: staged + rejected (skipped rows are not sales)
    rows_staged: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    seconds: float = 0.0
    sample_rejections: list[RejectedRow] = field(default_factory=list)
    sample_skipped: list[SkippedRow] = field(default_factory=list)
    control_totals: list[control_totals.ControlTotal] = field(default_factory=list)

    @property
    def sheet_name(self) -> str | None:
        return self.tables[0].sheet if self.tables else None

    @property
    def header_row(self) -> int | None:
        return self.tables[0].header_row if self.tables else None

    def sheets_json(self) -> str:
        return json.dumps([{"sheet": t.sheet, "header_row": t.header_row, "rows_read": t.rows_read,
                            "rows_rejected": t.rows_rejected, "rows_skipped": t.rows_skipped}
                           for t in self.tables], ensure_ascii=False)


def _text(value: str) -> str:
    """Text in COPY text format (NULL is ``_NULL``; numbers and times format themselves)."""
    return value.translate(_ESCAPES)


def _escape(escaped: dict[str | None, str], name: str) -> str:
    """Remember a name's COPY text (bounded: a file of endless distinct names starts afresh)."""
    if len(escaped) > 100_000:
        escaped.clear()
        escaped[None] = _NULL
    text = escaped[name] = _text(name)
    return text


def _pg_array(items: Iterable[str]) -> str:
    quoted = ('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in items)
    return "{" + ",".join(quoted) + "}"


class _LineStream(io.RawIOBase):
    """A read()-able stream of COPY lines produced lazily, so the workbook is never held twice.

    psycopg2 turns an exception raised in read() into QueryCanceled ("COPY from stdin failed"),
    which looks like a lost connection; the original (say a CSV record too long, found mid-file)
    is kept in ``error`` so staging raises it instead.
    """

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._buffer = b""
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunks = [self._buffer]
        have = len(self._buffer)
        target = size if size and size > 0 else 1 << 30
        try:
            for line in self._lines:
                data = line.encode()
                chunks.append(data)
                have += len(data)
                if have >= target:
                    break
        except BaseException as exc:
            self.error = exc
            raise
        blob = b"".join(chunks)
        self._buffer = blob[target:] if have > target else b""
        return blob[:target]


def stage_file(conn: Connection, *, import_id: int, key: str, path: Path,
               column_map: ColumnMap | None = None, progress: Progress | None = None,
               max_rows: int = 5_000_000, sample_size: int = 20) -> StageResult:
    """Parse the file and COPY its rows into staging in ONE transaction (caller's conn).

    Raises a WorkbookError when the file as a whole is unusable; the caller records it.
    """
    started = time.perf_counter()
    column_map = column_map or default_column_map()
    cur = conn.cursor()
    import_log.lock_file(cur, key)
    for table in ("stage_sales_line", "stage_rejected_row", "skipped_row", "control_total"):
        cur.execute(f"DELETE FROM salesops.{table} WHERE import_id = %s", (import_id,))
    result = StageResult()
    stated: list[StatedTotal] = []
    with open_sales_file(path, column_map=column_map, max_rows=max_rows) as source, \
            SpooledTemporaryFile(max_size=16 << 20, mode="w+b") as rejects, \
            SpooledTemporaryFile(max_size=4 << 20, mode="w+b") as skipped:
        result.skipped_sheets = list(source.skipped_sheets)

        def settle(verdicts: list[RejectedRow | SkippedRow], table: TableResult, sheet: str
                   ) -> None:
            """Spool the rows whose fate the sorter decided: quarantined or skipped."""
            for verdict in verdicts:
                if type(verdict) is RejectedRow:
                    _spool_rejection(rejects, import_id, sheet, verdict)
                    table.rows_rejected += 1
                    if len(result.sample_rejections) < sample_size:
                        result.sample_rejections.append(verdict)
                else:
                    _spool_skipped(skipped, import_id, verdict)
                    table.rows_skipped += 1
                    if len(result.sample_skipped) < sample_size:
                        result.sample_skipped.append(verdict)

        def lines() -> Iterator[str]:
            """COPY lines of the good rows (the hot loop: ~1 µs of it per row is formatting)."""
            escaped: dict[str | None, str] = {None: _NULL}  # names repeat: escape each once
            n = 0
            for table in source.tables:
                layout = table.layout
                sheet = layout.sheet_name or ""
                done = TableResult(layout.sheet_name, layout.header_row)
                result.tables.append(done)
                prefix = f"{import_id}\t{_text(sheet)}\t"
                parse_row = RowParser(decimal_comma=table.decimal_comma)
                sorter = RowSorter(layout.sheet_name, layout.header_row, column_map,
                                   parse_row.number)
                rows = 0
                for row_number, cells in table.iter_rows():
                    n += 1
                    rows += 1
                    if progress and n % PROGRESS_EVERY == 0:
                        progress(n)
                    parsed = parse_row(row_number, cells)
                    if type(parsed) is SalesLine:
                        if sorter.pending:
                            settle(sorter.sale(), done, sheet)
                        product = escaped.get(parsed.product) or _escape(escaped, parsed.product)
                        seller = escaped.get(parsed.seller) or _escape(escaped, parsed.seller)
                        ship = (escaped.get(parsed.shipping_company)
                                or _escape(escaped, parsed.shipping_company))
                        yield (f"{prefix}{row_number}\t{parsed.sold_at.isoformat()}\t{product}\t"
                               f"{seller}\t{ship}\t{parsed.unit_price!s}\t{parsed.units!s}\t"
                               f"{parsed.total_price!s}\n")
                    else:
                        settle(sorter.not_a_sale(parsed, cells), done, sheet)
                settle(sorter.finish(), done, sheet)
                stated.extend(sorter.control_totals)
                done.rows_read = rows - done.rows_skipped
                done.rows_skipped += table.rows_outside_columns
            result.rows_read = sum(t.rows_read for t in result.tables)
            result.rows_rejected = sum(t.rows_rejected for t in result.tables)
            result.rows_skipped = sum(t.rows_skipped for t in result.tables)
            result.rows_staged = result.rows_read - result.rows_rejected

        stream = _LineStream(lines())
        try:
            cur.copy_expert(COPY_STAGE, stream, size=1 << 18)
        except psycopg2.Error:
            if stream.error is not None:  # the file's fault (or an interrupt), not the server's
                raise stream.error from None
            raise
        rejects.seek(0)
        cur.copy_expert(COPY_REJECTS, rejects, size=1 << 18)
        skipped.seek(0)
        cur.copy_expert(COPY_SKIPPED, skipped, size=1 << 18)
    result.control_totals = control_totals.record(cur, import_id, stated)
    cur.execute(
        "UPDATE salesops.import_log SET status = 'staged', sheet_name = %s, header_row = %s,"
        " rows_read = %s, rows_rejected = %s, rows_skipped = %s, sheets = %s::jsonb,"
        " skipped_sheets = %s::jsonb WHERE import_id = %s",
        (result.sheet_name, result.header_row, result.rows_read, result.rows_rejected,
         result.rows_skipped, result.sheets_json(),
         json.dumps([{"sheet": s.sheet_name, "reason": s.reason} for s in result.skipped_sheets],
                    ensure_ascii=False), import_id),
    )
    result.seconds = time.perf_counter() - started
    if progress:
        progress(result.rows_read)
    return result


def _spool_rejection(out: SpooledTemporaryFile, import_id: int, sheet: str,
                     row: RejectedRow) -> None:
    raw = json.dumps(row.raw, default=str, ensure_ascii=False)
    line = (f"{import_id}\t{_text(sheet)}\t{row.source_row_number}\t{_text(raw)}\t"
            f"{_text(_pg_array(row.reasons))}\n")
    out.write(line.encode())


def _spool_skipped(out: SpooledTemporaryFile, import_id: int, row: SkippedRow) -> None:
    raw = json.dumps(row.raw, default=str, ensure_ascii=False)
    line = (f"{import_id}\t{_text(row.sheet or '')}\t{row.source_row_number}\t{row.kind}\t"
            f"{_text(row.reason)}\t{_text(raw)}\n")
    out.write(line.encode())
