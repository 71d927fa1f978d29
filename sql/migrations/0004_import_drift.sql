-- Revision 0004: each import records how its header changed (core/load/drift.py): against the
-- file's last loaded version and the usual header of its folder. NULL for imports made before
-- (and for versions never staged: rejected, duplicate).
ALTER TABLE salesops.import_log ADD COLUMN IF NOT EXISTS drift jsonb;
COMMENT ON COLUMN salesops.import_log.drift IS
    '{"changes": [{kind, against, sheet, column, before, after, before_position, after_position}], "references": [{against, file, import_id, files_alike, files_compared}]}';
