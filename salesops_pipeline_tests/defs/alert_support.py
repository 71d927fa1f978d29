"""Helpers of the alert tests: destinations through the documented variables, a sales line, one
tick of the check sensor."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from dagster import build_sensor_context

from salesops_pipeline.defs.alerts import check_failure_alerts

UI = "http://dagster.example:3000"  # SALESOPS_DAGSTER_URL: the links in alerts


def configure_alerts(monkeypatch: pytest.MonkeyPatch, *, webhook: str = "",
                     smtp_port: int | None = None) -> None:
    """Destinations through the documented variables; no waiting between retries."""
    monkeypatch.setenv("SALESOPS_ALERT_WEBHOOK_URL", webhook)
    monkeypatch.setenv("SALESOPS_DAGSTER_URL", UI)
    monkeypatch.setenv("SALESOPS_ALERT_RETRY_SECONDS", "0")
    monkeypatch.setenv("SALESOPS_SMTP_RETRY_SECONDS", "0")
    if smtp_port is not None:
        monkeypatch.setenv("SALESOPS_ALERT_EMAIL_TO", "ops@example.org")
        monkeypatch.setenv("SALESOPS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SALESOPS_SMTP_PORT", str(smtp_port))
        monkeypatch.setenv("SALESOPS_SMTP_SECURITY", "none")
        monkeypatch.setenv("SALESOPS_SMTP_FROM", "salesops@example.org")
    else:
        monkeypatch.setenv("SALESOPS_ALERT_EMAIL_TO", "")


def line(day: int, price: str, units: int, total: str) -> dict[str, object]:
    return {"sold_at": datetime(2026, 5, day, 9), "product": "A", "seller": "S",
            "unit_price": Decimal(price), "units": units, "total_price": Decimal(total),
            "shipping_company": "DHL"}


def tick(instance, cursor: str | None) -> tuple[str, list[str]]:
    """One evaluation of the check sensor: (new cursor, what it logged as info or error)."""
    context = build_sensor_context(instance=instance, cursor=cursor)
    logged: list[str] = []
    context.log.info = logged.append  # type: ignore[method-assign]
    context.log.error = logged.append  # type: ignore[method-assign]
    check_failure_alerts(context)
    return context.cursor, logged
