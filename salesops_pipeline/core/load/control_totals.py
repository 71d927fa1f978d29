"""Control totals: what a file says its lines add up to, against what was loaded from them.

Exports often close each group with a subtotal row and the table with a grand total. Those rows
are not sales (extract/rows/non_sales.py) but they are the file's own statement of its figures:
each is compared, exactly, with the sum of the staged lines in the rows it covers. A difference
is explained by the quarantined rows in that range (listed), or is a real discrepancy in the
source. The result is kept per import in ``salesops.control_total`` and checked by the
``control_totals_match`` asset check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from salesops_pipeline.core.db.connect import Cursor
from salesops_pipeline.core.extract.rows.non_sales import StatedTotal
from salesops_pipeline.core.load.import_log import ImportStatus

# The stated totals of one sheet and scope cover disjoint row ranges, so one scan of the
# import's staged rows sums them all: width_bucket finds each row's range by its first row.
SUM_LINES = """
SELECT b.i, sum(s.total_price), sum(s.units), count(*)
FROM salesops.stage_sales_line s
CROSS JOIN LATERAL (SELECT width_bucket(s.source_row_number, %(firsts)s::int[]) AS i) b
WHERE s.import_id = %(import_id)s AND s.source_sheet = %(sheet)s
  AND b.i > 0 AND s.source_row_number <= (%(lasts)s::int[])[b.i]
GROUP BY b.i
"""
QUARANTINED = """
SELECT b.i, array_agg(r.source_row_number ORDER BY r.source_row_number)
FROM salesops.stage_rejected_row r
CROSS JOIN LATERAL (SELECT width_bucket(r.source_row_number, %(firsts)s::int[]) AS i) b
WHERE r.import_id = %(import_id)s AND r.source_sheet = %(sheet)s
  AND b.i > 0 AND r.source_row_number <= (%(lasts)s::int[])[b.i]
GROUP BY b.i
"""
INSERT = """
INSERT INTO salesops.control_total
    (import_id, source_sheet, source_row_number, label, scope, first_row, last_row,
     stated_total, stated_units, loaded_total, loaded_units, lines_loaded, quarantined_rows)
VALUES (%(import_id)s, %(sheet)s, %(row)s, %(label)s, %(scope)s, %(first)s, %(last)s,
        %(stated_total)s, %(stated_units)s, %(total)s, %(units)s, %(lines)s, %(quarantined)s)
"""

COLUMNS = ("sheet", "source_row_number", "label", "scope", "first_row", "last_row",
           "stated_total", "loaded_total", "difference", "stated_units", "loaded_units",
           "lines_loaded", "quarantined_rows")

SELECT = """
SELECT nullif(c.source_sheet, ''), c.source_row_number, c.label, c.scope, c.first_row,
       c.last_row, c.stated_total, c.loaded_total, c.difference, c.stated_units,
       c.loaded_units, c.lines_loaded, c.quarantined_rows, l.source_file
FROM salesops.control_total c JOIN salesops.import_log l USING (import_id)
WHERE l.status = %(loaded)s
  AND (%(files)s::text[] IS NULL OR l.source_file = ANY(%(files)s::text[]))
ORDER BY l.source_file, c.source_sheet, c.source_row_number
"""


@dataclass(frozen=True)
class ControlTotal:
    """A stated total and the loaded lines it covers (rows first_row..last_row of its sheet)."""

    sheet: str | None
    source_row_number: int
    label: str
    scope: str  # 'subtotal' | 'grand_total'
    first_row: int
    last_row: int
    stated_total: Decimal
    loaded_total: Decimal
    difference: Decimal  # stated − loaded
    stated_units: Decimal | None
    loaded_units: Decimal
    lines_loaded: int
    quarantined_rows: list[int]
    source_file: str = ""

    @property
    def reconciles(self) -> bool:
        units_ok = self.stated_units is None or self.stated_units == self.loaded_units
        return self.difference == 0 and units_ok


def record(cur: Cursor, import_id: int, stated: Sequence[StatedTotal]) -> list[ControlTotal]:
    """Compare each stated total with the staged lines it covers and store the results."""
    groups: dict[tuple[str, str], list[StatedTotal]] = {}
    for total in stated:
        groups.setdefault((total.sheet or "", total.scope), []).append(total)
    found: list[ControlTotal] = []
    for (sheet, _), totals in groups.items():
        totals.sort(key=lambda t: t.first_row)
        params = {"import_id": import_id, "sheet": sheet,
                  "firsts": [t.first_row for t in totals], "lasts": [t.last_row for t in totals]}
        cur.execute(SUM_LINES, params)
        sums = {i: (total, units, lines) for i, total, units, lines in cur.fetchall()}
        cur.execute(QUARANTINED, params)
        quarantined: dict[int, list[int]] = dict(cur.fetchall())
        for i, t in enumerate(totals, 1):
            total, units, lines = sums.get(i, (Decimal(0), Decimal(0), 0))
            found.append(ControlTotal(
                t.sheet, t.source_row_number, t.label, t.scope, t.first_row, t.last_row,
                t.stated_total, total, t.stated_total - total, t.stated_units, units, lines,
                quarantined.get(i, [])))
    for c in found:
        cur.execute(INSERT, {
            "import_id": import_id, "sheet": c.sheet or "", "row": c.source_row_number,
            "label": c.label, "scope": c.scope, "first": c.first_row, "last": c.last_row,
            "stated_total": c.stated_total, "stated_units": c.stated_units,
            "total": c.loaded_total, "units": c.loaded_units, "lines": c.lines_loaded,
            "quarantined": c.quarantined_rows})
    return sorted(found, key=lambda c: (c.sheet or "", c.source_row_number))


def of_loaded_files(cur: Cursor, files: Sequence[str] | None) -> list[ControlTotal]:
    """The control totals of the loaded versions of ``files`` (None: every file), by file,
    sheet and row."""
    cur.execute(SELECT, {"loaded": ImportStatus.LOADED.value,
                         "files": None if files is None else list(files)})
    return [ControlTotal(*row) for row in cur.fetchall()]  # SELECT's columns in field order
