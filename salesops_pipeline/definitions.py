"""The one Definitions object: it only assembles what `defs/` declares."""

from __future__ import annotations

from dagster import Definitions

from salesops_pipeline.defs.ingest import ingest_assets, ingest_job
from salesops_pipeline.defs.resources import resources_from_env

defs = Definitions(
    assets=[*ingest_assets],
    jobs=[ingest_job],
    resources=resources_from_env(),
)
