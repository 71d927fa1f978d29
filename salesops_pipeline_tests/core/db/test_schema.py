"""The schema keeps the data honest: constraints refuse what can never be valid."""

from __future__ import annotations

import re

import psycopg
import pytest

from salesops_pipeline.core.db.migrations import head_revision, upgrade
from salesops_pipeline.core.db.schema import reset
from salesops_pipeline.core.load.import_log import ImportStatus

SHA = "a" * 64


def _import(sql, name: str = "jan.xlsx", sha: str = SHA, status: str = "loaded") -> int:
    return sql(
        "INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, rows_read,"
        " rows_loaded) VALUES (%s, %s, 10, %s, 1, 1) RETURNING import_id",
        (name, sha, status),
    )[0][0]


def _dims(sql) -> tuple[int, int]:
    product = sql("INSERT INTO salesops.dim_product (name) VALUES ('Laptop') RETURNING product_id")
    seller = sql("INSERT INTO salesops.dim_seller (name) VALUES ('Ada') RETURNING seller_id")
    return product[0][0], seller[0][0]


def _fact(sql, import_id: int, product: int, seller: int, row: int = 2, **over) -> None:
    values = {"sold_at": "2026-03-02 10:00", "unit_price": "10.50", "units": "2",
              "total_price": "21.00", "source_row_number": row, **over}
    sql(
        "INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id, unit_price, units,"
        " total_price, source_file, source_row_number, import_id)"
        " VALUES (%(sold_at)s, %(p)s, %(s)s, %(unit_price)s, %(units)s, %(total_price)s,"
        " 'jan.xlsx', %(source_row_number)s, %(i)s)",
        {**values, "p": product, "s": seller, "i": import_id},
    )


def test_duplicate_source_row_is_refused(sql) -> None:
    import_id = _import(sql)
    product, seller = _dims(sql)
    _fact(sql, import_id, product, seller, row=2)
    with pytest.raises(psycopg.errors.UniqueViolation):
        _fact(sql, import_id, product, seller, row=2)


def test_money_is_exact_numeric(sql) -> None:
    import_id = _import(sql)
    product, seller = _dims(sql)
    _fact(sql, import_id, product, seller, row=2, unit_price="0.1", units="3", total_price="0.3")
    assert sql("SELECT unit_price * units = total_price FROM salesops.fact_sales_line") == [(True,)]


@pytest.mark.parametrize(
    ("column", "value"),
    [("rows_read", -1), ("rows_loaded", -1), ("rows_rejected", -5), ("size_bytes", -1)],
)
def test_negative_counts_are_refused(sql, column: str, value: int) -> None:
    import_id = _import(sql)
    with pytest.raises(psycopg.errors.CheckViolation):
        sql(f"UPDATE salesops.import_log SET {column} = %s WHERE import_id = %s",
            (value, import_id))


def test_row_number_must_be_positive(sql) -> None:
    import_id = _import(sql)
    product, seller = _dims(sql)
    with pytest.raises(psycopg.errors.CheckViolation):
        _fact(sql, import_id, product, seller, row=0)


def test_orphan_dimension_key_is_refused(sql) -> None:
    import_id = _import(sql)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        _fact(sql, import_id, 999, 999)


@pytest.mark.parametrize("bad", ["", "  padded  "])
def test_dimension_names_are_normalised(sql, bad: str) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        sql("INSERT INTO salesops.dim_seller (name) VALUES (%s)", (bad,))


def test_import_status_and_hash_are_checked(sql) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        _import(sql, status="done")
    with pytest.raises(psycopg.errors.CheckViolation):
        _import(sql, sha="not-a-hash")


def test_one_loaded_version_per_file(sql) -> None:
    _import(sql, sha="a" * 64)
    with pytest.raises(psycopg.errors.UniqueViolation):
        _import(sql, sha="b" * 64)


def test_rejected_row_needs_a_reason(sql) -> None:
    import_id = _import(sql)
    with pytest.raises(psycopg.errors.CheckViolation):
        sql("INSERT INTO salesops.rejected_row (import_id, source_file, source_row_number,"
            " raw_values, reasons) VALUES (%s, 'jan.xlsx', 3, '{}', '{}')", (import_id,))


def test_applying_schema_twice_is_harmless(db, sql) -> None:
    import_id = _import(sql)
    assert upgrade(db) == []  # the session's database is at head already
    assert sql("SELECT import_id FROM salesops.import_log") == [(import_id,)]


def test_reset_empties_everything_and_restarts_identities(db, sql) -> None:
    import_id = _import(sql)
    product, seller = _dims(sql)
    _fact(sql, import_id, product, seller)
    reset(db)
    tables = sql("SELECT table_name FROM information_schema.tables"
                 " WHERE table_schema = 'salesops' AND table_type = 'BASE TABLE'"
                 " AND table_name NOT IN ('api_key', 'alembic_version')")  # kept by design
    assert len(tables) >= 10
    for (table,) in tables:
        assert sql(f"SELECT count(*) FROM salesops.{table}") == [(0,)], table
    assert _import(sql) == 1
    assert sql("SELECT version_num FROM salesops.alembic_version") == [(head_revision(),)]


def test_status_check_lists_every_import_status(sql) -> None:
    """The baseline's CHECK and core/load/import_log.py ImportStatus name the same statuses."""
    definition = sql("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                     " WHERE conname = 'import_log_status_check'")
    assert len(definition) == 1
    assert set(re.findall(r"'(\w+)'::text", definition[0][0])) == {s.value for s in ImportStatus}
