"""Response models of `/reports/restatements` (the restatement log, core/report/restatements.py).

Figures as in api/schemas.py: money and units exact, as JSON strings; ``None`` where a name had
no figures before (new) or has none after (gone).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from salesops_pipeline.api.schemas import Money, Units, _Report


class _Figures(BaseModel):
    revenue_before: Money | None
    revenue_after: Money | None
    revenue_change: Money | None = Field(description="after − before")
    units_before: Units | None
    units_after: Units | None
    units_change: Units | None
    lines_before: int | None
    lines_after: int | None
    lines_change: int | None


class RestatedFigure(_Figures):
    dimension: Literal["seller", "product", "shipping_company"]
    name: str = Field(description="Seller, product or shipping company (UNKNOWN: none given)")


class RestatementFile(BaseModel):
    import_id: int
    source_file: str
    action: Literal["new", "replaced", "withdrawn"]
    replaced_import: int | None = Field(description="The version it replaced (replaced only)")
    changed_at: datetime


class Restatement(_Figures):
    restatement_id: int
    week_start: date = Field(description="Monday of the ISO week restated")
    week_end: date
    iso_week: str = Field(examples=["2026-W45"])
    recorded_at: datetime = Field(description="When the changed figures reached the reports")
    reported: bool = Field(description="The weekly job had exported or e-mailed the week")
    reported_at: datetime | None = Field(description="Its last export or e-mail before")
    changes: list[RestatedFigure] = Field(
        description="Sellers, products and shipping companies whose figures changed")
    files: list[RestatementFile] = Field(description="The file versions that caused it")


class Restatements(_Report):
    data: list[Restatement]
