-- Drill-down indexes (/reports/lines filtered by shipping company or data-quality rule, see
-- salesops_pipeline/core/report/lines.py). Created on the partitioned fact table, so every
-- partition gets them (a large import's own partition too; one built but not yet attached
-- gets them from core/load/partitions.py, which mirrors the parent's indexes, or at ATTACH).
-- The seller and product filters already have (seller_id, sold_at) and (product_id, sold_at).
CREATE INDEX IF NOT EXISTS fact_sales_line_shipping_idx
    ON salesops.fact_sales_line (shipping_company_id, sold_at);
-- The rules' expressions of core/report/rules.py, written the same way so the planner matches
-- them: partial indexes hold only the flagged lines (few), ordered by sale time.
CREATE INDEX IF NOT EXISTS fact_sales_line_nonpositive_units_idx
    ON salesops.fact_sales_line (sold_at) WHERE units <= 0;
CREATE INDEX IF NOT EXISTS fact_sales_line_negative_amount_idx
    ON salesops.fact_sales_line (sold_at) WHERE (unit_price < 0 OR total_price < 0);
-- The price rule's tolerance is a parameter, so no partial index can hold the rule itself:
-- this one holds the lines whose total differs from price × units at all (any tolerance's
-- hits are among them; core/report/lines.py states that condition beside the rule so the
-- planner uses it), in sale-time order.
CREATE INDEX IF NOT EXISTS fact_sales_line_price_gap_idx
    ON salesops.fact_sales_line (sold_at) WHERE abs(total_price - round(unit_price * units, 2)) > 0;
