"""Connections to the warehouse. Every statement binds its parameters; nothing is formatted in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from salesops_pipeline.errors import SalesOpsError
from salesops_pipeline.settings import redact


class WarehouseUnavailable(SalesOpsError):
    """PostgreSQL cannot be reached."""


@contextmanager
def connect(
    url: str, *, autocommit: bool = False, application_name: str = "salesops"
) -> Iterator[psycopg2.extensions.connection]:
    """A connection that commits on success and rolls back on error, then closes."""
    try:
        conn = psycopg2.connect(url, application_name=application_name, connect_timeout=10)
    except psycopg2.OperationalError as exc:
        # psycopg2 may echo the DSN; never let a password reach a log or an error message.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        raise WarehouseUnavailable(f"cannot connect to {redact(url)}: {reason}") from None
    conn.autocommit = autocommit
    try:
        yield conn
        if not autocommit:
            conn.commit()
    except BaseException:
        if not autocommit and not conn.closed:
            conn.rollback()
        raise
    finally:
        conn.close()
