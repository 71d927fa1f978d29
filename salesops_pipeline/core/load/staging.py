"""Stage one dropped file: parse it in a memory-capped child and COPY its rows, in one transaction.

The first step of a file version's load (see loader.py for the rest). The file is parsed by
extract/copy_lines.parse_to_copy in a child process whose address space is capped
(SALESOPS_PARSE_MEMORY_MB, extract/memory_cap.py): a decompression bomb or a parser gone wild
kills only that child, and the import is rejected with the reason. The child streams the good rows'
COPY lines straight into ``stage_sales_line``; its quarantined rows go to ``stage_rejected_row``,
its skipped rows (totals, notes, repeated headers) to ``skipped_row``, and the staged lines'
distinct names, per dimension, to ``stage_name`` (what the dimension upserts read). The
totals a file states about itself are then compared with the staged lines they cover
(``control_total``), and its header with the file's last version and its folder (drift.py:
``import_log.drift``).
Staging is keyed by the import, idempotent (a rerun deletes and re-stages) and never read by
reports; a failure anywhere rolls the whole transaction back.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, BinaryIO

from salesops_pipeline.core.db.connect import Connection, Cursor
from salesops_pipeline.core.extract.copy_lines import ParsedFile, TableResult, parse_to_copy
from salesops_pipeline.core.extract.header.columns import ColumnMap, default_column_map
from salesops_pipeline.core.extract.memory_cap import (
    CHUNK_BYTES,
    DEFAULT_PARSE_MEMORY_MB,
    preload,
    run_capped,
)
from salesops_pipeline.core.extract.rows.date_order import configured_for
from salesops_pipeline.core.load import control_totals, import_log
from salesops_pipeline.core.load.control_totals import ControlTotal
from salesops_pipeline.core.load.drift import Drift, find_drift
from salesops_pipeline.core.load.progress import RowProgress, Stage

__all__ = ["StageResult", "TableResult", "stage_file"]


@dataclass
class StageResult(ParsedFile):
    """What staging found: what the file held, and its stated totals checked against the staged
    lines (a check of the database, so it is load's, not extract's)."""

    control_totals: list[ControlTotal] = field(default_factory=list)
    drift: Drift | None = None  # the header against the file's last version and its folder


STAGE_COLUMNS = ("import_id", "source_sheet", "source_row_number", "sold_at", "product",
                 "seller", "shipping_company", "unit_price", "units", "total_price")
COPY_STAGE = (f"COPY salesops.stage_sales_line ({', '.join(STAGE_COLUMNS)}) FROM STDIN")
COPY_REJECTS = ("COPY salesops.stage_rejected_row (import_id, source_sheet, source_row_number,"
                " raw_values, reasons) FROM STDIN")
COPY_SKIPPED = ("COPY salesops.skipped_row (import_id, source_sheet, source_row_number, kind,"
                " reason, raw_values) FROM STDIN")
COPY_NAMES = "COPY salesops.stage_name (import_id, dimension, name) FROM STDIN"
# What staging writes for an import: a rerun deletes it all first. The first three live only
# until publish (publish.py deletes them); skipped rows and control totals are kept for good.
UNTIL_PUBLISHED = ("stage_sales_line", "stage_rejected_row", "stage_name")
STAGE_TABLES = (*UNTIL_PUBLISHED, "skipped_row", "control_total")
# The parser's modules are imported once in the fork server, not in every child (~60 ms each).
preload(["salesops_pipeline.core.extract.copy_lines"])


class _Counting(io.RawIOBase):
    """The child's COPY stream, reporting the lines gone through after each chunk (~2,500
    lines; the caller throttles, see progress.Throttle)."""

    def __init__(self, stream: BinaryIO, progress: RowProgress | None, key: str) -> None:
        self._stream, self._progress, self._key = stream, progress, key
        self.lines = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = self._stream.readinto(buffer)  # type: ignore[attr-defined]
        if size and self._progress:
            self.lines += memoryview(buffer)[:size].tobytes().count(b"\n")
            self._progress(self._key, Stage.PARSE, self.lines, None)
        return size or 0


def copy_in(cur: Cursor, statement: str, stream: BinaryIO) -> None:
    """Stream COPY text from ``stream`` into ``statement`` (… FROM STDIN), a piece at a time.

    Text, not binary: binary saves the server ~1 s per million rows, but it needs typed rows,
    and getting them from the parse child costs more than that (benchmarks/copy_format.py)."""
    with cur.copy(statement) as copy:
        while block := stream.read(CHUNK_BYTES):
            copy.write(block)


def stage_file(conn: Connection, *, import_id: int, key: str, path: Path,
               column_map: ColumnMap | None = None, progress: RowProgress | None = None,
               max_rows: int = 5_000_000, sample_size: int = 20,
               memory_mb: int = DEFAULT_PARSE_MEMORY_MB, date_order: str = "auto"
               ) -> StageResult:
    """Parse the file and COPY its rows into staging in ONE transaction (caller's conn).

    ``date_order`` (SALESOPS_DATE_ORDER: dmy, mdy, auto) orders numeric text dates that nothing
    in a table decides, unless the column map's [date_order] table names the file.

    ``progress`` hears the parse: lines so far, then every row read (skipped ones included).
    Raises a WorkbookError when the file as a whole is unusable (ParseMemoryExceeded when its
    parse needs more than ``memory_mb``); the caller records it and rolls back.
    """
    started = time.perf_counter()
    column_map = column_map or default_column_map()
    cur = conn.cursor()
    import_log.lock_file(cur, key)
    # Another run may have staged, published or refused this version while we waited.
    import_log.ensure_can_become(cur, import_id, import_log.ImportStatus.STAGED)
    for table in STAGE_TABLES:  # fixed identifiers
        cur.execute(f"DELETE FROM salesops.{table} WHERE import_id = %s", (import_id,))
    with TemporaryDirectory(prefix="salesops-stage-") as tmp:
        rejects, skipped = Path(tmp) / "rejects.copy", Path(tmp) / "skipped.copy"
        names = Path(tmp) / "names.copy"
        reader, call = run_capped(
            parse_to_copy, (path, import_id, column_map, max_rows, rejects, skipped, sample_size,
                            configured_for(key, column_map.date_orders, date_order), True,
                            names),
            memory_bytes=memory_mb << 20, stream=True)
        try:
            copy_in(cur, COPY_STAGE, _Counting(reader, progress, key))  # type: ignore[arg-type]
        except BaseException:
            call.kill()
            raise
        finally:
            reader.close()  # type: ignore[union-attr]
        parsed: ParsedFile = call.result()  # the child's WorkbookError is raised here
        result = StageResult(**vars(parsed))
        if progress:
            rows = result.rows_read + result.rows_skipped
            progress(key, Stage.PARSE, rows, rows)
        for copy, spool in ((COPY_REJECTS, rejects), (COPY_SKIPPED, skipped),
                            (COPY_NAMES, names)):
            with spool.open("rb") as handle:
                copy_in(cur, copy, handle)
    result.control_totals = control_totals.record(cur, import_id, result.stated_totals)
    result.drift = find_drift(result.sheets(), *import_log.drift_references(cur, key, import_id))
    import_log.mark_staged(cur, import_id, result)
    result.seconds = time.perf_counter() - started
    return result
