"""Stream-parse one workbook and COPY its rows into staging, in one transaction.

The first step of a file version's load (see loader.py for the rest): good rows go to
``stage_sales_line``, unreadable ones with their reasons to ``stage_rejected_row``. Staging is
keyed by the import, idempotent (a rerun deletes and re-stages) and never read by reports.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import SpooledTemporaryFile

import psycopg2.extensions

from salesops_pipeline.core import import_log
from salesops_pipeline.core.rows import RejectedRow, RowParser, SalesLine
from salesops_pipeline.core.workbook import open_sales_sheet

Connection = psycopg2.extensions.connection
Progress = Callable[[int], None]

STAGE_COLUMNS = ("import_id", "source_row_number", "sold_at", "product", "seller",
                 "shipping_company", "unit_price", "units", "total_price")
COPY_STAGE = (f"COPY salesops.stage_sales_line ({', '.join(STAGE_COLUMNS)}) FROM STDIN")
COPY_REJECTS = ("COPY salesops.stage_rejected_row (import_id, source_row_number, raw_values,"
                " reasons) FROM STDIN")
PROGRESS_EVERY = 50_000
_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass
class StageResult:
    """What staging found; `sample_rejections` keeps a few for the UI."""

    sheet_name: str
    header_row: int
    rows_read: int = 0
    rows_staged: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    sample_rejections: list[RejectedRow] = field(default_factory=list)


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
    """A read()-able stream of COPY lines produced lazily, so the workbook is never held twice."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunks = [self._buffer]
        have = len(self._buffer)
        target = size if size and size > 0 else 1 << 30
        for line in self._lines:
            data = line.encode()
            chunks.append(data)
            have += len(data)
            if have >= target:
                break
        blob = b"".join(chunks)
        self._buffer = blob[target:] if have > target else b""
        return blob[:target]


def stage_file(conn: Connection, *, import_id: int, key: str, path: Path,
               progress: Progress | None = None, max_rows: int = 5_000_000,
               sample_size: int = 20) -> StageResult:
    """Parse the workbook and COPY its rows into staging in ONE transaction (caller's conn).

    Raises a WorkbookError when the file as a whole is unusable; the caller records it.
    """
    started = time.perf_counter()
    cur = conn.cursor()
    import_log.lock_file(cur, key)
    cur.execute("DELETE FROM salesops.stage_sales_line WHERE import_id = %s", (import_id,))
    cur.execute("DELETE FROM salesops.stage_rejected_row WHERE import_id = %s", (import_id,))
    with open_sales_sheet(path, max_rows=max_rows) as sheet, \
            SpooledTemporaryFile(max_size=16 << 20, mode="w+b") as rejects:
        result = StageResult(sheet.layout.sheet_name, sheet.layout.header_row)
        prefix = f"{import_id}\t"
        parse_row = RowParser()

        def lines() -> Iterator[str]:
            """COPY lines of the good rows (the hot loop: ~1 µs of it per row is formatting)."""
            escaped: dict[str | None, str] = {None: _NULL}  # names repeat: escape each once
            n = 0
            for n, (row_number, cells) in enumerate(sheet.iter_rows(), 1):  # noqa: B007
                if progress and n % PROGRESS_EVERY == 0:
                    progress(n)
                parsed = parse_row(row_number, cells)
                if type(parsed) is SalesLine:
                    product = escaped.get(parsed.product) or _escape(escaped, parsed.product)
                    seller = escaped.get(parsed.seller) or _escape(escaped, parsed.seller)
                    ship = (escaped.get(parsed.shipping_company)
                            or _escape(escaped, parsed.shipping_company))
                    yield (f"{prefix}{row_number}\t{parsed.sold_at.isoformat()}\t{product}\t"
                           f"{seller}\t{ship}\t{parsed.unit_price!s}\t{parsed.units!s}\t"
                           f"{parsed.total_price!s}\n")
                else:
                    _spool_rejection(rejects, import_id, parsed)
                    result.rows_rejected += 1
                    if len(result.sample_rejections) < sample_size:
                        result.sample_rejections.append(parsed)
            result.rows_read = n
            result.rows_staged = n - result.rows_rejected

        cur.copy_expert(COPY_STAGE, _LineStream(lines()), size=1 << 18)
        rejects.seek(0)
        cur.copy_expert(COPY_REJECTS, rejects, size=1 << 18)
    cur.execute(
        "UPDATE salesops.import_log SET status = 'staged', sheet_name = %s, header_row = %s,"
        " rows_read = %s, rows_rejected = %s WHERE import_id = %s",
        (result.sheet_name, result.header_row, result.rows_read, result.rows_rejected, import_id),
    )
    result.seconds = time.perf_counter() - started
    if progress:
        progress(result.rows_read)
    return result


def _spool_rejection(out: SpooledTemporaryFile, import_id: int, row: RejectedRow) -> None:
    raw = json.dumps(row.raw, default=str, ensure_ascii=False)
    line = f"{import_id}\t{row.source_row_number}\t{_text(raw)}\t{_text(_pg_array(row.reasons))}\n"
    out.write(line.encode())
