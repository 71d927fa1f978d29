-- Tables and the one-spelling function of benchmarks/csv_paths.py (throwaway cluster only).
CREATE SCHEMA IF NOT EXISTS bench;

-- Where the sql and polars paths land: stage_sales_line's shape (UNLOGGED, numeric(24, 6)).
CREATE UNLOGGED TABLE IF NOT EXISTS bench.alt_stage_sales_line
    (LIKE salesops.stage_sales_line INCLUDING ALL);

-- The sql path's text staging: every field as COPY (FORMAT csv) leaves it. n numbers the
-- records in the order COPY reads them (one identity per record, whatever its line count); it is
-- not the spreadsheet's row: a blank line is no record to COPY (it is refused with "missing data
-- for column" when the table has several columns) while today's reader counts it as a row, and
-- a record holding a quoted line break spans several lines of the file, so neither a text
-- editor's line numbers nor COPY's error context ("line N") name the row users see.
CREATE UNLOGGED TABLE IF NOT EXISTS bench.csv_text (
    n                bigint GENERATED ALWAYS AS IDENTITY,
    sold_at          text,
    product          text,
    seller           text,
    unit_price       text,
    units            text,
    total_price      text,
    shipping_company text
);

-- core/extract/rows/names.py's to_name as far as SQL goes: plain printable-ASCII names with
-- single inner spaces are kept as they are (the fast path); the others lose control and
-- invisible characters, are composed (NFC) and have every whitespace run (Python's str.split()
-- set, spelled out) collapsed and trimmed. NULL when nothing is left (the caller checks the
-- length limit).
CREATE OR REPLACE FUNCTION bench.one_spelling(raw text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN raw ~ '^[!-~]+( [!-~]+)*$' THEN raw
        ELSE nullif(btrim(regexp_replace(normalize(regexp_replace(raw,
                 '[\x01-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u180e\u200b\u200e\u200f\u2060\ufeff]',
                 '', 'g'), NFC),
                 '[\t-\r\x1c-\x20\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+',
                 ' ', 'g'), ' '), '')
    END
$$;
