"""Fixtures for the Dagster tests: a drop folder and an Ingestor on an ephemeral instance."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance

from salesops_pipeline_tests.ingest_support import Ingestor


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "incoming"
    path.mkdir()
    return path


@pytest.fixture
def ingest(db: str, folder: Path):
    with DagsterInstance.ephemeral() as instance:
        yield Ingestor(db, folder, instance)
