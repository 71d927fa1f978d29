"""The import state machine: only core/load/import_log.py writes the log, and it moves a file
version only along the allowed transitions (checked against a real PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

import salesops_pipeline
from salesops_pipeline.core.db.connect import Cursor, connect
from salesops_pipeline.core.extract.intake.file_keys import FileVersion
from salesops_pipeline.core.load import import_log, staging
from salesops_pipeline.core.load.import_log import TRANSITIONS, Action, ImportStatus
from salesops_pipeline.core.load.staging import StageResult
from salesops_pipeline.errors import ImportStateConflict
from salesops_pipeline.settings import sql_dir
from salesops_pipeline_tests.workbooks import write_clean_workbook

RUNNING, STAGED, LOADED, REJECTED = (ImportStatus.RUNNING, ImportStatus.STAGED,
                                     ImportStatus.LOADED, ImportStatus.REJECTED)
DUPLICATE, SUPERSEDED, FAILED, WITHDRAWN = (ImportStatus.DUPLICATE, ImportStatus.SUPERSEDED,
                                            ImportStatus.FAILED, ImportStatus.WITHDRAWN)
WRITES = re.compile(r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+(ONLY\s+)?"
                    r"(salesops\.)?import_log\b", re.IGNORECASE)
ROW = ("SELECT status, error, finished_at, rows_loaded, withdrawn_at, superseded_by"
       " FROM salesops.import_log WHERE import_id = %s")

# Each step's allowed starting statuses, written out here (not read from TRANSITIONS).
STEPS: dict[str, tuple[set[ImportStatus], ImportStatus, Callable[[Cursor, int], None]]] = {
    "mark_staged": ({RUNNING, FAILED}, STAGED,
                    lambda cur, i: import_log.mark_staged(cur, i, StageResult())),
    "mark_loaded": ({STAGED}, LOADED, lambda cur, i: import_log.mark_loaded(cur, i, 0)),
    "mark_outdated": ({STAGED}, SUPERSEDED,
                      lambda cur, i: import_log.mark_outdated(cur, i, "file changed")),
    "mark_withdrawn": ({LOADED}, WITHDRAWN,
                       lambda cur, i: import_log.mark_withdrawn(cur, i, "removed on purpose")),
    "mark_rejected": ({RUNNING, STAGED, FAILED, REJECTED}, REJECTED,
                      lambda cur, i: import_log.mark_rejected(cur, i, "not a workbook")),
    "mark_failed": ({RUNNING, STAGED}, FAILED,
                    lambda cur, i: import_log.mark_failed(cur, i, "database went away")),
}


def _sources() -> list[Path]:
    package = Path(salesops_pipeline.__file__).parent
    return sorted(package.rglob("*.py")) + sorted(sql_dir().rglob("*.sql"))


def test_nothing_but_import_log_py_writes_the_import_log() -> None:
    root = Path(salesops_pipeline.__file__).parent.parent
    writers = {str(p.relative_to(root)) for p in _sources() if WRITES.search(p.read_text())}
    # The reset script empties every table (a TRUNCATE listing them) and may name it too.
    assert writers - {"sql/02_clean_tables.sql"} == {"salesops_pipeline/core/load/import_log.py"}


def test_the_scan_finds_writes_however_they_are_spelled() -> None:
    for statement in ("INSERT INTO salesops.import_log (x)", "update salesops.import_log set",
                      "DELETE  FROM\n salesops.import_log WHERE", "TRUNCATE import_log"):
        assert WRITES.search(statement), statement
    assert not WRITES.search("UPDATE salesops.import_log_archive SET")
    assert not WRITES.search("DELETE FROM salesops.stage_sales_line s USING salesops.import_log")


def test_every_status_has_its_transitions_and_is_reachable() -> None:
    assert set(TRANSITIONS) == {None, *ImportStatus}
    reached, todo = set(), [None]
    while todo:
        for status in TRANSITIONS[todo.pop()] - reached:
            reached.add(status)
            todo.append(status)
    assert reached == set(ImportStatus)
    assert TRANSITIONS[LOADED] == {SUPERSEDED, WITHDRAWN}  # loaded facts leave only so


def _row(sql, status: ImportStatus, key: str, sha: str = "a" * 64) -> int:
    """A version of ``key`` in ``status``, written directly: the test sets the scene (a
    duplicate's original under another name has been withdrawn since)."""
    original = None
    if status is DUPLICATE:
        original = sql("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status)"
                       " VALUES (%s, %s, 1, 'withdrawn') RETURNING import_id",
                       (f"original-of-{key}", sha))[0][0]
    error = "why" if status in (REJECTED, FAILED) else None
    return sql("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status,"
               " duplicate_of, error) VALUES (%s, %s, 1, %s, %s, %s) RETURNING import_id",
               (key, sha, status.value, original, error))[0][0]


@pytest.mark.parametrize("step", list(STEPS))
def test_each_step_moves_only_from_its_allowed_statuses(db, sql, step: str) -> None:
    allowed, target, run = STEPS[step]
    for status in ImportStatus:
        import_id = _row(sql, status, f"{step}-{status}.xlsx")
        before = sql(ROW, (import_id,))
        if status in allowed:
            with connect(db) as conn:
                run(conn.cursor(), import_id)
            assert sql(ROW, (import_id,))[0][0] == target, (step, status)
        else:
            with pytest.raises(ImportStateConflict, match=f"is already {status}") as refused, \
                    connect(db) as conn:
                run(conn.cursor(), import_id)
            assert (refused.value.import_id, refused.value.status,
                    refused.value.target) == (import_id, status, target)
            assert sql(ROW, (import_id,)) == before, (step, status)  # nothing changed


def test_a_refused_step_on_an_unknown_import_says_so(db) -> None:
    with pytest.raises(ImportStateConflict, match="not in the import log"), connect(db) as conn:
        import_log.mark_loaded(conn.cursor(), 999_999, 1)


@pytest.mark.parametrize(("status", "reimport", "action", "after"), [
    (RUNNING, False, Action.IMPORT, RUNNING),        # a dead run's version: imported again
    (REJECTED, False, Action.IMPORT, RUNNING),
    (DUPLICATE, False, Action.IMPORT, RUNNING),      # its original withdrawn: imported itself
    (SUPERSEDED, False, Action.IMPORT, RUNNING),     # the file went back to these bytes
    (FAILED, False, Action.IMPORT, RUNNING),
    (STAGED, False, Action.STAGED, STAGED),          # published, not staged again
    (LOADED, False, Action.ALREADY_LOADED, LOADED),
    (WITHDRAWN, False, Action.WITHDRAWN, WITHDRAWN),
    (WITHDRAWN, True, Action.IMPORT, RUNNING),       # `salesops ingest --reimport`: same row
])
def test_decide_on_a_version_seen_again(db, sql, status, reimport, action, after) -> None:
    import_id = _row(sql, status, "seen.xlsx")
    version = FileVersion(Path("seen.xlsx"), "seen.xlsx", "a" * 64, 1)
    with connect(db) as conn:
        decision = import_log.decide(conn.cursor(), version, "run-2", reimport=reimport)
    assert (decision.action, decision.import_id) == (action, import_id)
    state = sql("SELECT status, error, duplicate_of, run_id FROM salesops.import_log"
                " WHERE import_id = %s", (import_id,))[0]
    assert state[0] == after
    if after is RUNNING:
        assert state[1:] == (None, None, "run-2")


def test_decide_records_a_new_version_or_a_duplicate(db, sql) -> None:
    original = _row(sql, LOADED, "first.xlsx", sha="c" * 64)
    with connect(db) as conn:
        new = import_log.decide(conn.cursor(), FileVersion(Path("n"), "new.xlsx", "d" * 64, 5),
                                "run-1")
        copy = import_log.decide(conn.cursor(), FileVersion(Path("c"), "copy.xlsx", "c" * 64, 5),
                                 "run-1")
    assert new.action is Action.IMPORT and copy.action is Action.DUPLICATE
    rows = sql("SELECT source_file, status, duplicate_of, finished_at IS NOT NULL"
               " FROM salesops.import_log WHERE import_id = ANY(%s) ORDER BY source_file",
               ([new.import_id, copy.import_id],))
    assert rows == [("copy.xlsx", "duplicate", original, True), ("new.xlsx", "running", None,
                                                                 False)]


def test_a_version_moved_on_between_look_and_write_is_not_restarted(db, sql) -> None:
    import_id = _row(sql, LOADED, "raced.xlsx")
    version = FileVersion(Path("raced.xlsx"), "raced.xlsx", "a" * 64, 1)
    with pytest.raises(ImportStateConflict, match="is already loaded"), connect(db) as conn:
        import_log._seen(conn.cursor(), version, "run-3", RUNNING, None)
    assert sql(ROW, (import_id,))[0][0] == LOADED


def test_only_the_loaded_version_is_superseded(db, sql) -> None:
    loaded = _row(sql, LOADED, "f.xlsx", sha="1" * 64)
    failed = _row(sql, FAILED, "f.xlsx", sha="2" * 64)
    newer = _row(sql, STAGED, "f.xlsx", sha="3" * 64)
    with connect(db) as conn:
        assert import_log.supersede_loaded(conn.cursor(), "f.xlsx", by=newer) == loaded
    with connect(db) as conn:
        assert import_log.supersede_loaded(conn.cursor(), "f.xlsx", by=newer) is None
    assert sql("SELECT import_id, status, superseded_by FROM salesops.import_log"
               " WHERE source_file = 'f.xlsx' ORDER BY import_id") == [
        (loaded, "superseded", newer), (failed, "failed", None), (newer, "staged", None)]


def test_staging_a_version_another_run_settled_is_refused_before_parsing(db, sql,
                                                                         folder) -> None:
    path = write_clean_workbook(folder / "done.xlsx", [{
        "sold_at": datetime(2026, 3, 2, 10), "product": "Laptop", "seller": "Ada",
        "unit_price": Decimal("10.00"), "units": 1, "total_price": Decimal("10.00"),
        "shipping_company": "DHL"}])
    import_id = _row(sql, LOADED, "done.xlsx")
    with pytest.raises(ImportStateConflict, match="cannot become staged"), connect(db) as conn:
        staging.stage_file(conn, import_id=import_id, key="done.xlsx", path=path)
    assert sql("SELECT count(*) FROM salesops.stage_sales_line") == [(0,)]
    assert sql(ROW, (import_id,))[0][0] == LOADED
