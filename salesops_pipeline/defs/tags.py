"""Run tags the jobs, sensors, loggers and alerts share (one definition each).

Kept apart from defs/ingest.py so that defs/logs.py (which names the file tag in every JSON
log line) and the jobs (which need the logs' run config) do not import each other.
"""

FILE_TAG = "salesops/file"  # the file (partition key) a lone-file ingest run imports
KIND_TAG = "salesops/kind"  # ingest, reports, withdraw, maintenance
BATCH_TAG = "salesops/batch_files"  # how many new files a batch run imports
REIMPORT_TAG = "salesops/reimport"  # "true": a withdrawn version of the run's files imports again
