"""Load: the import log, staging, publishing a file version's facts, partitions, withdrawal."""
