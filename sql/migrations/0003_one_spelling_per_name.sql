-- Revision 0003 (versions/0003_one_spelling_per_name.py): one spelling per name. The revision
-- spelled every stored name with core/extract/rows/names.py, the one definition, and left in temp
-- tables name_change one row per dimension row that changes (dim, id, survivor: the lowest id
-- of the rows spelled alike, name: the spelling) and stage_spelling the staged names to respell
-- (old, new). Runs only when there is something to change; one transaction, like any revision.

-- The days whose report rows change: each day with a line of a changed row (the revision then
-- rewrites them). Before the lines move.
CREATE TEMP TABLE name_day ON COMMIT DROP AS
SELECT f.sold_at::date AS day FROM salesops.fact_sales_line f
WHERE f.product_id IN (SELECT id FROM name_change WHERE dim = 'dim_product')
UNION
SELECT f.sold_at::date FROM salesops.fact_sales_line f
WHERE f.seller_id IN (SELECT id FROM name_change WHERE dim = 'dim_seller')
UNION
SELECT f.sold_at::date FROM salesops.fact_sales_line f
WHERE f.shipping_company_id IN (SELECT id FROM name_change WHERE dim = 'dim_shipping_company');

-- The lines of a duplicate point at its survivor, in every table with a foreign key to a
-- dimension, found in the catalog: the fact table (its partitions follow it) and a large
-- import's own partition built but not attached yet (its keys are its own). Nothing else
-- changes on a line: its id, file, row, figures and partition stay.
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT c.conrelid::regclass AS referencing, a.attname AS key_column,
                    d.relname AS dim
             FROM pg_constraint c
             JOIN pg_class d ON d.oid = c.confrelid
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.conparentid = 0
               AND d.relnamespace = 'salesops'::regnamespace
               AND d.relname IN ('dim_product', 'dim_seller', 'dim_shipping_company')
             ORDER BY 1, 2
    LOOP
        EXECUTE format('UPDATE %s t SET %I = n.survivor FROM name_change n'
                       ' WHERE n.dim = %L AND t.%I = n.id AND n.id <> n.survivor',
                       k.referencing, k.key_column, k.dim, k.key_column);
    END LOOP;
END $$;

-- Staged rows of imports not yet published were spelled by the older parser: respelled, so that
-- publishing them adds no second spelling.
UPDATE salesops.stage_sales_line s SET product = n.new
FROM stage_spelling n WHERE s.product = n.old;
UPDATE salesops.stage_sales_line s SET seller = n.new
FROM stage_spelling n WHERE s.seller = n.old;
UPDATE salesops.stage_sales_line s SET shipping_company = n.new
FROM stage_spelling n WHERE s.shipping_company = n.old;

-- The duplicates go (no line points at them now), then each survivor takes the spelling. The
-- names are UNIQUE, checked row by row (not deferrable): every row spelled alike is in the
-- survivor's group, so once its duplicates are gone no other row holds its new name, and no
-- statement here ever meets two rows of one name.
DELETE FROM salesops.dim_product d USING name_change n
WHERE n.dim = 'dim_product' AND d.product_id = n.id AND n.id <> n.survivor;
DELETE FROM salesops.dim_seller d USING name_change n
WHERE n.dim = 'dim_seller' AND d.seller_id = n.id AND n.id <> n.survivor;
DELETE FROM salesops.dim_shipping_company d USING name_change n
WHERE n.dim = 'dim_shipping_company' AND d.shipping_company_id = n.id AND n.id <> n.survivor;

UPDATE salesops.dim_product d SET name = n.name FROM name_change n
WHERE n.dim = 'dim_product' AND d.product_id = n.id AND n.id = n.survivor AND d.name <> n.name;
UPDATE salesops.dim_seller d SET name = n.name FROM name_change n
WHERE n.dim = 'dim_seller' AND d.seller_id = n.id AND n.id = n.survivor AND d.name <> n.name;
UPDATE salesops.dim_shipping_company d SET name = n.name FROM name_change n
WHERE n.dim = 'dim_shipping_company' AND d.shipping_company_id = n.id AND n.id = n.survivor
  AND d.name <> n.name;
