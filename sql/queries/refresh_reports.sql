-- Report refresh body: recompute the daily report rows of the days in temp table refresh_day.
-- Run by salesops_pipeline/core/report/refresh.py inside one REPEATABLE READ transaction, after it has
-- filled refresh_day; %(tolerance)s, %(samples)s and %(loaded)s (the status) are bound parameters.
-- (Not a schema file: `salesops db init` applies only the numbered files in sql/.)

CREATE TEMP TABLE refresh_line ON COMMIT DROP AS
SELECT f.sales_line_id, f.sold_at, f.sold_at::date AS day, f.product_id, f.seller_id,
       f.shipping_company_id, f.unit_price, f.units, f.total_price, f.source_file,
       f.source_sheet, f.source_row_number
FROM salesops.fact_sales_line f
JOIN refresh_day d ON f.sold_at >= d.day AND f.sold_at < d.day + 1;

DELETE FROM salesops.report_daily_sales    WHERE day IN (SELECT day FROM refresh_day);
DELETE FROM salesops.report_daily_seller   WHERE day IN (SELECT day FROM refresh_day);
DELETE FROM salesops.report_daily_product  WHERE day IN (SELECT day FROM refresh_day);
DELETE FROM salesops.report_daily_shipping WHERE day IN (SELECT day FROM refresh_day);
DELETE FROM salesops.report_daily_quality  WHERE day IN (SELECT day FROM refresh_day);
DELETE FROM salesops.report_quality_sample WHERE day IN (SELECT day FROM refresh_day);

INSERT INTO salesops.report_daily_sales (day, revenue, units, line_count)
SELECT day, sum(total_price), sum(units), count(*) FROM refresh_line GROUP BY day;

INSERT INTO salesops.report_daily_seller (day, seller_id, seller, revenue, units, line_count)
SELECT l.day, l.seller_id, s.name, sum(l.total_price), sum(l.units), count(*)
FROM refresh_line l JOIN salesops.dim_seller s USING (seller_id)
GROUP BY l.day, l.seller_id, s.name;

INSERT INTO salesops.report_daily_product (day, product_id, product, revenue, units, line_count)
SELECT l.day, l.product_id, p.name, sum(l.total_price), sum(l.units), count(*)
FROM refresh_line l JOIN salesops.dim_product p USING (product_id)
GROUP BY l.day, l.product_id, p.name;

INSERT INTO salesops.report_daily_shipping (day, shipping_company, revenue, line_count)
SELECT l.day, coalesce(c.name, 'UNKNOWN'), sum(l.total_price), count(*)
FROM refresh_line l LEFT JOIN salesops.dim_shipping_company c USING (shipping_company_id)
GROUP BY l.day, coalesce(c.name, 'UNKNOWN');

-- Data-quality rules, one flag column each. The RULE_... markers are filled in by
-- salesops_pipeline/core/report/refresh.py refresh_sql() from the rule registry
-- (salesops_pipeline/core/report/rules.py FACT_RULES; the asset checks use the same rules):
-- RULE_FLAGS e.g. "f.units <= 0 AS nonpositive_units", RULE_COUNTS "count(*) FILTER (WHERE
-- nonpositive_units) AS nonpositive_units_count", RULE_COUNT_COLUMNS the report columns,
-- RULE_COUNT_VALUES "coalesce(f.nonpositive_units_count, 0)", RULE_HITS
-- "('nonpositive_units', f.nonpositive_units)". The quarantine rule (rules.QUARANTINED_ROWS:
-- rejected_row_count, samples 'rejected_row') is counted from salesops.rejected_row below.
CREATE TEMP TABLE refresh_flag ON COMMIT DROP AS
SELECT f.*, /*RULE_FLAGS*/
FROM refresh_line f;

-- Rejected rows of the currently loaded versions, counted on the day their import was published.
CREATE TEMP TABLE refresh_rejected ON COMMIT DROP AS
SELECT r.source_file, r.source_sheet, r.source_row_number, r.raw_values, r.reasons, i.finished_at::date AS day
FROM salesops.rejected_row r
JOIN salesops.import_log i ON i.import_id = r.import_id AND i.status = %(loaded)s
WHERE i.finished_at::date IN (SELECT day FROM refresh_day);

INSERT INTO salesops.report_daily_quality
    (day, line_count, /*RULE_COUNT_COLUMNS*/, rejected_row_count, tolerance)
SELECT d.day, coalesce(f.line_count, 0), /*RULE_COUNT_VALUES*/, coalesce(r.rejected, 0),
       %(tolerance)s
FROM refresh_day d
LEFT JOIN (
    SELECT day, count(*) AS line_count, /*RULE_COUNTS*/
    FROM refresh_flag GROUP BY day
) f ON f.day = d.day
LEFT JOIN (SELECT day, count(*) AS rejected FROM refresh_rejected GROUP BY day) r
    ON r.day = d.day
WHERE f.day IS NOT NULL OR r.day IS NOT NULL;

INSERT INTO salesops.report_quality_sample
    (day, rule, source_file, source_sheet, source_row_number, row_values)
SELECT day, rule, source_file, source_sheet, source_row_number, row_values FROM (
    SELECT x.*, row_number() OVER (PARTITION BY day, rule
                                   ORDER BY source_file, source_sheet, source_row_number) AS n
    FROM (
        SELECT f.day, rule.name AS rule, f.source_file, f.source_sheet, f.source_row_number,
               jsonb_build_object('sold_at', f.sold_at, 'unit_price', f.unit_price,
                                  'units', f.units, 'total_price', f.total_price,
                                  'shipping_company_id', f.shipping_company_id) AS row_values
        FROM refresh_flag f
        CROSS JOIN LATERAL (VALUES /*RULE_HITS*/) AS rule(name, hit)
        WHERE rule.hit
        UNION ALL
        SELECT day, 'rejected_row', source_file, source_sheet, source_row_number,
               jsonb_build_object('raw', raw_values, 'reasons', to_jsonb(reasons))
        FROM refresh_rejected
    ) x
) numbered
WHERE n <= %(samples)s;
