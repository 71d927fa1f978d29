"""Fixtures for the Dagster tests: an Ingestor on an ephemeral instance (drop folder: conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance

from salesops_pipeline_tests.ingest_support import Ingestor


@pytest.fixture
def ingest(db: str, folder: Path):
    with DagsterInstance.ephemeral() as instance:
        yield Ingestor(db, folder, instance)
