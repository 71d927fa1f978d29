-- Revision 0005: the restatement log and the report tables' history (as_of reads).
-- Run by salesops_pipeline/core/db/migrations/versions/0005_restatements.py.

-- File changes (publish, replacement, withdrawal) not yet accounted for by a report refresh:
-- written in the same transaction as the facts (core/load/publish.py, withdraw.py) with the days
-- they mark dirty; the refresh that rewrites those days takes them (refresh_id) exactly once.
CREATE TABLE IF NOT EXISTS salesops.report_change (
    change_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id        bigint NOT NULL,
    source_file      text NOT NULL,
    action           text NOT NULL CHECK (action IN ('new', 'replaced', 'withdrawn')),
    replaced_import  bigint,
    days             date[] NOT NULL,
    changed_at       timestamptz NOT NULL DEFAULT now(),
    refresh_id       bigint
);
CREATE INDEX IF NOT EXISTS report_change_pending ON salesops.report_change (change_id)
    WHERE refresh_id IS NULL;

-- Every export or e-mail of a week by the weekly job: the week counts as reported from then.
CREATE TABLE IF NOT EXISTS salesops.report_week_sent (
    sent_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    week      date NOT NULL CHECK (extract(isodow FROM week) = 1),
    channel   text NOT NULL CHECK (channel IN ('export', 'email')),
    sent_at   timestamptz NOT NULL DEFAULT now(),
    figures_at timestamptz NOT NULL,  -- the moment of the figures sent (as_of rebuilds them)
    run_id    text
);
CREATE INDEX IF NOT EXISTS report_week_sent_week ON salesops.report_week_sent (week, sent_at);

-- One row per ISO week whose already-reported days changed in one refresh: the week's totals
-- before and after; reported_at is the last export/e-mail of the week before the change.
CREATE TABLE IF NOT EXISTS salesops.restatement (
    restatement_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    week            date NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    refresh_id      bigint NOT NULL,
    revenue_before  numeric NOT NULL,
    revenue_after   numeric NOT NULL,
    units_before    numeric NOT NULL,
    units_after     numeric NOT NULL,
    lines_before    bigint NOT NULL,
    lines_after     bigint NOT NULL,
    reported_at     timestamptz,
    alerted_at      timestamptz,
    UNIQUE (refresh_id, week)
);
CREATE INDEX IF NOT EXISTS restatement_week ON salesops.restatement (week);

-- The sellers, products and shipping companies whose figures of the week changed (NULL: none
-- before, or none after; units NULL for shipping companies, which report none).
CREATE TABLE IF NOT EXISTS salesops.restatement_figure (
    restatement_id  bigint NOT NULL REFERENCES salesops.restatement ON DELETE CASCADE,
    dimension       text NOT NULL CHECK (dimension IN ('seller', 'product', 'shipping_company')),
    name            text NOT NULL,
    revenue_before  numeric,
    revenue_after   numeric,
    units_before    numeric,
    units_after     numeric,
    lines_before    bigint,
    lines_after     bigint,
    PRIMARY KEY (restatement_id, dimension, name)
);

-- The file versions that caused a restatement.
CREATE TABLE IF NOT EXISTS salesops.restatement_file (
    restatement_id   bigint NOT NULL REFERENCES salesops.restatement ON DELETE CASCADE,
    change_id        bigint NOT NULL,
    import_id        bigint NOT NULL,
    source_file      text NOT NULL,
    action           text NOT NULL,
    replaced_import  bigint,
    changed_at       timestamptz NOT NULL,
    PRIMARY KEY (restatement_id, change_id)
);

-- When each day's report rows were last rewritten (a day not listed: before this revision).
CREATE TABLE IF NOT EXISTS salesops.report_day_version (
    day         date PRIMARY KEY,
    written_at  timestamptz NOT NULL
);

-- Each report table's replaced rows, valid from valid_from until valid_to (the refresh that
-- replaced them), and a function reading the table as it stood at a moment.
CREATE TABLE IF NOT EXISTS salesops.report_daily_sales_history
    (LIKE salesops.report_daily_sales, valid_from timestamptz NOT NULL, valid_to timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS report_daily_sales_history_day ON salesops.report_daily_sales_history (day, valid_to);

CREATE OR REPLACE FUNCTION salesops.report_daily_sales_as_of(at timestamptz)
RETURNS SETOF salesops.report_daily_sales LANGUAGE sql STABLE AS $$
    SELECT r.day, r.revenue, r.units, r.line_count, r.refreshed_at FROM salesops.report_daily_sales r
     WHERE NOT EXISTS (SELECT 1 FROM salesops.report_day_version v
                        WHERE v.day = r.day AND v.written_at > at)
    UNION ALL
    SELECT day, revenue, units, line_count, refreshed_at FROM salesops.report_daily_sales_history h
     WHERE h.valid_from <= at AND at < h.valid_to
$$;

CREATE TABLE IF NOT EXISTS salesops.report_daily_seller_history
    (LIKE salesops.report_daily_seller, valid_from timestamptz NOT NULL, valid_to timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS report_daily_seller_history_day ON salesops.report_daily_seller_history (day, valid_to);

CREATE OR REPLACE FUNCTION salesops.report_daily_seller_as_of(at timestamptz)
RETURNS SETOF salesops.report_daily_seller LANGUAGE sql STABLE AS $$
    SELECT r.day, r.seller_id, r.seller, r.revenue, r.units, r.line_count FROM salesops.report_daily_seller r
     WHERE NOT EXISTS (SELECT 1 FROM salesops.report_day_version v
                        WHERE v.day = r.day AND v.written_at > at)
    UNION ALL
    SELECT day, seller_id, seller, revenue, units, line_count FROM salesops.report_daily_seller_history h
     WHERE h.valid_from <= at AND at < h.valid_to
$$;

CREATE TABLE IF NOT EXISTS salesops.report_daily_product_history
    (LIKE salesops.report_daily_product, valid_from timestamptz NOT NULL, valid_to timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS report_daily_product_history_day ON salesops.report_daily_product_history (day, valid_to);

CREATE OR REPLACE FUNCTION salesops.report_daily_product_as_of(at timestamptz)
RETURNS SETOF salesops.report_daily_product LANGUAGE sql STABLE AS $$
    SELECT r.day, r.product_id, r.product, r.revenue, r.units, r.line_count FROM salesops.report_daily_product r
     WHERE NOT EXISTS (SELECT 1 FROM salesops.report_day_version v
                        WHERE v.day = r.day AND v.written_at > at)
    UNION ALL
    SELECT day, product_id, product, revenue, units, line_count FROM salesops.report_daily_product_history h
     WHERE h.valid_from <= at AND at < h.valid_to
$$;

CREATE TABLE IF NOT EXISTS salesops.report_daily_shipping_history
    (LIKE salesops.report_daily_shipping, valid_from timestamptz NOT NULL, valid_to timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS report_daily_shipping_history_day ON salesops.report_daily_shipping_history (day, valid_to);

CREATE OR REPLACE FUNCTION salesops.report_daily_shipping_as_of(at timestamptz)
RETURNS SETOF salesops.report_daily_shipping LANGUAGE sql STABLE AS $$
    SELECT r.day, r.shipping_company, r.revenue, r.line_count FROM salesops.report_daily_shipping r
     WHERE NOT EXISTS (SELECT 1 FROM salesops.report_day_version v
                        WHERE v.day = r.day AND v.written_at > at)
    UNION ALL
    SELECT day, shipping_company, revenue, line_count FROM salesops.report_daily_shipping_history h
     WHERE h.valid_from <= at AND at < h.valid_to
$$;

CREATE TABLE IF NOT EXISTS salesops.report_daily_quality_history
    (LIKE salesops.report_daily_quality, valid_from timestamptz NOT NULL, valid_to timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS report_daily_quality_history_day ON salesops.report_daily_quality_history (day, valid_to);

CREATE OR REPLACE FUNCTION salesops.report_daily_quality_as_of(at timestamptz)
RETURNS SETOF salesops.report_daily_quality LANGUAGE sql STABLE AS $$
    SELECT r.day, r.line_count, r.mismatched_total_count, r.nonpositive_units_count, r.negative_amount_count, r.missing_shipping_company_count, r.rejected_row_count, r.tolerance FROM salesops.report_daily_quality r
     WHERE NOT EXISTS (SELECT 1 FROM salesops.report_day_version v
                        WHERE v.day = r.day AND v.written_at > at)
    UNION ALL
    SELECT day, line_count, mismatched_total_count, nonpositive_units_count, negative_amount_count, missing_shipping_company_count, rejected_row_count, tolerance FROM salesops.report_daily_quality_history h
     WHERE h.valid_from <= at AND at < h.valid_to
$$;

CREATE TABLE IF NOT EXISTS salesops.report_quality_sample_history
    (LIKE salesops.report_quality_sample, valid_from timestamptz NOT NULL, valid_to timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS report_quality_sample_history_day ON salesops.report_quality_sample_history (day, valid_to);

CREATE OR REPLACE FUNCTION salesops.report_quality_sample_as_of(at timestamptz)
RETURNS SETOF salesops.report_quality_sample LANGUAGE sql STABLE AS $$
    SELECT r.day, r.rule, r.source_file, r.source_row_number, r.row_values, r.source_sheet FROM salesops.report_quality_sample r
     WHERE NOT EXISTS (SELECT 1 FROM salesops.report_day_version v
                        WHERE v.day = r.day AND v.written_at > at)
    UNION ALL
    SELECT day, rule, source_file, source_row_number, row_values, source_sheet FROM salesops.report_quality_sample_history h
     WHERE h.valid_from <= at AND at < h.valid_to
$$;
