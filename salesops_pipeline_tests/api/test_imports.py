"""/imports and /imports/{id}/rejections: the import log and the quarantine, admin only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from salesops_pipeline_tests.api.builders import write_import, write_rejection

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
        "rows_read": 5, "rows_loaded": 3, "rows_rejected": 2, "error": None, "run_id": "run-1",
        "imported_at": "2026-03-02T08:00:00Z", "finished_at": "2026-03-02T08:00:00Z",
        "duplicate_of": None, "superseded_by": None, "withdrawn_at": None}
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
