"""The one Definitions object: it only assembles what `defs/` declares."""

from __future__ import annotations

from dagster import Definitions

from salesops_pipeline.defs.resources import warehouse_from_env

defs = Definitions(
    resources={"warehouse": warehouse_from_env()},
)
