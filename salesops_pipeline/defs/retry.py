"""Retry a step when the database is briefly unreachable; fail at once on anything else."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from dagster import RetryRequested

from salesops_pipeline.core.db.connect import WarehouseUnavailable

TRANSIENT = (psycopg.OperationalError, psycopg.InterfaceError, WarehouseUnavailable)
MAX_RETRIES = 4
WAIT_SECONDS = 5


@contextmanager
def retry_transient_db_errors() -> Iterator[None]:
    """Turn a lost or refused connection into a Dagster step retry (with growing waits)."""
    try:
        yield
    except TRANSIENT as exc:
        raise RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=WAIT_SECONDS) from exc
