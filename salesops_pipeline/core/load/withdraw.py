"""Withdraw a file: take its loaded version's facts out of the warehouse on purpose.

One transaction under the file lock (the same lock every import of the file takes): the report
days the version counts on are marked dirty first (its facts' days and the day its quarantined
rows count on), then its facts leave every partition and its import becomes `withdrawn`. The
stale-reports sensor then refreshes those days as after any import. The quarantined rows stay
for the audit trail (GET /imports/{id}/rejections); reports count them only for loaded imports.

A withdrawn version stays out when its bytes are seen again (import_log.decide); new bytes under
the name import normally, and `salesops ingest --reimport NAME` brings the version back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from salesops_pipeline.core.db.connect import Connection, Cursor
from salesops_pipeline.core.load import import_log, partitions, report_change
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.load.publish import MARK_DIRTY
from salesops_pipeline.errors import ImportConflict, NothingToWithdraw


@dataclass(frozen=True)
class Withdrawable:
    """What withdrawing a file would remove (shown before asking)."""

    key: str
    import_id: int
    sha256: str
    rows_loaded: int
    rows_rejected: int
    first_sale: datetime | None
    last_sale: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class WithdrawResult:
    key: str
    import_id: int
    rows_removed: int
    days_marked: list[date]
    own_partition: bool  # its own fact partition is now empty: retire it after commit
    pending: list[int]   # newer versions of the file being imported right now (they will load)


LOADED_VERSION = """
SELECT l.import_id, l.sha256, l.rows_loaded, l.rows_rejected, l.finished_at,
       (SELECT min(sold_at) FROM salesops.fact_sales_line f WHERE f.source_file = l.source_file),
       (SELECT max(sold_at) FROM salesops.fact_sales_line f WHERE f.source_file = l.source_file)
FROM salesops.import_log l WHERE l.source_file = %s AND l.status = %s
"""


def withdrawable(cur: Cursor, key: str) -> Withdrawable:
    """The file's loaded version, or NothingToWithdraw saying what the import log shows."""
    cur.execute(LOADED_VERSION, (key, ImportStatus.LOADED))
    row = cur.fetchone()
    if row is None:
        raise NothingToWithdraw(_nothing_loaded(cur, key))
    import_id, sha, loaded, rejected, finished, first, last = row
    return Withdrawable(key, import_id, sha, loaded, rejected, first, last, finished)


def withdraw_file(conn: Connection, key: str, *,
                  expected_import: int | None = None) -> WithdrawResult:
    """Remove the file's loaded version from the warehouse in the caller's transaction (the
    caller commits; then, when ``own_partition``, calls partitions.retire).

    ``expected_import``: the version the user was shown; when another one was published since,
    nothing is changed (ImportConflict)."""
    cur = conn.cursor()
    import_log.lock_file(cur, key)  # no import of this file publishes meanwhile
    version = withdrawable(cur, key)
    if expected_import is not None and version.import_id != expected_import:
        raise ImportConflict(f"{key!r}: import {version.import_id} was loaded after you looked "
                             f"(you confirmed import {expected_import}); nothing was withdrawn "
                             "— run the command again")
    # Before the delete: the days of its facts and the day its quarantined rows count on.
    cur.execute(MARK_DIRTY, {"key": key, "import_id": version.import_id,
                             "loaded": ImportStatus.LOADED})
    days = sorted(r[0] for r in cur.fetchall())
    own = partitions.state(cur, version.import_id) == "attached"
    cur.execute("DELETE FROM salesops.fact_sales_line WHERE source_file = %s", (key,))
    removed = cur.rowcount
    import_log.mark_withdrawn(cur, version.import_id, f"{removed:,} fact rows removed on purpose"
                             f" (salesops withdraw); {import_log.reimport_hint(key)}")
    report_change.record(cur, import_id=version.import_id, key=key, replaced_import=None,
                         days=days, action=report_change.ChangeAction.WITHDRAWN)
    cur.execute("SELECT import_id FROM salesops.import_log WHERE source_file = %s"
                " AND status = ANY(%s) ORDER BY import_id",
                (key, [ImportStatus.RUNNING, ImportStatus.STAGED]))
    pending = [r[0] for r in cur.fetchall()]
    return WithdrawResult(key, version.import_id, removed, days, own, pending)


def _nothing_loaded(cur: Cursor, key: str) -> str:
    cur.execute("SELECT import_id, status, withdrawn_at, finished_at FROM salesops.import_log"
                " WHERE source_file = %s ORDER BY import_id DESC LIMIT 1", (key,))
    row = cur.fetchone()
    if row is None:
        return (f"{key!r}: no such file in the import log; give the name as the import log "
                "shows it (GET /imports, relative to SALES_DATA_DIR)")
    import_id, status, withdrawn_at, finished_at = row
    if status == ImportStatus.WITHDRAWN:
        return (f"{key!r}: already withdrawn (import {import_id}, at "
                f"{withdrawn_at:%Y-%m-%d %H:%M}); {import_log.reimport_hint(key)}")
    when = f", {finished_at:%Y-%m-%d %H:%M}" if finished_at else ""
    return (f"{key!r}: nothing loaded to withdraw; its latest version (import {import_id}"
            f"{when}) is {status}")
