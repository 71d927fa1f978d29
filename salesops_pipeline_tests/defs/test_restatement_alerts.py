"""A week e-mailed by the weekly job, then restated: one alert to a local webhook, the next
weekly summary lists the restatement, and the sent workbook is rebuilt exactly from as_of.
Real Dagster jobs (report refresh, weekly export) on a real PostgreSQL; the file versions are
staged straight into the warehouse and published by the real publish code (restate_support)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

from dagster import materialize
from openpyxl import load_workbook

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.report.figures import money_text
from salesops_pipeline.core.report.restatement_text import SECTION
from salesops_pipeline.core.report.week_files import rebuild_workbook
from salesops_pipeline.defs.exports import weekly_report_export
from salesops_pipeline.defs.restatement_alerts import TITLE
from salesops_pipeline_tests.core.notify.webhook_receiver import webhook_receiver
from salesops_pipeline_tests.core.report.restate_support import (
    NEW_A,
    OLD_A,
    TOLERANCE,
    W1,
    W2,
    B,
    publish_file,
    week_totals,
)


def _export(ingest, week: str):
    result = materialize([weekly_report_export], partition_key=week, instance=ingest.instance,
                         resources=ingest.resources())
    assert result.success
    return result


def _cells(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()]
            for ws in book.worksheets}


def test_restated_reported_week_alerts_once_and_is_listed_next_week(ingest, sql,
                                                                   alert_env) -> None:
    ingest.tolerance = str(TOLERANCE)
    old = publish_file(ingest.database_url, "a.csv", OLD_A)
    publish_file(ingest.database_url, "b.csv", B)
    assert ingest.refresh().success
    _export(ingest, W1.isoformat())
    ((figures_at,),) = sql("SELECT figures_at FROM salesops.report_week_sent"
                           " WHERE week = %s AND channel = 'export'", (W1,))
    sent = (ingest.folder.parent / "exports" / f"week-{W1}"
            / f"weekly_report_{W1}_to_2026-11-08.xlsx").read_bytes()

    with webhook_receiver() as receiver:
        alert_env(webhook=receiver.url)
        new = publish_file(ingest.database_url, "a.csv", NEW_A)
        assert ingest.refresh().success
        assert ingest.refresh().success  # nothing new: no second alert
    [body] = receiver.bodies
    b, a = week_totals(OLD_A, W1), week_totals(NEW_A, W1)
    assert (body["title"], body["subject"], body["kind"]) == (
        TITLE, "week of 2026-11-02", "restatement")
    assert body["figures"]["revenue"] == (f"{money_text(b[0])} → {money_text(a[0])} "
                                          f"(-{money_text(b[0] - a[0])})")
    assert (body["figures"]["lines"], b[2], a[2]) == ("4 → 4 (0)", 4, 4)
    assert body["figures"]["files"] == f"a.csv (import {new}, replaced import {old})"
    assert sql("SELECT count(*) FROM salesops.restatement WHERE alerted_at IS NOT NULL") == [(1,)]

    # The sent workbook, rebuilt as of the moment of its figures: the same cell values.
    with connect(ingest.database_url) as conn:
        rebuilt = rebuild_workbook(conn, day=W1, tolerance=TOLERANCE, as_of=figures_at)
        today = rebuild_workbook(conn, day=W1, tolerance=TOLERANCE, as_of=datetime.now(UTC))
    assert _cells(rebuilt) == _cells(sent)
    assert _cells(today) != _cells(sent)

    # The next week's summary lists the restatement recorded since the last export.
    export = _export(ingest, W2.isoformat())
    summary = export.asset_materializations_for_node("weekly_report_export")[0] \
        .metadata["summary"].value
    assert SECTION in summary
    assert "2026-W45 (2026-11-02 to 2026-11-08)" in summary
    assert f"revenue {money_text(b[0])} → {money_text(a[0])}" in summary
    assert f"a.csv (import {new}, replaced import {old})" in summary
    again = _export(ingest, W2.isoformat())  # nothing restated since: no section
    assert SECTION not in again.asset_materializations_for_node(
        "weekly_report_export")[0].metadata["summary"].value
    assert b[0] > a[0] > Decimal(0)  # the revenue change above is a decrease
