-- Tables of the two reference contenders of benchmarks/ingest.py (throwaway cluster only).
CREATE SCHEMA IF NOT EXISTS bench;

-- The classic script's target: a plain table shaped like the facts (identity, checks, unique
-- source key, the same indexes and dimension foreign keys), without the import log.
CREATE TABLE IF NOT EXISTS bench.classic_sales_line (
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
    import_id           bigint,  -- left empty: no import log here, but indexed like the facts
    UNIQUE (source_file, source_row_number)
);
CREATE INDEX IF NOT EXISTS classic_sold_at_idx ON bench.classic_sales_line (sold_at);
CREATE INDEX IF NOT EXISTS classic_import_idx ON bench.classic_sales_line (import_id);
CREATE INDEX IF NOT EXISTS classic_seller_idx ON bench.classic_sales_line (seller_id, sold_at);
CREATE INDEX IF NOT EXISTS classic_product_idx ON bench.classic_sales_line (product_id, sold_at);

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
