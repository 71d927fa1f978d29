-- Revision 0002, last step: the in-place upgrades that sql/01 and sql/03 ran on every start
-- before Alembic. Each step first looks whether it is due, so on a database created at the
-- baseline none of them changes anything (and none takes a lock it does not need).

-- Import log: the status CHECK lists every status of core/load/import_log.py ImportStatus (a
-- database made before a status was added has the old list), withdrawn_at, the skipped-row
-- count and the sheet lists.
DO $$
DECLARE
    statuses CONSTANT text[] := ARRAY['running', 'staged', 'loaded', 'rejected', 'duplicate',
                                      'superseded', 'failed', 'withdrawn'];
    current_check text := (SELECT pg_get_constraintdef(oid) FROM pg_constraint
                           WHERE conrelid = 'salesops.import_log'::regclass
                             AND conname = 'import_log_status_check');
BEGIN
    IF current_check IS NULL OR EXISTS (SELECT 1 FROM unnest(statuses) s
                                        WHERE current_check NOT LIKE '%''' || s || '''%') THEN
        EXECUTE format('ALTER TABLE salesops.import_log DROP CONSTRAINT IF EXISTS'
                       ' import_log_status_check, ADD CONSTRAINT import_log_status_check'
                       ' CHECK (status IN (%s))',
                       (SELECT string_agg(quote_literal(s), ', ') FROM unnest(statuses) s));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'salesops.import_log'::regclass
                   AND attname = 'withdrawn_at' AND NOT attisdropped) THEN
        ALTER TABLE salesops.import_log ADD COLUMN withdrawn_at timestamptz;
    END IF;
END $$;
ALTER TABLE salesops.import_log
    ADD COLUMN IF NOT EXISTS rows_skipped bigint NOT NULL DEFAULT 0 CHECK (rows_skipped >= 0),
    ADD COLUMN IF NOT EXISTS sheets jsonb,
    ADD COLUMN IF NOT EXISTS skipped_sheets jsonb;

-- Facts moved aside by 0002_move_facts_aside.sql: every row back into the partitioned table
-- (shared partition), ids kept, the sequence continuing after them. That layout predates
-- worksheets, so each row gets the sheet its import log names ('' for CSV files).
DO $$
DECLARE
    sequence_name text;
BEGIN
    IF to_regclass('salesops.fact_sales_line_before_partitioning') IS NOT NULL THEN
        INSERT INTO salesops.fact_sales_line
            (sales_line_id, sold_at, product_id, seller_id, shipping_company_id, unit_price, units,
             total_price, source_file, source_row_number, import_id, load_slot, source_sheet)
        SELECT f.sales_line_id, f.sold_at, f.product_id, f.seller_id, f.shipping_company_id,
               f.unit_price, f.units, f.total_price, f.source_file, f.source_row_number,
               f.import_id, 0, coalesce(l.sheet_name, '')
        FROM salesops.fact_sales_line_before_partitioning f
        JOIN salesops.import_log l USING (import_id);
        PERFORM setval(pg_get_serial_sequence('salesops.fact_sales_line', 'sales_line_id'),
                       (SELECT coalesce(max(sales_line_id), 0) + 1
                        FROM salesops.fact_sales_line), false);
        DROP TABLE salesops.fact_sales_line_before_partitioning;
    END IF;
    -- The old table's identity sequence held the usual name while the partitioned table was
    -- created, so its sequence got a "1" appended; give it the name a fresh database has.
    sequence_name := pg_get_serial_sequence('salesops.fact_sales_line', 'sales_line_id');
    IF sequence_name <> 'salesops.fact_sales_line_sales_line_id_seq'
       AND to_regclass('salesops.fact_sales_line_sales_line_id_seq') IS NULL THEN
        EXECUTE format('ALTER SEQUENCE %s RENAME TO fact_sales_line_sales_line_id_seq',
                       sequence_name);
    END IF;
END $$;

-- Likewise the generated names of the partitioned table's checks and foreign keys (the old
-- table held them, so they got a "1"): the names a fresh database has. A foreign key cannot be
-- renamed on the partitions, so it is added again under its name (one validating scan).
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT conname, contype, pg_get_constraintdef(oid) AS definition
             FROM pg_constraint WHERE conrelid = 'salesops.fact_sales_line'::regclass
              AND conname ~ '^fact_sales_line_\w+_(fkey|check)1$'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint o
                              WHERE o.conrelid = 'salesops.fact_sales_line'::regclass
                                AND o.conname = left(pg_constraint.conname, -1))
    LOOP
        IF c.contype = 'c' THEN
            EXECUTE format('ALTER TABLE salesops.fact_sales_line RENAME CONSTRAINT %I TO %I',
                           c.conname, left(c.conname, -1));
        ELSE
            EXECUTE format('ALTER TABLE salesops.fact_sales_line DROP CONSTRAINT %I,'
                           ' ADD CONSTRAINT %I %s', c.conname, left(c.conname, -1),
                           c.definition);
        END IF;
    END LOOP;
END $$;

-- Facts and quarantined rows keep their worksheet (multi-sheet workbooks). Rows loaded before
-- get the sheet their import log names.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'salesops'
                   AND table_name = 'fact_sales_line' AND column_name = 'source_sheet') THEN
        ALTER TABLE salesops.fact_sales_line ADD COLUMN source_sheet text NOT NULL DEFAULT '';
        UPDATE salesops.fact_sales_line f SET source_sheet = l.sheet_name
        FROM salesops.import_log l WHERE l.import_id = f.import_id AND l.sheet_name IS NOT NULL;
        ALTER TABLE salesops.fact_sales_line DROP CONSTRAINT fact_sales_line_source_key;
        ALTER TABLE salesops.fact_sales_line ADD CONSTRAINT fact_sales_line_source_key
            UNIQUE (source_file, source_sheet, source_row_number, load_slot);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'salesops'
                   AND table_name = 'rejected_row' AND column_name = 'source_sheet') THEN
        ALTER TABLE salesops.rejected_row ADD COLUMN source_sheet text NOT NULL DEFAULT '';
        UPDATE salesops.rejected_row r SET source_sheet = l.sheet_name
        FROM salesops.import_log l WHERE l.import_id = r.import_id AND l.sheet_name IS NOT NULL;
        ALTER TABLE salesops.rejected_row DROP CONSTRAINT rejected_row_import_row_key;
        ALTER TABLE salesops.rejected_row ADD CONSTRAINT rejected_row_import_row_key
            UNIQUE (import_id, source_sheet, source_row_number);
    END IF;
END $$;

-- Staging tables are scratch space (emptied after each publish): they just get the sheet.
ALTER TABLE salesops.stage_sales_line ADD COLUMN IF NOT EXISTS source_sheet text NOT NULL DEFAULT '';
ALTER TABLE salesops.stage_rejected_row ADD COLUMN IF NOT EXISTS source_sheet text NOT NULL DEFAULT '';

-- Quality samples keep their worksheet (the report refresh recomputes them anyway).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'salesops'
                   AND table_name = 'report_quality_sample' AND column_name = 'source_sheet') THEN
        ALTER TABLE salesops.report_quality_sample
            ADD COLUMN source_sheet text NOT NULL DEFAULT '',
            DROP CONSTRAINT report_quality_sample_pkey,
            ADD CONSTRAINT report_quality_sample_pkey
                PRIMARY KEY (day, rule, source_file, source_sheet, source_row_number);
    END IF;
END $$;
