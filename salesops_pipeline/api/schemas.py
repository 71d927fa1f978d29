"""Response models: the public contract shown in /docs, separate from the storage tables.

Money and units are :class:`~decimal.Decimal` and leave as JSON *strings*, never a binary
float, written as people write them (report/figures.py): money with two decimals, more only where
the stored value has them (``"1234.50"``, ``"1.2345"``), units without trailing zeros (``"3"``);
always exactly the stored value. Ratios (``revenue_share``) and the tolerance keep their text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, JsonValue, PlainSerializer, WithJsonSchema

from salesops_pipeline.core.report.figures import money_text, units_text

#: core/load/import_log.py ImportStatus as the API shows it: the internal 'staged' is 'running'.
ImportStatus = Literal["loaded", "rejected", "duplicate", "superseded", "failed", "running",
                       "withdrawn"]
QualityRule = Literal["mismatched_total", "nonpositive_units", "negative_amount",
                      "missing_shipping_company", "rejected_row"]


#: A timestamp without time zone ("2026-03-02T10:15:00"): RFC 3339 `date-time` requires an
#: offset, so the schema says what it is instead.
LocalDateTime = Annotated[datetime, WithJsonSchema({
    "type": "string", "format": "local-date-time",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$",
    "description": "Business-local date and time of the sale, without time zone"})]


#: Money (revenue, unit_price, total_price): ``"2142715.53"``, ``"1.2345"``; exact.
Money = Annotated[Decimal, PlainSerializer(money_text, return_type=str, when_used="json")]
#: Units: ``"3"``, ``"2.5"``; exact.
Units = Annotated[Decimal, PlainSerializer(units_text, return_type=str, when_used="json")]


class Message(BaseModel):
    """An error: 401, 403, 404, 503."""

    detail: str


class _Report(BaseModel):
    start_date: date = Field(description="First day of the period (inclusive)")
    end_date: date = Field(description="Last day of the period (inclusive)")
    count: int = Field(description="Number of rows in `data`")


class WeeklySummaryRow(BaseModel):
    week_start: date = Field(description="Monday of the ISO week")
    week_end: date = Field(description="Sunday of the ISO week")
    revenue: Money = Field(description="Sum of total_price of the week's days in the period")
    units: Units
    line_count: int


class WeeklySummary(_Report):
    data: list[WeeklySummaryRow]


class SellerRankRow(BaseModel):
    rank: int = Field(description="1 = most revenue; equal revenue shares a rank")
    seller: str
    revenue: Money
    units: Units
    line_count: int


class SellerRanking(_Report):
    data: list[SellerRankRow]


class TopProductRow(BaseModel):
    rank: int = Field(description="1 = most revenue; equal revenue shares a rank")
    product: str
    revenue: Money
    units: Units


class TopProducts(_Report):
    data: list[TopProductRow]


class ShippingRow(BaseModel):
    shipping_company: str = Field(description='"UNKNOWN" for lines without a shipping company')
    revenue: Money
    line_count: int
    revenue_share: Decimal = Field(
        description="revenue / total revenue of the period, rounded half away from zero to 6 "
                    "decimal places; 0 when the total is 0")


class ShippingBreakdown(_Report):
    data: list[ShippingRow]


class QualityCounts(BaseModel):
    mismatched_total_count: int = Field(description="|total − unit price × units| > tolerance")
    nonpositive_units_count: int
    negative_amount_count: int
    missing_shipping_company_count: int
    rejected_row_count: int = Field(description="Quarantined rows, counted on their import day")


class QualitySample(BaseModel):
    day: date
    rule: QualityRule
    source_file: str
    source_sheet: str | None = Field(description="Worksheet of that file; null for CSV/TSV files")
    source_row_number: int
    row_values: JsonValue = Field(description="The offending line's values")


class DataQuality(BaseModel):
    start_date: date
    end_date: date
    status: Literal["ok", "warn"] = Field(description='"ok" when every count is 0')
    counts: QualityCounts
    tolerance: Decimal = Field(
        description="Price tolerance the counts were computed with: the `tolerance` asked for "
                    "(two decimals), else the one the report tables were refreshed with")
    samples: list[QualitySample] | None = Field(
        description="Up to 100 offending lines (admin keys only; null for viewer keys)")


class DataQualityRow(QualityCounts):
    """The one export row of /reports/data-quality."""

    start_date: date
    end_date: date
    status: Literal["ok", "warn"]
    tolerance: Decimal


class SalesLine(BaseModel):
    sales_line_id: int
    sold_at: LocalDateTime
    product: str
    seller: str
    shipping_company: str | None
    unit_price: Money
    units: Units
    total_price: Money
    source_file: str = Field(description="File the line was loaded from")
    source_sheet: str | None = Field(description="Worksheet of that file; null for CSV/TSV files")
    source_row_number: int = Field(
        description="Row number in that sheet, as a spreadsheet shows it")
    import_id: int = Field(description="The import (GET /imports) that loaded the line")
    import_sha256: str
    imported_at: datetime


class SalesLines(_Report):
    data: list[SalesLine]
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last page")


DriftKind = Literal["new", "missing", "renamed", "moved", "date_order", "decimal_separator"]


class DriftChange(BaseModel):
    """One change of the header against one reference (core/load/drift.py)."""

    kind: DriftKind
    against: Literal["previous", "folder"] = Field(
        description="previous: the file's last loaded version; folder: its folder's usual header")
    sheet: str | None = Field(description="Worksheet; null for CSV/TSV files")
    column: str | None = Field(description="The sales column (sold_at, units, …); null for a "
                                           "column that is no sales column")
    before: str | None = Field(description="Header text, date order (dmy, mdy) or decimal "
                                           "separator in the reference")
    after: str | None = Field(description="The same in this import")
    before_position: int | None = Field(description="0-based column index in the reference")
    after_position: int | None = Field(description="0-based column index in this import")


class DriftReference(BaseModel):
    against: Literal["previous", "folder"]
    file: str
    import_id: int
    files_alike: int = Field(description="Files of the folder sharing the header compared with")
    files_compared: int = Field(description="Other loaded files of the folder looked at")


class Drift(BaseModel):
    """How the header changed; empty ``changes``: unchanged against ``references``."""

    changes: list[DriftChange]
    references: list[DriftReference]


class ImportRow(BaseModel):
    """One file version seen by the importer."""

    id: int = Field(description="Import id, for /imports/{id}/rejections")
    source_file: str
    sha256: str
    status: ImportStatus = Field(
        description="withdrawn: loaded once, its rows removed on purpose (`salesops withdraw`)")
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_skipped: int = Field(
        description="Rows that are not sales: totals, notes, repeated headers")
    error: str | None
    run_id: str | None = Field(description="Dagster run that imported the file")
    imported_at: datetime = Field(description="When the import started")
    finished_at: datetime | None
    duplicate_of: int | None
    superseded_by: int | None
    withdrawn_at: datetime | None = Field(description="When it was withdrawn (status withdrawn)")
    drift: Drift | None = Field(description="Its header against the file's last loaded version "
                                            "and its folder; null when it was not staged or "
                                            "was imported before drift was recorded")


class ImportDetail(ImportRow):
    """One import, with the tables it read and the sheets it skipped."""

    sheets: list[dict[str, JsonValue]] = Field(
        description="Each table read: sheet, header_row, rows, date_order (+ reason), "
                    "decimal_separator, columns (header, column, position)")
    skipped_sheets: list[dict[str, JsonValue]] = Field(
        description="Worksheets without a sales header: sheet, reason")


class Imports(BaseModel):
    data: list[ImportRow]
    count: int = Field(description="Number of rows in `data`")
    total: int = Field(description="Number of imports in the log")
    limit: int
    offset: int


class RejectedRow(BaseModel):
    id: int
    import_id: int
    source_file: str
    source_sheet: str | None = Field(description="Worksheet of that file; null for CSV/TSV files")
    source_row_number: int = Field(
        description="Row number in that sheet, as a spreadsheet shows it")
    raw_values: JsonValue = Field(description="The row's cells as read")
    reasons: list[str] = Field(description="Every reason the row was quarantined")
    created_at: datetime


class Rejections(BaseModel):
    import_id: int
    data: list[RejectedRow]
    count: int = Field(description="Number of rows in `data`")
    limit: int
    offset: int


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["reachable", "unreachable"]
    detail: str | None = Field(default=None, description="Why the database is unreachable")
    checked_at: datetime | None = None
    latest_import_at: datetime | None = Field(default=None, description="Latest import start")
    reports_refreshed_at: datetime | None = Field(
        default=None, description="Latest report refresh")
    report_age_seconds: float | None = Field(
        default=None, description="Seconds since the latest report refresh")
    replica_lag_seconds: float | None = Field(
        default=None, description="Seconds the read replica the API reads is behind its "
        "primary (null: the API reads the primary)")
