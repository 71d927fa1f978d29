"""Dagster resources: warehouse connection, drop folder, quality settings, report e-mail (from the
environment)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, EnvVar

from salesops_pipeline.core.config_check import check_configuration
from salesops_pipeline.core.db.connect import Connection, reused
from salesops_pipeline.core.extract.header.columns import ColumnMap, load_column_map
from salesops_pipeline.core.notify.mail import SmtpConfig, split_addresses
from salesops_pipeline.core.report.anomalies import Limits, parse_figure_thresholds
from salesops_pipeline.core.report.thresholds import Thresholds, parse_thresholds
from salesops_pipeline.settings import Settings


def _default(name: str) -> Any:
    """A resource field's default is the setting's: one definition of each default value."""
    return Settings.model_fields[name].default


class WarehouseResource(ConfigurableResource):
    """The PostgreSQL warehouse (schema `salesops`)."""

    database_url: str
    own_partition_rows: int = _default("own_partition_rows")
    """A file version with at least this many rows gets a fact partition of its own (0: never)."""

    @contextmanager
    def connection(self, *, autocommit: bool = False) -> Iterator[Connection]:
        """A transaction: committed when the block succeeds, rolled back when it raises (on a
        connection this process kept from an earlier transaction, when it has one)."""
        with reused(self.database_url, autocommit=autocommit,
                     application_name="salesops-dagster") as conn:
            yield conn


class SalesFolderResource(ConfigurableResource):
    """The watched drop folder (SALES_DATA_DIR) and where exports go (never inside it)."""

    data_dir: str
    export_dir: str = str(_default("export_dir"))
    max_rows_per_file: int = 5_000_000
    settle_seconds: float = _default("settle_seconds")
    """A new or changed file is imported once it has not changed for this long (or one tick)."""
    column_map_file: str = ""
    """The user's column-map file (SALESOPS_COLUMN_MAP, or column_map.toml when it exists)."""
    column_map_explicit: bool = False
    parse_memory_mb: int = _default("parse_memory_mb")
    """Address-space cap of the process that parses one file (SALESOPS_PARSE_MEMORY_MB)."""
    date_order: str = _default("date_order")
    """Order of numeric text dates no table decides: dmy, mdy or auto (SALESOPS_DATE_ORDER)."""

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def column_map(self) -> ColumnMap:
        """Built-in header spellings plus the user's file (validated; ConfigError names it)."""
        path = Path(self.column_map_file) if self.column_map_file else None
        return load_column_map(path, explicit=self.column_map_explicit)


class QualityResource(ConfigurableResource):
    """Data-quality settings shared by the report refresh and the asset checks."""

    price_tolerance: str = str(_default("price_tolerance"))
    max_import_age_hours: int = _default("max_import_age_hours")
    rule_thresholds: str = ""
    """SALESOPS_RULE_THRESHOLDS (core/report/thresholds.py); empty: every rule warns above 0."""

    @property
    def tolerance(self) -> Decimal:
        return Decimal(self.price_tolerance)

    @property
    def thresholds(self) -> dict[str, Thresholds]:
        return parse_thresholds(self.rule_thresholds)


class FigureResource(ConfigurableResource):
    """SALESOPS_FIGURE_THRESHOLDS (core/report/anomalies.py) and the timezone that says which
    week is complete, for the business-figure checks (defs/figure_checks.py)."""

    figure_thresholds: str = ""
    timezone: str = "UTC"

    @property
    def limits(self) -> dict[str, Limits]:
        return parse_figure_thresholds(self.figure_thresholds)


class ReportMailResource(ConfigurableResource):
    """Where the weekly report is e-mailed (SALESOPS_REPORT_EMAIL_TO, SALESOPS_SMTP_*); sent only
    when recipients and a host are both set. The password comes in as an EnvVar (never shown)."""

    to: str = ""
    host: str = ""
    port: int = _default("smtp_port")
    security: str = _default("smtp_security")
    user: str = ""
    password: str = ""
    sender: str = ""
    attempts: int = _default("smtp_attempts")
    retry_seconds: float = _default("smtp_retry_seconds")
    timeout_seconds: float = _default("smtp_timeout_seconds")

    @property
    def recipients(self) -> list[str]:
        return split_addresses(self.to)

    def not_configured(self) -> str | None:
        """Why delivery is off (the variable to set), or None when it is on."""
        if not self.recipients:
            return "SALESOPS_REPORT_EMAIL_TO is not set"
        if not self.host:
            return "SALESOPS_SMTP_HOST is not set"
        return None

    def smtp(self) -> SmtpConfig:
        """The transport settings (ConfigError when they are incomplete or invalid)."""
        sender = self.sender or (self.user if "@" in self.user else "")
        security: Any = self.security  # SmtpConfig names the accepted modes when it is wrong
        return SmtpConfig(host=self.host, port=self.port, security=security, user=self.user,
                          password=self.password, sender=sender,
                          attempts=self.attempts, retry_seconds=self.retry_seconds,
                          timeout_seconds=self.timeout_seconds)


def resources_from_env(settings: Settings | None = None) -> dict[str, ConfigurableResource]:
    """The secret URL stays an EnvVar (never shown in the UI); the rest comes from ``settings``
    (the code location's, defs/location.py; read afresh from the environment without)."""
    settings = settings or Settings()
    password = settings.smtp_password.get_secret_value()
    if password:  # from .env: put it where EnvVar reads it, so it never appears as a value
        os.environ.setdefault("SALESOPS_SMTP_PASSWORD", password)
    check_configuration(settings)  # a broken column map or threshold stops the code location
    map_path, map_explicit = settings.column_map_location()
    return {
        "warehouse": WarehouseResource(database_url=EnvVar("DATABASE_URL"),
                                       own_partition_rows=settings.own_partition_rows),
        "sales_folder": SalesFolderResource(data_dir=str(settings.data_dir.resolve()),
                                            export_dir=str(settings.export_dir.resolve()),
                                            settle_seconds=settings.settle_seconds,
                                            column_map_file=str(map_path.resolve()),
                                            column_map_explicit=map_explicit,
                                            parse_memory_mb=settings.parse_memory_mb,
                                            date_order=settings.date_order),
        "quality_settings": QualityResource(price_tolerance=str(settings.price_tolerance),
                                   max_import_age_hours=settings.max_import_age_hours,
                                   rule_thresholds=settings.rule_thresholds),
        "figure_settings": FigureResource(figure_thresholds=settings.figure_thresholds,
                                          timezone=settings.timezone),
        "report_mail": ReportMailResource(
            to=settings.report_email_to, host=settings.smtp_host, port=settings.smtp_port,
            security=settings.smtp_security, user=settings.smtp_user,
            password=EnvVar("SALESOPS_SMTP_PASSWORD") if password else "",
            sender=settings.smtp_from, attempts=settings.smtp_attempts,
            retry_seconds=settings.smtp_retry_seconds,
            timeout_seconds=settings.smtp_timeout_seconds),
    }

