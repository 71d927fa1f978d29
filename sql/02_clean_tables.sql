-- Reset: empty every warehouse and report table and restart the identities. Schema stays.
TRUNCATE
    salesops.fact_sales_line,
    salesops.rejected_row,
    salesops.stage_sales_line,
    salesops.stage_rejected_row,
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
    salesops.report_refresh
RESTART IDENTITY CASCADE;
