"""Connections to the warehouse. Every statement binds its parameters; nothing is formatted in."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import TupleRow

from salesops_pipeline.errors import SalesOpsError
from salesops_pipeline.settings import redact

# The driver's types as the project's code uses them (rows as tuples, psycopg's default).
Connection: TypeAlias = psycopg.Connection[TupleRow]
Cursor: TypeAlias = psycopg.Cursor[TupleRow]


class WarehouseUnavailable(SalesOpsError):
    """PostgreSQL cannot be reached."""


def _open(url: str, application_name: str) -> Connection:
    try:
        return psycopg.connect(url, application_name=application_name, connect_timeout=10)
    except psycopg.OperationalError as exc:
        # The driver may echo the DSN; never let a password reach a log or an error message.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        raise WarehouseUnavailable(f"cannot connect to {redact(url)}: {reason}") from None


@contextmanager
def connect(
    url: str, *, autocommit: bool = False, application_name: str = "salesops"
) -> Iterator[Connection]:
    """A connection that commits on success and rolls back on error, then closes."""
    conn = _open(url, application_name)
    try:
        with _transaction(conn, autocommit):
            yield conn
    finally:
        conn.close()


@contextmanager
def _transaction(conn: Connection, autocommit: bool) -> Iterator[None]:
    conn.autocommit = autocommit
    try:
        yield
        if not autocommit:
            conn.commit()
    except BaseException:
        if not autocommit and not conn.closed:
            try:
                conn.rollback()
            except psycopg.Error:
                pass  # the connection broke; the original error is what matters
        raise


class _IdleConnections:
    """Connections a process keeps between transactions, per URL (at most ``keep`` idle).

    A Dagster run opens hundreds of short transactions; a new connection each time costs a
    backend start and a SCRAM handshake (~5 ms of CPU on both sides). A kept connection is
    pinged before reuse, so one that died with a restarted server is replaced, not handed out.
    """

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self.pid = os.getpid()
        self.idle: dict[tuple[str, str], list[Connection]] = {}
        self.lock = threading.Lock()

    def take(self, url: str, application_name: str) -> Connection | None:
        with self.lock:
            if self.pid != os.getpid():  # a forked child must not share its parent's sockets
                self.pid, self.idle = os.getpid(), {}
            stack = self.idle.get((url, application_name), [])
            conn = stack.pop() if stack else None
        if conn is not None:
            try:
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
            except psycopg.Error:
                conn.close()
                return None
        return conn

    def give_back(self, url: str, application_name: str,
                  conn: Connection) -> None:
        idle = (not conn.closed
                and conn.info.transaction_status == TransactionStatus.IDLE)
        with self.lock:
            stack = self.idle.setdefault((url, application_name), [])
            if idle and self.pid == os.getpid() and len(stack) < self.keep:
                stack.append(conn)
                return
        conn.close()


_IDLE = _IdleConnections()


@contextmanager
def reused(url: str, *, autocommit: bool = False, application_name: str = "salesops"
           ) -> Iterator[Connection]:
    """Like `connect`, but on a connection kept from an earlier transaction of this process."""
    conn = _IDLE.take(url, application_name) or _open(url, application_name)
    try:
        with _transaction(conn, autocommit):
            yield conn
    finally:
        _IDLE.give_back(url, application_name, conn)
