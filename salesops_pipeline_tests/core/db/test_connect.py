"""Reused warehouse connections: kept between transactions, never handed out broken."""

from __future__ import annotations

import pytest

from salesops_pipeline.core.db.connect import reused


def _pid(url: str) -> int:
    with reused(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def test_a_connection_is_kept_for_the_next_transaction(db: str) -> None:
    assert _pid(db) == _pid(db)


def test_a_failed_transaction_is_rolled_back_and_its_writes_gone(db: str, sql) -> None:
    with pytest.raises(ZeroDivisionError), reused(db) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO salesops.dim_seller (name) VALUES ('Rolled Back')")
        raise ZeroDivisionError
    assert sql("SELECT count(*) FROM salesops.dim_seller") == [(0,)]
    with reused(db) as conn, conn.cursor() as cur:  # usable: not left in an aborted transaction
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


def test_a_connection_killed_by_the_server_is_replaced(db: str, sql) -> None:
    first = _pid(db)
    sql("SELECT pg_terminate_backend(%s)", (first,))
    second = _pid(db)
    assert second != first
