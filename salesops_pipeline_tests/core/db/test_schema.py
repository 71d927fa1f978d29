"""The schema keeps the data honest: constraints refuse what can never be valid."""

from __future__ import annotations

import psycopg2
import pytest

from salesops_pipeline.core.db.schema import apply_schema, reset

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
    with pytest.raises(psycopg2.errors.UniqueViolation):
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
    with pytest.raises(psycopg2.errors.CheckViolation):
        sql(f"UPDATE salesops.import_log SET {column} = %s WHERE import_id = %s",
            (value, import_id))


def test_row_number_must_be_positive(sql) -> None:
    import_id = _import(sql)
    product, seller = _dims(sql)
    with pytest.raises(psycopg2.errors.CheckViolation):
        _fact(sql, import_id, product, seller, row=0)


def test_orphan_dimension_key_is_refused(sql) -> None:
    import_id = _import(sql)
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        _fact(sql, import_id, 999, 999)


@pytest.mark.parametrize("bad", ["", "  padded  "])
def test_dimension_names_are_normalised(sql, bad: str) -> None:
    with pytest.raises(psycopg2.errors.CheckViolation):
        sql("INSERT INTO salesops.dim_seller (name) VALUES (%s)", (bad,))


def test_import_status_and_hash_are_checked(sql) -> None:
    with pytest.raises(psycopg2.errors.CheckViolation):
        _import(sql, status="done")
    with pytest.raises(psycopg2.errors.CheckViolation):
        _import(sql, sha="not-a-hash")


def test_one_loaded_version_per_file(sql) -> None:
    _import(sql, sha="a" * 64)
    with pytest.raises(psycopg2.errors.UniqueViolation):
        _import(sql, sha="b" * 64)


def test_rejected_row_needs_a_reason(sql) -> None:
    import_id = _import(sql)
    with pytest.raises(psycopg2.errors.CheckViolation):
        sql("INSERT INTO salesops.rejected_row (import_id, source_file, source_row_number,"
            " raw_values, reasons) VALUES (%s, 'jan.xlsx', 3, '{}', '{}')", (import_id,))


def test_applying_schema_twice_is_harmless(db, sql) -> None:
    import_id = _import(sql)
    apply_schema(db)
    apply_schema(db)
    assert sql("SELECT import_id FROM salesops.import_log") == [(import_id,)]


def test_reset_empties_everything_and_restarts_identities(db, sql) -> None:
    import_id = _import(sql)
    product, seller = _dims(sql)
    _fact(sql, import_id, product, seller)
    reset(db)
    tables = sql("SELECT table_name FROM information_schema.tables"
                 " WHERE table_schema = 'salesops' AND table_type = 'BASE TABLE'"
                 " AND table_name <> 'api_key'")  # API keys survive a data reset by design
    assert len(tables) >= 10
    for (table,) in tables:
        assert sql(f"SELECT count(*) FROM salesops.{table}") == [(0,)], table
    assert _import(sql) == 1


# The fact table as it was before large files got partitions of their own.
UNPARTITIONED_FACTS = """
DROP TABLE salesops.fact_sales_line;
CREATE TABLE salesops.fact_sales_line (
    sales_line_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sold_at             timestamp NOT NULL,
    product_id          bigint NOT NULL REFERENCES salesops.dim_product (product_id),
    seller_id           bigint NOT NULL REFERENCES salesops.dim_seller (seller_id),
    shipping_company_id bigint REFERENCES salesops.dim_shipping_company (shipping_company_id),
    unit_price          numeric(24, 6) NOT NULL,
    units               numeric(24, 6) NOT NULL,
    total_price         numeric(24, 6) NOT NULL,
    source_file         text NOT NULL CHECK (source_file <> ''),
    source_row_number   integer NOT NULL CHECK (source_row_number >= 1),
    import_id           bigint NOT NULL REFERENCES salesops.import_log (import_id),
    CONSTRAINT fact_sales_line_source_key UNIQUE (source_file, source_row_number)
);
CREATE INDEX fact_sales_line_sold_at_idx ON salesops.fact_sales_line (sold_at);
CREATE INDEX fact_sales_line_import_idx ON salesops.fact_sales_line (import_id);
CREATE INDEX fact_sales_line_seller_idx ON salesops.fact_sales_line (seller_id, sold_at);
CREATE INDEX fact_sales_line_product_idx ON salesops.fact_sales_line (product_id, sold_at);
"""


def test_upgrade_from_the_unpartitioned_fact_table_keeps_every_row(db, sql) -> None:
    sql(UNPARTITIONED_FACTS)
    import_id = _import(sql)
    product, seller = _dims(sql)
    for row in (2, 3, 7):
        _fact(sql, import_id, product, seller, row=row, total_price=f"{row}.01")
    before = sql("SELECT sales_line_id, source_row_number, total_price FROM"
                 " salesops.fact_sales_line ORDER BY 1")
    apply_schema(db)
    assert sql("SELECT relkind FROM pg_class WHERE oid = 'salesops.fact_sales_line'::regclass"
               ) == [("p",)]
    assert sql("SELECT sales_line_id, source_row_number, total_price FROM"
               " salesops.fact_sales_line ORDER BY 1") == before
    assert sql("SELECT DISTINCT load_slot FROM salesops.fact_sales_line") == [(0,)]
    _fact(sql, import_id, product, seller, row=8)  # new ids continue after the kept ones
    assert sql("SELECT max(sales_line_id) FROM salesops.fact_sales_line") == [(before[-1][0] + 1,)]
    with pytest.raises(psycopg2.errors.UniqueViolation):
        _fact(sql, import_id, product, seller, row=3)
    apply_schema(db)  # and applying it again changes nothing
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(4,)]
