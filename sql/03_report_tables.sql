-- Report tables: daily grain, so any start_date..end_date is answered exactly without reading
-- the fact table. Written only by the report refresh, one transaction per refresh.
CREATE TABLE IF NOT EXISTS salesops.report_daily_sales (
    day           date PRIMARY KEY,
    revenue       numeric NOT NULL,
    units         numeric NOT NULL,
    line_count    bigint NOT NULL CHECK (line_count > 0),
    refreshed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS salesops.report_daily_seller (
    day         date NOT NULL,
    seller_id   bigint NOT NULL,
    seller      text NOT NULL,
    revenue     numeric NOT NULL,
    units       numeric NOT NULL,
    line_count  bigint NOT NULL CHECK (line_count > 0),
    PRIMARY KEY (day, seller_id)
);

CREATE TABLE IF NOT EXISTS salesops.report_daily_product (
    day         date NOT NULL,
    product_id  bigint NOT NULL,
    product     text NOT NULL,
    revenue     numeric NOT NULL,
    units       numeric NOT NULL,
    line_count  bigint NOT NULL CHECK (line_count > 0),
    PRIMARY KEY (day, product_id)
);

-- Lines without a shipping company are grouped under 'UNKNOWN'.
CREATE TABLE IF NOT EXISTS salesops.report_daily_shipping (
    day               date NOT NULL,
    shipping_company  text NOT NULL,
    revenue           numeric NOT NULL,
    line_count        bigint NOT NULL CHECK (line_count > 0),
    PRIMARY KEY (day, shipping_company)
);

-- Data-quality counts per day of sale; rejected rows are counted on the day they were imported.
CREATE TABLE IF NOT EXISTS salesops.report_daily_quality (
    day                             date PRIMARY KEY,
    line_count                      bigint NOT NULL DEFAULT 0 CHECK (line_count >= 0),
    mismatched_total_count          bigint NOT NULL DEFAULT 0 CHECK (mismatched_total_count >= 0),
    nonpositive_units_count         bigint NOT NULL DEFAULT 0 CHECK (nonpositive_units_count >= 0),
    negative_amount_count           bigint NOT NULL DEFAULT 0 CHECK (negative_amount_count >= 0),
    missing_shipping_company_count  bigint NOT NULL DEFAULT 0 CHECK (missing_shipping_company_count >= 0),
    rejected_row_count              bigint NOT NULL DEFAULT 0 CHECK (rejected_row_count >= 0),
    tolerance                       numeric NOT NULL
);

-- A few offending lines per day and rule, for troubleshooting (admin only in the API).
CREATE TABLE IF NOT EXISTS salesops.report_quality_sample (
    day                date NOT NULL,
    rule               text NOT NULL CHECK (rule IN ('mismatched_total', 'nonpositive_units',
                           'negative_amount', 'missing_shipping_company', 'rejected_row')),
    source_file        text NOT NULL,
    source_row_number  integer NOT NULL,
    row_values         jsonb NOT NULL,
    source_sheet       text NOT NULL DEFAULT '',
    CONSTRAINT report_quality_sample_pkey
        PRIMARY KEY (day, rule, source_file, source_sheet, source_row_number)
);

-- One row per refresh: what was recomputed and when (age of the reports, audit of refreshes).
CREATE TABLE IF NOT EXISTS salesops.report_refresh (
    refresh_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mode           text NOT NULL CHECK (mode IN ('incremental', 'full')),
    days           date[] NOT NULL,
    weeks          date[] NOT NULL,
    run_id         text,
    refreshed_at   timestamptz NOT NULL DEFAULT now()
);
