"""The file changes a report refresh has still to account for (table ``report_change``).

Publishing, replacing or withdrawing a file version records here, in the same transaction as the
facts and the dirty-day marks, what happened to which import and which days it marks. The
refresh that rewrites those days takes the rows (core/report/restatements.py), so a change that
restates figures already in the reports names its files exactly once.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from salesops_pipeline.core.db.connect import Cursor


class ChangeAction(StrEnum):
    """What happened to a file's loaded version."""

    NEW = "new"              # the file's first loaded version
    REPLACED = "replaced"    # a new version replaced the loaded one
    WITHDRAWN = "withdrawn"  # taken out on purpose (salesops withdraw)


def record(cur: Cursor, *, import_id: int, key: str, action: ChangeAction,
           replaced_import: int | None, days: list[date]) -> None:
    """One change of ``key`` by ``import_id`` marking ``days`` (the caller's transaction).
    Nothing on a database before schema revision 0005 (the jobs of a test at an older revision,
    or code newer than a database not yet upgraded): it keeps no restatement log."""
    cur.execute("SELECT to_regclass('salesops.report_change') IS NOT NULL")
    row = cur.fetchone()
    if not (row and row[0]):
        return
    cur.execute("INSERT INTO salesops.report_change"
                " (import_id, source_file, action, replaced_import, days)"
                " VALUES (%s, %s, %s, %s, %s::date[])",
                (import_id, key, action.value, replaced_import, days))
