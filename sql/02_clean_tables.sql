-- Reset: empty every warehouse and report table and restart the identities. Schema stays.
-- Large file versions' own fact partitions (and unattached builds) go with their rows.
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'salesops' AND c.relkind = 'r'
               AND c.relname ~ '^fact_sales_line_import_[0-9]+$'
    LOOP
        EXECUTE format('DROP TABLE salesops.%I', t);
    END LOOP;
END $$;
TRUNCATE
    salesops.fact_sales_line,
    salesops.rejected_row,
    salesops.skipped_row,
    salesops.control_total,
    salesops.stage_sales_line,
    salesops.stage_rejected_row,
    salesops.stage_name,
    salesops.report_dirty_day,
    salesops.import_log,
    salesops.dim_product,
    salesops.dim_seller,
    salesops.dim_shipping_company,
    salesops.report_daily_sales,
    salesops.report_daily_seller,
    salesops.report_daily_product,
    salesops.report_daily_shipping,
    salesops.report_daily_quality,
    salesops.report_quality_sample,
    salesops.report_refresh,
    salesops.report_change,
    salesops.report_week_sent,
    salesops.restatement,
    salesops.restatement_figure,
    salesops.restatement_file,
    salesops.report_day_version,
    salesops.report_daily_sales_history,
    salesops.report_daily_seller_history,
    salesops.report_daily_product_history,
    salesops.report_daily_shipping_history,
    salesops.report_daily_quality_history,
    salesops.report_quality_sample_history
RESTART IDENTITY CASCADE;
