-- SalesOps warehouse schema: the baseline (Alembic revision 0001) with 03 and 04, as a fresh
-- database gets it. Never edited: a schema change is a new revision (see
-- salesops_pipeline/core/db/migrations/). IF NOT EXISTS stays because revision 0002 runs these
-- files again on a database from before Alembic, to create the tables an older one lacks.
-- Money and units are `numeric` (exact). Sale times are naive business-local timestamps.
CREATE SCHEMA IF NOT EXISTS salesops;

-- Dimensions: surrogate key + unique, normalised natural name ------------------------------------
CREATE TABLE IF NOT EXISTS salesops.dim_product (
    product_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> '' AND name = btrim(name)),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS salesops.dim_seller (
    seller_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> '' AND name = btrim(name)),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS salesops.dim_shipping_company (
    shipping_company_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text NOT NULL UNIQUE CHECK (name <> '' AND name = btrim(name)),
    created_at          timestamptz NOT NULL DEFAULT now()
);

-- Import log: one row per file version seen (name + content hash) --------------------------------
CREATE TABLE IF NOT EXISTS salesops.import_log (
    import_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_file     text NOT NULL CHECK (source_file <> ''),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
    -- Every status of core/load/import_log.py ImportStatus (a test compares the two).
    status          text NOT NULL CONSTRAINT import_log_status_check CHECK (status IN
                        ('running', 'staged', 'loaded', 'rejected', 'duplicate', 'superseded',
                         'failed', 'withdrawn')),
    sheet_name      text,
    header_row      integer CHECK (header_row >= 1),
    rows_read       bigint NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    rows_loaded     bigint NOT NULL DEFAULT 0 CHECK (rows_loaded >= 0),
    rows_rejected   bigint NOT NULL DEFAULT 0 CHECK (rows_rejected >= 0),
    rows_skipped    bigint NOT NULL DEFAULT 0 CHECK (rows_skipped >= 0),
    sheets          jsonb,  -- [{"sheet", "header_row", "rows_read"}] of every table imported
    skipped_sheets  jsonb,  -- [{"sheet", "reason"}] of worksheets without a sales header
    error           text,
    duplicate_of    bigint REFERENCES salesops.import_log (import_id),
    superseded_by   bigint REFERENCES salesops.import_log (import_id),
    run_id          text,
    source_missing  boolean NOT NULL DEFAULT false,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    withdrawn_at    timestamptz,  -- when `salesops withdraw` removed its facts (status withdrawn)
    CONSTRAINT import_log_file_version_key UNIQUE (source_file, sha256),
    CONSTRAINT import_log_counts_add_up CHECK (rows_loaded + rows_rejected <= rows_read),
    CONSTRAINT import_log_error_when_rejected CHECK (status NOT IN ('rejected', 'failed') OR error IS NOT NULL),
    CONSTRAINT import_log_duplicate_has_original CHECK ((status = 'duplicate') = (duplicate_of IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS import_log_sha256_idx ON salesops.import_log (sha256);
CREATE INDEX IF NOT EXISTS import_log_started_at_idx ON salesops.import_log (started_at DESC);
-- At most one loaded version per file name.
CREATE UNIQUE INDEX IF NOT EXISTS import_log_one_loaded_per_file
    ON salesops.import_log (source_file) WHERE status = 'loaded';

-- Facts: one row per sales line of the loaded version of each file ------------------------------
-- Partitioned by load_slot. Most files share the partition for slot 0. A large file version
-- (SALESOPS_OWN_PARTITION_ROWS) gets a partition of its own (slot = its import_id): it is
-- built and indexed beside the live facts, then switched in by ATTACH PARTITION, which is
-- much faster than inserting a million rows through six indexes and four foreign keys.
-- A row is unique per (file, row) within its partition; the import log allows one loaded
-- version per file and publish removes the file's previous rows from every partition.

CREATE TABLE IF NOT EXISTS salesops.fact_sales_line (
    sales_line_id       bigserial NOT NULL,
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
    load_slot           bigint NOT NULL DEFAULT 0
                        CONSTRAINT fact_sales_line_slot_check CHECK (load_slot IN (0, import_id)),
    source_sheet        text NOT NULL DEFAULT '',  -- the worksheet; '' for CSV/TSV files
    CONSTRAINT fact_sales_line_pkey PRIMARY KEY (sales_line_id, load_slot),
    CONSTRAINT fact_sales_line_source_key
        UNIQUE (source_file, source_sheet, source_row_number, load_slot)
) PARTITION BY LIST (load_slot);
CREATE TABLE IF NOT EXISTS salesops.fact_sales_line_shared
    PARTITION OF salesops.fact_sales_line FOR VALUES IN (0);
CREATE INDEX IF NOT EXISTS fact_sales_line_sold_at_idx ON salesops.fact_sales_line (sold_at);
CREATE INDEX IF NOT EXISTS fact_sales_line_import_idx ON salesops.fact_sales_line (import_id);
CREATE INDEX IF NOT EXISTS fact_sales_line_seller_idx ON salesops.fact_sales_line (seller_id, sold_at);
CREATE INDEX IF NOT EXISTS fact_sales_line_product_idx ON salesops.fact_sales_line (product_id, sold_at);

-- Quarantine: rows of a good file that could not be parsed, with every reason -----------------
CREATE TABLE IF NOT EXISTS salesops.rejected_row (
    rejected_row_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id         bigint NOT NULL REFERENCES salesops.import_log (import_id),
    source_file       text NOT NULL,
    source_row_number integer NOT NULL CHECK (source_row_number >= 1),
    raw_values        jsonb NOT NULL,
    reasons           text[] NOT NULL CHECK (cardinality(reasons) > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    source_sheet      text NOT NULL DEFAULT '',
    CONSTRAINT rejected_row_import_row_key UNIQUE (import_id, source_sheet, source_row_number)
);

-- Rows that are not sales (subtotal and total rows, notes under the table, repeated headers):
-- never loaded, never quarantined, kept here per import so the skipped count can be audited.
CREATE TABLE IF NOT EXISTS salesops.skipped_row (
    import_id         bigint NOT NULL REFERENCES salesops.import_log (import_id),
    source_sheet      text NOT NULL DEFAULT '',
    source_row_number integer NOT NULL CHECK (source_row_number >= 1),
    kind              text NOT NULL CHECK (kind IN ('total', 'note', 'header', 'outside')),
    reason            text NOT NULL,
    raw_values        jsonb NOT NULL,
    PRIMARY KEY (import_id, source_sheet, source_row_number)
);

-- Control totals: a total the file states about itself (a grand-total or subtotal row) against
-- the sum of the lines loaded from the rows it covers, per import, exact.
CREATE TABLE IF NOT EXISTS salesops.control_total (
    import_id         bigint NOT NULL REFERENCES salesops.import_log (import_id),
    source_sheet      text NOT NULL DEFAULT '',
    source_row_number integer NOT NULL CHECK (source_row_number >= 1),
    label             text NOT NULL,
    scope             text NOT NULL CHECK (scope IN ('subtotal', 'grand_total')),
    first_row         integer NOT NULL,
    last_row          integer NOT NULL,
    stated_total      numeric NOT NULL,
    loaded_total      numeric NOT NULL,
    difference        numeric GENERATED ALWAYS AS (stated_total - loaded_total) STORED,
    stated_units      numeric,
    loaded_units      numeric NOT NULL,
    lines_loaded      bigint NOT NULL,
    quarantined_rows  integer[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (import_id, source_sheet, source_row_number)
);

-- Staging: parsed rows of an import in progress; never read by reports ------------------------
CREATE UNLOGGED TABLE IF NOT EXISTS salesops.stage_sales_line (
    import_id         bigint NOT NULL,
    source_sheet      text NOT NULL DEFAULT '',
    source_row_number integer NOT NULL,
    sold_at           timestamp NOT NULL,
    product           text NOT NULL,
    seller            text NOT NULL,
    shipping_company  text,
    unit_price        numeric NOT NULL,
    units             numeric NOT NULL,
    total_price       numeric NOT NULL
);
CREATE INDEX IF NOT EXISTS stage_sales_line_import_idx ON salesops.stage_sales_line (import_id);

CREATE UNLOGGED TABLE IF NOT EXISTS salesops.stage_rejected_row (
    import_id         bigint NOT NULL,
    source_sheet      text NOT NULL DEFAULT '',
    source_row_number integer NOT NULL,
    raw_values        jsonb NOT NULL,
    reasons           text[] NOT NULL
);
CREATE INDEX IF NOT EXISTS stage_rejected_row_import_idx ON salesops.stage_rejected_row (import_id);

-- Days whose report rows must be recomputed (written in the same transaction as the facts) ----
CREATE TABLE IF NOT EXISTS salesops.report_dirty_day (
    day        date PRIMARY KEY,
    marked_at  timestamptz NOT NULL DEFAULT now()
);
