"""The weekly job's report workbook, summary and e-mail, against PostgreSQL and a local SMTP server.

Expected figures are Decimal sums over the generated rows; the SMTP server is a real aiosmtpd
server the test starts on a free port (see core/smtp_server.py).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from dagster import AssetCheckSeverity, EnvVar
from pydantic import ValidationError

from salesops_pipeline.defs.resources import ReportMailResource, resources_from_env
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.core.notify.smtp_server import (
    attachments,
    body,
    free_port,
    smtp_server,
)
from salesops_pipeline_tests.defs.test_reports import generate
from salesops_pipeline_tests.defs.test_schedules import run_weekly
from salesops_pipeline_tests.workbooks import write_clean_workbook

WEEK, PREVIOUS = date(2026, 3, 9), date(2026, 3, 2)
NAME = "weekly_report_2026-03-09_to_2026-03-15"
TO = ["analysts@example.org", "boss@example.org"]


def _mail(port: int, **overrides) -> ReportMailResource:
    values = {"to": ", ".join(TO), "host": "127.0.0.1", "port": port, "security": "none",
              "sender": "salesops@example.org", "attempts": 3, "retry_seconds": 0.01,
              "timeout_seconds": 5}
    return ReportMailResource(**(values | overrides))


def _run_week(ingest, tmp_path: Path):
    """Load two weeks, refresh them, run the weekly job for the second; its rows and result."""
    rows = generate(31, 400, PREVIOUS, 14)
    write_clean_workbook(ingest.folder / "w.xlsx", rows)
    ingest.run("w.xlsx")
    assert ingest.refresh().success
    result = run_weekly(ingest, datetime(2026, 3, 16, 6, 0, tzinfo=UTC))
    assert result.success
    return rows, result, tmp_path / "exports" / f"week-{WEEK.isoformat()}"


def _totals(rows, monday: date) -> dict[str, Decimal]:
    week = [r for r in rows if 0 <= (r["sold_at"].date() - monday).days < 7]
    return {"revenue": sum((r["total_price"] for r in week), Decimal(0)),
            "units": sum((Decimal(r["units"]) for r in week), Decimal(0)),
            "lines": Decimal(len(week))}


def _leader(rows, key: str) -> tuple[list[str], Decimal]:
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        if 0 <= (r["sold_at"].date() - WEEK).days < 7:
            revenue[r[key]] += r["total_price"]
    best = max(revenue.values())
    return sorted(k for k, v in revenue.items() if v == best), best


def _meta(result) -> dict:
    [m] = result.asset_materializations_for_node("weekly_report_export")
    return {k: v.value for k, v in m.metadata.items()}


def _check(result):
    [check] = [e for e in result.get_asset_check_evaluations()
               if e.check_name == "weekly_report_delivered"]
    return check


def test_summary_and_workbook_match_independent_figures(ingest, tmp_path: Path) -> None:
    rows, result, folder = _run_week(ingest, tmp_path)
    this, before = _totals(rows, WEEK), _totals(rows, PREVIOUS)
    text = (folder / f"{NAME}.md").read_text(encoding="utf-8")
    assert text.startswith("# Weekly sales report 2026-03-09 to 2026-03-15\n")
    for label, key in (("Revenue", "revenue"), ("Units", "units"), ("Lines", "lines")):
        found = re.search(rf"^- {label}: (\S+) \(previous week (\S+); change (\S+), "
                          rf"([+-]?[\d.]+)%\)$", text, re.M)
        assert found, (label, text)
        now, prev, change, percent = (Decimal(g) for g in found.groups())
        assert (now, prev, change) == (this[key], before[key], this[key] - before[key]), label
        exact = (this[key] - before[key]) * 100 / before[key]
        assert abs(percent - exact) <= Decimal("0.05"), label
    sellers, seller_revenue = _leader(rows, "seller")
    products, product_revenue = _leader(rows, "product")
    assert f"- Top seller: {', '.join(sellers)}" in text
    assert f"revenue {seller_revenue:.2f}\n" in text
    assert f"- Top product: {', '.join(products)}" in text
    missing = sum(1 for r in rows if r["shipping_company"] is None
                  and 0 <= (r["sold_at"].date() - WEEK).days < 7)
    assert (f"- Data quality: warn (mismatched totals 0, non-positive units 0, negative amounts 0,"
            f" missing shipping company {missing}, rejected rows 0; price tolerance 0.01)") in text
    book = openpyxl.load_workbook(folder / f"{NAME}.xlsx")
    assert book.sheetnames == ["Summary", "Seller ranking", "Top products",
                               "Shipping breakdown", "Data quality"]
    summary = {r[0]: r[1:] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(summary["revenue"][0])) == this["revenue"]
    assert Decimal(str(summary["revenue"][1])) == before["revenue"]
    assert summary["line_count"][:3] == (this["lines"], before["lines"],
                                         this["lines"] - before["lines"])
    assert book["Seller ranking"]["B2"].value == sellers[0]
    meta = _meta(result)
    assert meta["summary"] == text and meta["delivery"] == "not configured"
    assert meta["workbook"] == str(folder / f"{NAME}.xlsx")
    assert meta["week"] == "2026-W11" and Decimal(meta["revenue_exact"]) == this["revenue"]
    assert _check(result).passed


def test_weekly_job_emails_summary_with_the_workbook(ingest, tmp_path: Path) -> None:
    with smtp_server() as server:
        ingest.mail = _mail(server.port)
        _, result, folder = _run_week(ingest, tmp_path)
    [got] = server.handler.received
    assert got.rcpt_tos == TO and got.mail_from == "salesops@example.org"
    assert got.message["Subject"] == "Weekly sales report 2026-03-09 to 2026-03-15"
    assert body(got.message) == (folder / f"{NAME}.md").read_text(encoding="utf-8")
    assert attachments(got.message) == {f"{NAME}.xlsx": (folder / f"{NAME}.xlsx").read_bytes()}
    meta = _meta(result)
    assert meta["delivery"] == "sent" and meta["delivery_attempts"] == 1
    assert meta["delivery_recipients"] == TO
    assert _check(result).passed


def test_names_written_like_markdown_are_inert_in_the_summary_and_the_ui(ingest) -> None:
    link = "[Reset password](https://evil.example)"
    write_clean_workbook(ingest.folder / "w.xlsx", [
        {"sold_at": datetime(2026, 3, 10, 9), "product": "<b>Dock</b>", "seller": link,
         "unit_price": Decimal("5.00"), "units": 1, "total_price": Decimal("5.00"),
         "shipping_company": "DHL"}])
    ingest.run("w.xlsx")
    refreshed = ingest.refresh()
    [weekly] = [m.metadata for m in refreshed.asset_materializations_for_node("sales_reports")
                if m.asset_key.to_user_string() == "report_weekly_summary"]
    assert r"| \[Reset password\](https://evil.example) | 5.00 |" in weekly["latest_week"].value
    with smtp_server() as server:
        ingest.mail = _mail(server.port)
        result = run_weekly(ingest, datetime(2026, 3, 16, 6, 0, tzinfo=UTC))
    [got] = server.handler.received
    lines = body(got.message).splitlines()
    assert r"- Top seller: \[Reset password\](https://evil.example), revenue 5.00" in lines
    assert r"- Top product: \<b\>Dock\</b\>, revenue 5.00" in lines
    assert _meta(result)["summary"] == body(got.message)  # the UI's Markdown: the same text


def test_temporary_smtp_failures_are_retried_then_delivered(ingest, tmp_path: Path) -> None:
    with smtp_server(fail_first=2) as server:
        ingest.mail = _mail(server.port, attempts=3)
        _, result, folder = _run_week(ingest, tmp_path)
    assert server.handler.data_calls == 3 and len(server.handler.received) == 1
    assert attachments(server.handler.received[0].message)[f"{NAME}.xlsx"] == (
        folder / f"{NAME}.xlsx").read_bytes()
    meta = _meta(result)
    assert meta["delivery"] == "sent" and meta["delivery_attempts"] == 3


def test_failed_delivery_is_recorded_and_keeps_the_files(ingest, tmp_path: Path) -> None:
    port = free_port()   # nothing listens: every attempt is refused
    ingest.mail = _mail(port, attempts=3)
    _, result, folder = _run_week(ingest, tmp_path)   # the run itself succeeds
    assert (folder / f"{NAME}.xlsx").stat().st_size > 0
    assert (folder / f"{NAME}.md").read_text(encoding="utf-8").startswith("# Weekly sales report")
    assert len(list(folder.glob("*.csv"))) == 5
    meta = _meta(result)
    assert meta["delivery"] == "failed" and meta["delivery_attempts"] == 3
    assert "ConnectionRefusedError" in meta["delivery_reason"]
    assert f"127.0.0.1:{port}" in meta["delivery_reason"]
    check = _check(result)
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    errors = [e.user_message for e in ingest.instance.all_logs(result.run_id)
              if e.level == logging.ERROR]
    assert any("weekly report e-mail failed" in m and str(folder) in m for m in errors), errors


def test_incomplete_mail_settings_are_a_failed_delivery_not_a_failed_run(
        ingest, tmp_path: Path) -> None:
    ingest.mail = _mail(25, sender="", user="reports")   # no address to send from
    _, result, folder = _run_week(ingest, tmp_path)
    meta = _meta(result)
    assert meta["delivery"] == "failed" and meta["delivery_attempts"] == 0
    assert "SALESOPS_SMTP_FROM" in meta["delivery_reason"]
    assert (folder / f"{NAME}.xlsx").exists() and not _check(result).passed


def test_mail_settings_reach_the_resource_and_the_password_stays_secret(monkeypatch) -> None:
    for name, value in {"SALESOPS_REPORT_EMAIL_TO": "a@example.org, b@example.org",
                        "SALESOPS_SMTP_HOST": "smtp.example.org", "SALESOPS_SMTP_PORT": "465",
                        "SALESOPS_SMTP_SECURITY": "ssl", "SALESOPS_SMTP_USER": "reports",
                        "SALESOPS_SMTP_PASSWORD": "pw-never-shown",
                        "SALESOPS_SMTP_FROM": "salesops@example.org"}.items():
        monkeypatch.setenv(name, value)
    mail = resources_from_env()["report_mail"]
    assert mail.recipients == ["a@example.org", "b@example.org"] and mail.not_configured() is None
    assert (mail.host, mail.port, mail.security, mail.sender) == (
        "smtp.example.org", 465, "ssl", "salesops@example.org")
    assert isinstance(mail.password, EnvVar) and "pw-never-shown" not in repr(mail)
    assert "pw-never-shown" not in repr(Settings())
    monkeypatch.setenv("SALESOPS_SMTP_SECURITY", "tls")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("SALESOPS_REPORT_EMAIL_TO")
    monkeypatch.setenv("SALESOPS_SMTP_SECURITY", "none")
    assert resources_from_env()["report_mail"].not_configured() == (
        "SALESOPS_REPORT_EMAIL_TO is not set")
