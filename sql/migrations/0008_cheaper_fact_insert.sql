-- Two per-row costs of building a file version's facts from staging, with no guarantee behind
-- them (benchmarks/ingest.py --profile; about 0.3 s per million lines together):
-- * staged amounts were unconstrained numeric, so the fact insert rounded each of three values
--   per line to the facts' numeric(24, 6). The row parser already refuses more than 6 decimal
--   places and amounts past MONEY_LIMIT / UNITS_LIMIT (core/extract/rows/cells.py), so the
--   staged values fit as they are: the COPY into staging, which runs while the file is still
--   being parsed, checks it instead.
-- * the line ids came from a sequence without a cache: one shared-buffer visit per line. A
--   cache of 1000 hands each session its own block; ids stay unique and increasing within a
--   session, with gaps between sessions (no id was ever promised contiguous).
ALTER TABLE salesops.stage_sales_line
    ALTER COLUMN unit_price TYPE numeric(24, 6),
    ALTER COLUMN units TYPE numeric(24, 6),
    ALTER COLUMN total_price TYPE numeric(24, 6);
ALTER SEQUENCE salesops.fact_sales_line_sales_line_id_seq CACHE 1000;
