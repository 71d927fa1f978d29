-- Revision 0002, first step (before the baseline files run again): a fact table from before
-- partitioning (one plain table) is renamed aside with its keys and indexes dropped, so that the
-- baseline can create the partitioned table under its name. 0002_upgrade_in_place.sql then
-- copies every row back, ids included. Nothing to do on a database at the baseline.
DO $$
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('salesops.fact_sales_line')) = 'r'
    THEN
        ALTER TABLE salesops.fact_sales_line RENAME TO fact_sales_line_before_partitioning;
        ALTER TABLE salesops.fact_sales_line_before_partitioning
            DROP CONSTRAINT fact_sales_line_pkey, DROP CONSTRAINT fact_sales_line_source_key;
        DROP INDEX salesops.fact_sales_line_sold_at_idx, salesops.fact_sales_line_import_idx,
            salesops.fact_sales_line_seller_idx, salesops.fact_sales_line_product_idx;
    END IF;
END $$;
