"""/imports and /imports/{id}/rejections: the import log and the quarantine, admin only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import get_args

from fastapi.testclient import TestClient

from salesops_pipeline.api.schemas import ImportStatus as ApiImportStatus
from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.load.withdraw import withdraw_file
from salesops_pipeline_tests.api.builders import (
    random_lines,
    write_facts,
    write_import,
    write_rejection,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _log(sql) -> dict[str, int]:
    ids = {}
    ids["loaded"] = write_import(sql, "jan.xlsx", sha="1" * 64, rows_read=5, rows_loaded=3,
                                 rows_rejected=2, run_id="run-1", started_at=T0)
    ids["duplicate"] = write_import(sql, "copy.xlsx", sha="1" * 64, status="duplicate",
                                    duplicate_of=ids["loaded"], started_at=T0 + timedelta(1))
    ids["rejected"] = write_import(sql, "bad.xlsx", sha="2" * 64, status="rejected",
                                   error="no sales sheet", started_at=T0 + timedelta(2))
    ids["staged"] = write_import(sql, "feb.xlsx", sha="3" * 64, status="staged",
                                 started_at=T0 + timedelta(3))
    return ids


def test_imports_newest_first_with_staged_shown_as_running(admin: TestClient, sql) -> None:
    ids = _log(sql)
    body = admin.get("/imports").json()
    assert (body["count"], body["total"], body["limit"], body["offset"]) == (4, 4, 50, 0)
    assert [(r["id"], r["status"]) for r in body["data"]] == [
        (ids["staged"], "running"), (ids["rejected"], "rejected"),
        (ids["duplicate"], "duplicate"), (ids["loaded"], "loaded")]
    loaded = body["data"][-1]
    assert loaded == {
        "id": ids["loaded"], "source_file": "jan.xlsx", "sha256": "1" * 64, "status": "loaded",
        "rows_read": 5, "rows_loaded": 3, "rows_rejected": 2, "rows_skipped": 0, "error": None,
        "run_id": "run-1",
        "imported_at": "2026-03-02T08:00:00Z", "finished_at": "2026-03-02T08:00:00Z",
        "duplicate_of": None, "superseded_by": None, "withdrawn_at": None, "drift": None}
    assert body["data"][1]["error"] == "no sales sheet"
    assert body["data"][2]["duplicate_of"] == ids["loaded"]


def test_imports_paginate(admin: TestClient, sql) -> None:
    ids = _log(sql)
    page = admin.get("/imports", params={"limit": 2, "offset": 1}).json()
    assert [r["id"] for r in page["data"]] == [ids["rejected"], ids["duplicate"]]
    assert (page["count"], page["total"]) == (2, 4)
    assert admin.get("/imports", params={"offset": 10}).json()["data"] == []


def test_rejections_of_an_import(admin: TestClient, sql) -> None:
    ids = _log(sql)
    write_rejection(sql, ids["loaded"], 7, {"Units": "many"}, ["units: not a number"])
    write_rejection(sql, ids["loaded"], 4, {"Date": ""}, ["date: empty", "seller: empty"])
    body = admin.get(f"/imports/{ids['loaded']}/rejections").json()
    assert body["import_id"] == ids["loaded"]
    assert body["count"] == 2
    assert [(r["source_row_number"], r["raw_values"], r["reasons"], r["source_file"])
            for r in body["data"]] == [
        (4, {"Date": ""}, ["date: empty", "seller: empty"], "jan.xlsx"),
        (7, {"Units": "many"}, ["units: not a number"], "jan.xlsx")]
    one = admin.get(f"/imports/{ids['loaded']}/rejections", params={"limit": 1, "offset": 1})
    assert [r["source_row_number"] for r in one.json()["data"]] == [7]
    assert admin.get(f"/imports/{ids['rejected']}/rejections").json()["data"] == []


def test_rejections_of_an_unknown_import_is_404(admin: TestClient) -> None:
    r = admin.get("/imports/999/rejections")
    assert r.status_code == 404
    assert r.json() == {"detail": "no import with id 999"}


def test_a_withdrawn_file_is_listed_withdrawn_and_its_lines_are_gone(admin: TestClient, db,
                                                                      sql) -> None:
    lines = random_lines(60, start=date(2026, 3, 2), days=7)
    ids = write_facts(sql, lines)
    write_rejection(sql, ids["file1.xlsx"], 40, {"Units": "many"}, ["units: not a number"])
    with connect(db) as conn:
        result = withdraw_file(conn, "file1.xlsx")
    assert result.rows_removed == sum(1 for x in lines if x.source_file == "file1.xlsx")
    body = admin.get("/imports").json()
    rows = {r["source_file"]: r for r in body["data"]}
    assert {name: r["status"] for name, r in rows.items()} == {
        "file0.xlsx": "loaded", "file1.xlsx": "withdrawn", "file2.xlsx": "loaded"}
    withdrawn = rows["file1.xlsx"]
    assert withdrawn["withdrawn_at"] is not None and rows["file0.xlsx"]["withdrawn_at"] is None
    assert "salesops ingest --reimport file1.xlsx" in withdrawn["error"]
    # The quarantined rows stay readable (audit trail); the lines are gone from the facts.
    assert admin.get(f"/imports/{withdrawn['id']}/rejections").json()["count"] == 1
    got = admin.get("/reports/lines", params={"start_date": "2026-03-02",
                                              "end_date": "2026-03-08", "limit": 1000}).json()
    kept = [x for x in lines if x.source_file != "file1.xlsx"]
    assert sorted((r["source_file"], r["source_row_number"]) for r in got["data"]) == sorted(
        (x.source_file, x.source_row_number) for x in kept)
    assert sum(Decimal(r["total_price"]) for r in got["data"]) == sum(
        (x.total_price for x in kept), Decimal(0))


def test_api_statuses_are_the_import_log_statuses_with_staged_shown_as_running() -> None:
    assert set(get_args(ApiImportStatus)) == {s.value for s in ImportStatus} - {"staged"}
