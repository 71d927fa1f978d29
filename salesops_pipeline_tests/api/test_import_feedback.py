"""/imports/{id} and /imports/{id}/feedback on real imports (the ingest job): the drift an import
recorded, and the feedback page of a file with quarantined and skipped rows and control totals
that differ — reasons, rows, fix texts and figures from the generators, names escaped, the
rows listed capped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance
from fastapi.testclient import TestClient

from salesops_pipeline.core.load.drift import FIXES, DriftKind
from salesops_pipeline.core.report.feedback import (
    REASON_KINDS,
    ROWS_SHOWN,
    TOTALS_FIX,
    reason_kind,
)
from salesops_pipeline.core.report.figures import money_text
from salesops_pipeline_tests.drift_support import SALES, SOURCE, write_csv
from salesops_pipeline_tests.exports import write_subtotal_workbook
from salesops_pipeline_tests.ingest_support import Ingestor

KINDS = {k.name: k for k in REASON_KINDS}


@pytest.fixture
def ingest(api_db: str, folder: Path) -> Iterator[Ingestor]:
    with DagsterInstance.ephemeral() as instance:
        yield Ingestor(api_db, folder, instance)


def _id(admin: TestClient, name: str) -> int:
    return next(r["id"] for r in admin.get("/imports").json()["data"]
                if r["source_file"] == name and r["status"] == "loaded")


def test_imports_show_the_drift_of_a_second_version(ingest: Ingestor, folder: Path,
                                                    admin: TestClient, viewer: TestClient) -> None:
    write_csv(folder / "jan.csv", SOURCE)
    ingest.run("jan.csv")
    first = _id(admin, "jan.csv")
    write_csv(folder / "jan.csv", [(t, c) for t, c in SOURCE if c != "shipping_company"])
    ingest.run("jan.csv")
    second = _id(admin, "jan.csv")
    listed = {r["id"]: r["drift"] for r in admin.get("/imports").json()["data"]}
    assert listed[first] == {"changes": [], "references": []}
    missing = {"kind": "missing", "against": "previous", "sheet": None,
               "column": "shipping_company", "before": "Shipping Company", "after": None,
               "before_position": 6, "after_position": None}
    assert listed[second] == {"changes": [missing], "references": [
        {"against": "previous", "file": "jan.csv", "import_id": first, "files_alike": 1,
         "files_compared": 1}]}
    one = admin.get(f"/imports/{second}").json()
    assert one["drift"] == listed[second] and one["status"] == "loaded"
    (table,) = one["sheets"]
    assert (table["header_row"], table["date_order"], table["decimal_separator"]) == (1, "dmy",
                                                                                        ".")
    assert [c["header"] for c in table["columns"]] == [t for t, c in SOURCE
                                                       if c != "shipping_company"]
    page = admin.get(f"/imports/{second}/feedback").text
    assert "- against the last version: column 'Shipping Company' (shipping\\_company) missing " \
           "(was in G)" in page
    assert f"- **missing**: {FIXES[DriftKind.MISSING]}" in page
    assert admin.get("/imports/999999").status_code == 404
    assert admin.get("/imports/999999/feedback").status_code == 404
    assert viewer.get(f"/imports/{second}/feedback").status_code == 403


def test_the_feedback_page_of_a_file_with_quarantined_skipped_rows_and_totals(
        ingest: Ingestor, folder: Path, admin: TestClient) -> None:
    out = write_subtotal_workbook(folder / "bad.xlsx", seed=7, unreadable_line=5)
    (bad,) = out.quarantined
    ingest.run("bad.xlsx")
    import_id = _id(admin, "bad.xlsx")
    answer = admin.get(f"/imports/{import_id}/feedback")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'inline; filename="import-{import_id}-feedback.md"')
    page = answer.text
    assert page.startswith(f"# Import feedback: bad.xlsx\n\nImport {import_id}, status "
                           "**loaded**")
    rows = len(out.lines) + len(out.quarantined)
    for label, value in (("sales rows read", rows), ("loaded", len(out.lines)),
                         ("quarantined (not loaded)", 1),
                         ("skipped (totals, notes, repeated headers: not sales)",
                          len(out.skipped))):
        assert f"| {label} | {value:,} |" in page
    assert "## Quarantined rows (1)" in page
    (line,) = [x for x in page.splitlines() if x.startswith(f"| Sales | {bad.row} | ")]
    reason = line.split(" | ")[2]
    assert reason.startswith("sold\\_at: ")  # the unreadable sale time, escaped Markdown
    kind = KINDS["date"]
    assert f"- **{kind.title}** (1 row(s)): {kind.fix}" in page
    assert f"## Skipped rows ({len(out.skipped)})" in page
    for skip in out.skipped:
        assert f"| Sales | {skip.row} | {skip.kind} | " in page
    differing = [t for t in out.control_totals if t.difference]
    assert len(differing) == 2 and all(t.difference > 0 for t in differing)
    assert f"## Control totals ({len(out.control_totals)}, 2 differing)" in page
    totals_part = page.split("## Control totals")[1].split("## Header changes")[0]
    for total in out.control_totals:
        figures = (f"| {money_text(total.stated)} | {money_text(total.loaded)} | "
                   f"{money_text(total.difference)} |")
        (found,) = [x for x in totals_part.splitlines()
                    if x.startswith(f"| Sales | {total.row} | ")]
        assert figures in found
        assert found.endswith(f"| {bad.row} |" if total in differing else "|  |")
    assert TOTALS_FIX in page
    assert "## Header changes\n\nNothing to compare with" in page


def test_names_are_escaped_and_the_rows_listed_are_capped(ingest: Ingestor, folder: Path,
                                                          admin: TestClient) -> None:
    hostile = "[Reset password](https://evil.example) <b>|x|</b>"
    sales = [dict(SALES[i % 3], product=hostile, units="many", total_price="10")
             for i in range(ROWS_SHOWN + 3)]
    write_csv(folder / "many.csv", SOURCE, sales=sales)
    ingest.run("many.csv")
    import_id = next(r["id"] for r in admin.get("/imports").json()["data"])
    page = admin.get(f"/imports/{import_id}/feedback").text
    assert f"## Quarantined rows ({ROWS_SHOWN + 3})" in page
    listed = [x for x in page.splitlines() if x.startswith("|  | ") and "many" in x]
    assert len(listed) == ROWS_SHOWN
    assert f"…and 3 more (GET /imports/{import_id}/rejections lists them all)." in page
    assert "[Reset password](" not in page and "<b>" not in page
    assert "\\[Reset password\\](https://evil.example) \\<b\\>\\|x\\|\\</b\\>" in page
    kind = KINDS["number"]
    assert f"- **{kind.title}** ({ROWS_SHOWN} row(s)): {kind.fix}" in page


@pytest.mark.parametrize(("reason", "kind"), [
    ("units: unreadable number 'many'", "number"),
    ("units: str is not a number 'missing'", "number"),  # a value is not the kind
    ("unit_price: ambiguous number '1.234': '.' may group thousands", "ambiguous_number"),
    ("sold_at: missing", "missing"),
    ("sold_at: time column 'Time' (B): missing", "missing"),
    ("sold_at: unreadable date/time '31/02/2026'", "date"),
    ("sold_at: ambiguous date '11/01/2026': 2026-01-11 day-first", "date_order"),
    ("sold_at: date '11/13/2026' can only be read month-first, but", "date_order"),
    ("units: out of range '1e30' (size must stay below 1e12)", "range"),
    ("product: longer than 200 characters", "name"),
    ("row: internal error ValueError()", "other"),
])
def test_each_reason_has_its_kind(reason: str, kind: str) -> None:
    assert reason_kind(reason).name == kind

