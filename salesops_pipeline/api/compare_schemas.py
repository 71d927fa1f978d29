"""Response models of the reports with ``compare=previous|year`` (core/report/compare.py):
each row with its compared figures and the change of its revenue; money exact, as in
api/schemas.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from salesops_pipeline.api.schemas import (
    Money,
    SellerRankRow,
    TopProductRow,
    Units,
    WeeklySummaryRow,
    _Report,
)

CHANGE_PCT = ("revenue_change / compared_revenue × 100, rounded half away from zero to two "
              "decimals; null when the compared revenue is 0")


class Comparison(BaseModel):
    compare: Literal["previous", "year"] = Field(
        description="previous: the period of the same length just before; year: the same ISO "
                    "weeks and weekdays a year before")
    start_date: date = Field(description="First day of the compared period")
    end_date: date = Field(description="Last day of the compared period")


class ComparedTotals(Comparison):
    revenue: Money = Field(description="Revenue of the period")
    units: Units
    line_count: int
    compared_revenue: Money
    compared_units: Units
    compared_line_count: int
    revenue_change: Money = Field(description="revenue - compared_revenue, exact")
    revenue_change_pct: Decimal | None = Field(description=CHANGE_PCT)


class WeeklyCompareRow(WeeklySummaryRow):
    compared_week_start: date | None = Field(
        description="Monday of the compared week; null when the period's length is not whole "
                    "weeks (compare=previous): then only the totals compare")
    compared_revenue: Money | None
    compared_units: Units | None
    compared_line_count: int | None
    revenue_change: Money | None
    revenue_change_pct: Decimal | None = Field(description=CHANGE_PCT)


class WeeklySummaryCompared(_Report):
    data: list[WeeklyCompareRow] = Field(
        description="Every ISO week of the period with sales in it or in its compared week "
                    "(a week without sales as 0)")
    comparison: ComparedTotals


class SellerCompareRow(SellerRankRow):
    rank: int | None = Field(  # type: ignore[assignment]
        description="1 = most revenue; null: sold only in the compared period")
    compared_revenue: Money
    compared_units: Units
    compared_line_count: int
    revenue_change: Money = Field(description="revenue - compared_revenue, exact")
    revenue_change_pct: Decimal | None = Field(description=CHANGE_PCT)


class SellerRankingCompared(_Report):
    data: list[SellerCompareRow] = Field(
        description="The period's sellers, then those who sold only in the compared period")
    comparison: Comparison


class ProductCompareRow(TopProductRow):
    compared_revenue: Money
    compared_units: Units
    revenue_change: Money = Field(description="revenue - compared_revenue, exact")
    revenue_change_pct: Decimal | None = Field(description=CHANGE_PCT)


class TopProductsCompared(_Report):
    data: list[ProductCompareRow]
    comparison: Comparison
