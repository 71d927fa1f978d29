-- Tables of the two reference contenders of benchmarks/ingest.py (throwaway cluster only).
CREATE SCHEMA IF NOT EXISTS bench;

-- The classic script's target: the shape of fact_sales_line (identity, checks, unique source key,
-- the same indexes, the dimension foreign keys), without the import log.
CREATE TABLE IF NOT EXISTS bench.classic_sales_line (
    LIKE salesops.fact_sales_line INCLUDING ALL
);
ALTER TABLE bench.classic_sales_line ALTER COLUMN import_id DROP NOT NULL;
ALTER TABLE bench.classic_sales_line
    DROP CONSTRAINT IF EXISTS classic_product_fk,
    DROP CONSTRAINT IF EXISTS classic_seller_fk,
    DROP CONSTRAINT IF EXISTS classic_shipping_fk,
    ADD CONSTRAINT classic_product_fk FOREIGN KEY (product_id)
        REFERENCES salesops.dim_product (product_id),
    ADD CONSTRAINT classic_seller_fk FOREIGN KEY (seller_id)
        REFERENCES salesops.dim_seller (seller_id),
    ADD CONSTRAINT classic_shipping_fk FOREIGN KEY (shipping_company_id)
        REFERENCES salesops.dim_shipping_company (shipping_company_id);

-- The floor's target: a plain logged table, no key, no index, no constraint.
CREATE TABLE IF NOT EXISTS bench.floor_sales_line (
    source_row_number integer,
    sold_at           timestamp,
    product           text,
    seller            text,
    unit_price        numeric,
    units             numeric,
    total_price       numeric,
    shipping_company  text
);
