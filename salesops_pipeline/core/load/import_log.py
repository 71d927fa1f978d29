"""The import log: one row per file version (name + sha256), and the decision what to do with it.

Every decision is taken under a per-file advisory lock, so two imports of the same file at the
same moment end as one import, and under a per-content lock, so the same bytes arriving under
two names at the same moment load once (the second is a duplicate of the first).

One state machine: ``TRANSITIONS`` says where a version may go from each status, and every
statement that writes ``salesops.import_log`` is a function of this module that moves a row only
from a status allowed to reach the new one (ImportStateConflict otherwise; nothing changed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from salesops_pipeline.core.db.connect import Cursor
from salesops_pipeline.core.extract.intake.file_keys import FileVersion
from salesops_pipeline.core.load.drift import Version
from salesops_pipeline.core.shell import salesops_command
from salesops_pipeline.errors import ImportStateConflict

if TYPE_CHECKING:  # the parser is not imported with the log (the API reads statuses only)
    from salesops_pipeline.core.load.staging import StageResult

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


S = ImportStatus
SEEN_AGAIN = frozenset({S.RUNNING, S.DUPLICATE})  # decide() imports it (again) or records a copy
#: Where a file version may go from each status (None: the version has no row yet).
TRANSITIONS: dict[ImportStatus | None, frozenset[ImportStatus]] = {
    None: SEEN_AGAIN,
    S.RUNNING: SEEN_AGAIN | {S.STAGED, S.REJECTED, S.FAILED},  # again: a dead run's version
    S.STAGED: frozenset({S.LOADED, S.SUPERSEDED, S.REJECTED, S.FAILED}),  # superseded: outdated
    S.LOADED: frozenset({S.SUPERSEDED, S.WITHDRAWN}),
    # Two runs of the same bad bytes at once both refuse them: rejected again is allowed.
    S.REJECTED: SEEN_AGAIN | {S.REJECTED},
    S.DUPLICATE: SEEN_AGAIN,
    S.SUPERSEDED: SEEN_AGAIN,
    S.FAILED: SEEN_AGAIN | {S.STAGED, S.REJECTED},  # staged: a concurrent run's attempt finished
    S.WITHDRAWN: SEEN_AGAIN,  # only when reimported (`salesops ingest --reimport`)
}
del S


def allowed_from(target: ImportStatus) -> list[ImportStatus]:
    """The statuses a version may be in to move to ``target``."""
    return [s for s, nexts in TRANSITIONS.items() if s is not None and target in nexts]


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
    return f"`{reimport_command(key)}` brings it back"


def reimport_command(key: str) -> str:
    """The command that imports a withdrawn version of ``key`` again (shell-quoted; a name
    starting with '-' after ``--``, so it is not taken for an option)."""
    return salesops_command("ingest", "--reimport", *(["--"] if key.startswith("-") else []), key)


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
    existing_id, status = existing if existing else (None, None)
    if status == ImportStatus.LOADED or (status == ImportStatus.WITHDRAWN and not reimport):
        cur.execute("UPDATE salesops.import_log SET source_missing = false WHERE import_id = %s"
                    " AND source_missing", (existing_id,))
        if status == ImportStatus.WITHDRAWN:
            return Decision(Action.WITHDRAWN, existing_id, "these bytes were withdrawn; nothing "
                            f"loaded ({reimport_hint(version.key)})")
        return Decision(Action.ALREADY_LOADED, existing_id, "same name and bytes already loaded")
    if status == ImportStatus.STAGED:
        # Staging commits with this status under the file lock, so the rows are complete: a
        # second import of the same version publishes them instead of staging again.
        return Decision(Action.STAGED, existing_id, "these bytes are staged already; publishing")
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
    if original:
        import_id = _seen(cur, version, run_id, ImportStatus.DUPLICATE, original[0])
        return Decision(Action.DUPLICATE, import_id,
                        f"same bytes as {original[1]!r} (import {original[0]}); nothing loaded")
    return Decision(Action.IMPORT, _seen(cur, version, run_id, ImportStatus.RUNNING, None))


def _seen(cur: Cursor, version: FileVersion, run_id: str | None, target: ImportStatus,
          duplicate_of: int | None) -> int:
    """Insert the version's row, or start it afresh from a status that allows it."""
    cur.execute(
        """
        INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, duplicate_of,
                                         run_id, source_missing, finished_at)
        VALUES (%(key)s, %(sha)s, %(size)s, %(status)s, %(dup)s, %(run)s, false,
                CASE WHEN %(finished)s THEN now() END)
        ON CONFLICT ON CONSTRAINT import_log_file_version_key DO UPDATE SET
            status = EXCLUDED.status, duplicate_of = EXCLUDED.duplicate_of,
            run_id = EXCLUDED.run_id, error = NULL, superseded_by = NULL, withdrawn_at = NULL,
            rows_read = 0, rows_loaded = 0, rows_rejected = 0, source_missing = false,
            started_at = now(), finished_at = EXCLUDED.finished_at
        WHERE import_log.status = ANY(%(allowed_from)s)
        RETURNING import_id
        """,
        {"key": version.key, "sha": version.sha256, "size": version.size, "status": target,
         "dup": duplicate_of, "run": run_id, "finished": target is ImportStatus.DUPLICATE,
         "allowed_from": allowed_from(target)},
    )
    row = cur.fetchone()
    if row is None:
        cur.execute("SELECT import_id FROM salesops.import_log WHERE source_file = %s"
                    " AND sha256 = %s", (version.key, version.sha256))
        found = cur.fetchone()
        assert found is not None  # the insert was refused on a conflict with this very row
        raise _refused(cur, int(found[0]), target)
    return int(row[0])


def _move(cur: Cursor, import_id: int, target: ImportStatus, assignments: str = "", *,
          only_from: frozenset[ImportStatus] = frozenset(ImportStatus), **values: object) -> None:
    """Set the row's status to ``target`` (and ``assignments``, fixed SQL of this module) if its
    status allows it (and is one of ``only_from``: a step that takes one of several ways to
    ``target``); ImportStateConflict otherwise."""
    sources = [s for s in allowed_from(target) if s in only_from]
    cur.execute(
        f"UPDATE salesops.import_log SET status = %(target)s{assignments}"
        " WHERE import_id = %(import_id)s AND status = ANY(%(allowed_from)s) RETURNING import_id",
        {"target": target, "import_id": import_id, "allowed_from": sources, **values})
    if cur.fetchone() is None:
        raise _refused(cur, import_id, target)


def _refused(cur: Cursor, import_id: int, target: ImportStatus) -> ImportStateConflict:
    cur.execute("SELECT source_file, status FROM salesops.import_log WHERE import_id = %s",
                (import_id,))
    row = cur.fetchone()
    if row is None:
        return ImportStateConflict(f"import {import_id} is not in the import log; nothing "
                                   "was changed", import_id=import_id, target=target)
    key, status = row
    return ImportStateConflict(
        f"{key}: import {import_id} is already {status}, so it cannot become {target} (another "
        "run moved it on meanwhile?); nothing was changed",
        import_id=import_id, status=status, target=target)


def ensure_can_become(cur: Cursor, import_id: int, target: ImportStatus) -> None:
    """ImportStateConflict when the row may not move to ``target`` now: checked under the file
    lock before costly work (parsing), so a version another run settled is not redone."""
    status = status_of(cur, import_id)
    if status not in allowed_from(target):
        raise _refused(cur, import_id, target)


def mark_staged(cur: Cursor, import_id: int, result: StageResult) -> None:
    """Its rows are staged and complete (same transaction as the COPY); publish comes next."""
    _move(cur, import_id, ImportStatus.STAGED,
          ", sheet_name = %(sheet)s, header_row = %(header)s, rows_read = %(read)s,"
          " rows_rejected = %(rejected)s, rows_skipped = %(skipped)s,"
          " sheets = %(sheets)s::jsonb, skipped_sheets = %(skipped_sheets)s::jsonb,"
          " drift = %(drift)s::jsonb",
          sheet=result.sheet_name, header=result.header_row, read=result.rows_read,
          rejected=result.rows_rejected, skipped=result.rows_skipped,
          sheets=result.sheets_json(), skipped_sheets=result.skipped_sheets_json(),
          drift=None if result.drift is None else json.dumps(result.drift.to_json(),
                                                             ensure_ascii=False))


def mark_loaded(cur: Cursor, import_id: int, rows_loaded: int) -> None:
    """Its facts are the file's facts now (the publish transaction)."""
    _move(cur, import_id, ImportStatus.LOADED, ", rows_loaded = %(rows)s, finished_at = now()",
          rows=rows_loaded)


def supersede_loaded(cur: Cursor, key: str, by: int) -> int | None:
    """The file's loaded version (if any) is replaced by import ``by``; return its id."""
    cur.execute(
        "UPDATE salesops.import_log SET status = %s, superseded_by = %s,"
        " finished_at = coalesce(finished_at, now())"
        " WHERE source_file = %s AND status = ANY(%s) RETURNING import_id",
        (ImportStatus.SUPERSEDED, by, key,
         [s for s in allowed_from(ImportStatus.SUPERSEDED) if s is ImportStatus.LOADED]))
    row = cur.fetchone()
    return int(row[0]) if row else None


def mark_outdated(cur: Cursor, import_id: int, reason: str) -> None:
    """A staged version not published because the file changed since: superseded, with why."""
    _move(cur, import_id, ImportStatus.SUPERSEDED, ", finished_at = now(), error = %(reason)s",
          only_from=frozenset({ImportStatus.STAGED}), reason=reason)


def mark_withdrawn(cur: Cursor, import_id: int, reason: str) -> None:
    """Its facts were removed on purpose (`salesops withdraw`)."""
    _move(cur, import_id, ImportStatus.WITHDRAWN, ", withdrawn_at = now(), error = %(reason)s",
          reason=reason)


def mark_rejected(cur: Cursor, import_id: int, reason: str) -> None:
    """The whole file is refused: record why; nothing of it is loaded."""
    _move(cur, import_id, ImportStatus.REJECTED,
          ", error = %(reason)s, finished_at = now(), rows_read = 0, rows_loaded = 0,"
          " rows_rejected = 0", reason=reason)


def mark_failed(cur: Cursor, import_id: int, reason: str) -> None:
    """An unexpected error (database down, bug): the version can be retried."""
    _move(cur, import_id, ImportStatus.FAILED, ", error = %(reason)s, finished_at = now()",
          reason=reason)


def status_of(cur: Cursor, import_id: int) -> ImportStatus | None:
    cur.execute("SELECT status FROM salesops.import_log WHERE import_id = %s", (import_id,))
    row = cur.fetchone()
    return ImportStatus(row[0]) if row else None


def mark_source_missing(cur: Cursor, keys: list[str]) -> int:
    """Files deleted from the folder keep their data; the log says their source is gone."""
    cur.execute("UPDATE salesops.import_log SET source_missing = true"
                " WHERE source_file = ANY(%s) AND NOT source_missing", (keys,))
    return cur.rowcount


# -- Reads for the runs and `salesops ingest` (every statement on import_log lives here) --------


def staged_import(cur: Cursor, key: str, run_id: str) -> int | None:
    """The file's version to publish: staged, or being staged right now (publish waits for it
    on the file lock); this run's own version first when a stale one is also pending."""
    cur.execute("SELECT import_id FROM salesops.import_log WHERE source_file = %s"
                " AND status = ANY(%s)"
                " ORDER BY status = %s DESC, run_id = %s DESC, import_id DESC LIMIT 1",
                (key, [ImportStatus.STAGED, ImportStatus.RUNNING], ImportStatus.STAGED, run_id))
    row = cur.fetchone()
    return row[0] if row else None


def rows_staged(cur: Cursor, import_id: int) -> int | None:
    """The rows a staged version will publish (None: it is not staged)."""
    counts = staged_counts(cur, import_id)
    return counts[0] if counts else None


def staged_counts(cur: Cursor, import_id: int) -> tuple[int, int] | None:
    """(good rows, quarantined rows) as staging recorded them (None: not staged)."""
    cur.execute("SELECT rows_read - rows_rejected, rows_rejected FROM salesops.import_log"
                " WHERE import_id = %s AND status = %s", (import_id, ImportStatus.STAGED))
    row = cur.fetchone()
    return (int(row[0]), int(row[1])) if row else None


def failed_files(cur: Cursor, keys: list[str]) -> list[tuple[str, str]]:
    """Of ``keys``, the files whose newest import failed, with the error."""
    cur.execute("SELECT DISTINCT ON (source_file) source_file, status, coalesce(error, '')"
                " FROM salesops.import_log WHERE source_file = ANY(%s)"
                " ORDER BY source_file, import_id DESC", (keys,))
    return [(k, e) for k, status, e in cur.fetchall() if status == ImportStatus.FAILED]


class ImportSummary(NamedTuple):
    """One import's row as the UI's metadata shows it (seconds: so far, while running)."""

    file: str
    sha256: str
    status: str
    rows_read: int | None
    rows_loaded: int | None
    rows_rejected: int | None
    rows_skipped: int | None
    seconds: float | None


def summary(cur: Cursor, import_id: int) -> ImportSummary | None:
    cur.execute("SELECT source_file, sha256, status, rows_read, rows_loaded, rows_rejected,"
                " rows_skipped, extract(epoch FROM coalesce(finished_at, now()) - started_at)"
                " FROM salesops.import_log WHERE import_id = %s", (import_id,))
    row = cur.fetchone()
    return ImportSummary(*row) if row else None


class VersionOutcome(NamedTuple):
    """Where one file version ended, as `salesops ingest` reports it."""

    status: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    error: str | None
    rows_skipped: int | None


def outcome_of(cur: Cursor, key: str, sha256: str) -> VersionOutcome | None:
    cur.execute("SELECT status, rows_read, rows_loaded, rows_rejected, error, rows_skipped"
                " FROM salesops.import_log WHERE source_file = %s AND sha256 = %s", (key, sha256))
    row = cur.fetchone()
    return VersionOutcome(*row) if row else None


def drift_references(cur: Cursor, key: str, import_id: int, *, siblings: int = 50
                     ) -> tuple[Version | None, list[Version]]:
    """What core/load/drift.py compares a version with: the file's last loaded version, and the
    loaded versions of the other files of its folder (at most ``siblings``, newest first)."""
    # A version whose facts were the file's: loaded, withdrawn, or replaced by a newer one
    # (superseded_by set; a staged version found outdated is superseded without it).
    cur.execute("SELECT import_id, source_file, sheets FROM salesops.import_log"
                " WHERE source_file = %s AND import_id <> %s AND sheets IS NOT NULL"
                " AND (status = ANY(%s) OR (status = %s AND superseded_by IS NOT NULL))"
                " ORDER BY finished_at DESC NULLS LAST, import_id DESC LIMIT 1",
                (key, import_id, [ImportStatus.LOADED, ImportStatus.WITHDRAWN],
                 ImportStatus.SUPERSEDED))
    previous = cur.fetchone()
    cur.execute("SELECT import_id, source_file, sheets FROM salesops.import_log"
                " WHERE status = %s AND source_file <> %s AND sheets IS NOT NULL"
                " AND coalesce(substring(source_file FROM '^(.*)/[^/]*$'), '')"
                "     = coalesce(substring(%s FROM '^(.*)/[^/]*$'), '')"
                " ORDER BY finished_at DESC NULLS LAST, import_id DESC LIMIT %s",
                (ImportStatus.LOADED, key, key, siblings))
    return ((previous[0], previous[1], previous[2]) if previous else None,
            [(i, f, sheets) for i, f, sheets in cur.fetchall()])
