"""The import log: one row per file version (name + sha256), and the decision what to do with it.

Every decision is taken under a per-file advisory lock, so two imports of the same file at the
same moment end as one import, and under a per-content lock, so the same bytes arriving under
two names at the same moment load once (the second is a duplicate of the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from salesops_pipeline.core.db.connect import Cursor
from salesops_pipeline.core.extract.file_keys import FileVersion

LOCK_FILE = "SELECT pg_advisory_xact_lock(hashtextextended('salesops.file:' || %s, 0))"
LOCK_CONTENT = "SELECT pg_advisory_xact_lock(hashtextextended('salesops.sha256:' || %s, 0))"


class ImportStatus(StrEnum):
    """Every status of a file version in the import log (the CHECK in 01_create_tables.sql
    lists the same values; a test compares them)."""

    RUNNING = "running"        # decided to import; staging in progress
    STAGED = "staged"          # rows staged and complete; publish pending
    LOADED = "loaded"          # its facts are the file's facts (at most one per file)
    REJECTED = "rejected"      # the whole file was refused; error says why
    DUPLICATE = "duplicate"    # same bytes as another file's version; nothing loaded
    SUPERSEDED = "superseded"  # replaced by a newer version of the file (or outdated when staged)
    FAILED = "failed"          # an unexpected error; retried by the next import
    WITHDRAWN = "withdrawn"    # loaded once, its facts removed on purpose (`salesops withdraw`)


class Action(StrEnum):
    IMPORT = "import"            # stage and publish this version
    ALREADY_LOADED = "already_loaded"  # same name, same bytes: nothing changes
    STAGED = "staged"            # another run staged these bytes already: publish that
    DUPLICATE = "duplicate"      # same bytes loaded under another name: recorded, nothing loaded
    WITHDRAWN = "withdrawn"      # these bytes were withdrawn: nothing loaded unless reimported


@dataclass(frozen=True)
class Decision:
    action: Action
    import_id: int
    detail: str = ""


def lock_file(cur: Cursor, key: str) -> None:
    """Serialise work on one file name until the transaction ends."""
    cur.execute(LOCK_FILE, (key,))


def reimport_hint(key: str) -> str:
    """How a withdrawn version is brought back (shown wherever a withdrawal is reported)."""
    return f"`salesops ingest --reimport {key}` brings it back"


def decide(cur: Cursor, version: FileVersion, run_id: str | None, *,
           reimport: bool = False) -> Decision:
    """Record that this version was seen and say what to do (caller commits).

    A withdrawn version stays withdrawn when its bytes are seen again (they usually still sit
    in the folder); ``reimport`` imports it anyway, as `salesops ingest --reimport` asks.
    """
    lock_file(cur, version.key)
    cur.execute(
        "SELECT import_id, status FROM salesops.import_log WHERE source_file = %s AND sha256 = %s",
        (version.key, version.sha256),
    )
    existing = cur.fetchone()
    status = existing[1] if existing else None
    if status == ImportStatus.LOADED or (status == ImportStatus.WITHDRAWN and not reimport):
        cur.execute("UPDATE salesops.import_log SET source_missing = false WHERE import_id = %s"
                    " AND source_missing", (existing[0],))
        if status == ImportStatus.WITHDRAWN:
            return Decision(Action.WITHDRAWN, existing[0], "these bytes were withdrawn; nothing "
                            f"loaded ({reimport_hint(version.key)})")
        return Decision(Action.ALREADY_LOADED, existing[0], "same name and bytes already loaded")
    if status == ImportStatus.STAGED:
        # Staging commits with this status under the file lock, so the rows are complete: a
        # second import of the same version publishes them instead of staging again.
        return Decision(Action.STAGED, existing[0], "these bytes are staged already; publishing")
    # Same bytes under another name, loaded or on its way (in this batch or a concurrent run):
    # the lock on the content makes two names with equal bytes decide one after the other.
    cur.execute(LOCK_CONTENT, (version.sha256,))
    # (A withdrawn original is not loaded: the same bytes under another name import normally.)
    cur.execute(
        "SELECT import_id, source_file FROM salesops.import_log"
        " WHERE sha256 = %s AND status = ANY(%s) AND source_file <> %s"
        " ORDER BY status = %s DESC, import_id LIMIT 1",
        (version.sha256, [ImportStatus.LOADED, ImportStatus.STAGED, ImportStatus.RUNNING],
         version.key, ImportStatus.LOADED),
    )
    original = cur.fetchone()
    status, duplicate_of = ((ImportStatus.DUPLICATE, original[0]) if original
                            else (ImportStatus.RUNNING, None))
    cur.execute(
        """
        INSERT INTO salesops.import_log
            (source_file, sha256, size_bytes, status, duplicate_of, run_id, source_missing)
        VALUES (%(key)s, %(sha)s, %(size)s, %(status)s, %(dup)s, %(run)s, false)
        ON CONFLICT ON CONSTRAINT import_log_file_version_key DO UPDATE SET
            status = EXCLUDED.status, duplicate_of = EXCLUDED.duplicate_of,
            run_id = EXCLUDED.run_id, error = NULL, superseded_by = NULL, withdrawn_at = NULL,
            rows_read = 0, rows_loaded = 0, rows_rejected = 0, source_missing = false,
            started_at = now(), finished_at = CASE WHEN EXCLUDED.status = %(duplicate)s
                                                   THEN now() END
        RETURNING import_id
        """,
        {"key": version.key, "sha": version.sha256, "size": version.size, "status": status,
         "dup": duplicate_of, "run": run_id, "duplicate": ImportStatus.DUPLICATE},
    )
    import_id = cur.fetchone()[0]
    if original:
        cur.execute("UPDATE salesops.import_log SET finished_at = now() WHERE import_id = %s",
                    (import_id,))
        return Decision(Action.DUPLICATE, import_id,
                        f"same bytes as {original[1]!r} (import {original[0]}); nothing loaded")
    return Decision(Action.IMPORT, import_id)


def mark_rejected(cur: Cursor, import_id: int, reason: str) -> None:
    """The whole file is refused: record why; nothing of it is loaded."""
    cur.execute(
        "UPDATE salesops.import_log SET status = 'rejected', error = %s, finished_at = now(),"
        " rows_read = 0, rows_loaded = 0, rows_rejected = 0"
        " WHERE import_id = %s AND status IN ('running', 'staged', 'failed')",
        (reason, import_id),
    )


def mark_failed(cur: Cursor, import_id: int, reason: str) -> None:
    """An unexpected error (database down, bug): the version can be retried."""
    cur.execute(
        "UPDATE salesops.import_log SET status = 'failed', error = %s, finished_at = now()"
        " WHERE import_id = %s AND status IN ('running', 'staged')",
        (reason, import_id),
    )


def status_of(cur: Cursor, import_id: int) -> str | None:
    cur.execute("SELECT status FROM salesops.import_log WHERE import_id = %s", (import_id,))
    row = cur.fetchone()
    return row[0] if row else None


def mark_source_missing(cur: Cursor, keys: list[str]) -> int:
    """Files deleted from the folder keep their data; the log says their source is gone."""
    cur.execute("UPDATE salesops.import_log SET source_missing = true"
                " WHERE source_file = ANY(%s) AND NOT source_missing", (keys,))
    return cur.rowcount
