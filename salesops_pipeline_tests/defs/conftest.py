"""Fixtures for the Dagster tests: an Ingestor on an ephemeral instance (drop folder: conftest),
and alert destinations set through the documented variables."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from dagster import DagsterInstance

from salesops_pipeline_tests.defs.alert_support import configure_alerts
from salesops_pipeline_tests.ingest_support import Ingestor


@pytest.fixture
def ingest(db: str, folder: Path):
    with DagsterInstance.ephemeral() as instance:
        yield Ingestor(db, folder, instance)


@pytest.fixture
def alert_env(monkeypatch):
    """Alert destinations through the documented variables: ``alert_env(webhook=url,
    smtp_port=port)``; neither: alerts are only logged."""
    return partial(configure_alerts, monkeypatch)
