"""Sensors: files dropped into SALES_DATA_DIR start imports; stale reports start a refresh.

Both are on by default. The file sensor requests one run per file version (run key = file key,
content hash and version number), so many ticks seeing a file import it once, a corrected
re-export under the same name imports again, and a file still being written waits. Files new to
the folder that one tick sees together are imported in batches (one run per
SALESOPS_INGEST_BATCH_FILES files, a range of their partitions; run key = hash of the batch's
versions): a drop of hundreds of files pays a run's start-up cost a few times, not per file.
A file that is not imported is logged once with the reason (until it changes): a `.pdf` dropped
by mistake, a symbolic link, a FIFO, socket or device (never opened), a file or folder this
process may not read (core/extract/intake/folder_scan.py).
"""

import time
from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from salesops_pipeline.core.extract.intake.folder_scan import dump_state, load_state, scan
from salesops_pipeline.core.load import import_log
from salesops_pipeline.defs.ingest import KIND_TAG, SALES_FILES, ingest_job, sales_files
from salesops_pipeline.defs.location import SETTINGS
from salesops_pipeline.defs.reports import reports_job
from salesops_pipeline.defs.resources import SalesFolderResource, WarehouseResource
from salesops_pipeline.defs.run_requests import plan_ingest_runs

ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
          DagsterRunStatus.STARTED]
REPORT_RETRY_SECONDS = 300


@sensor(job=ingest_job, minimum_interval_seconds=SETTINGS.sensor_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Import each new or changed sales export in SALES_DATA_DIR (subfolders too).")
def sales_folder_sensor(context: SensorEvaluationContext, sales_folder: SalesFolderResource,
                        warehouse: WarehouseResource) -> SensorResult:
    state = load_state(context.cursor)
    found = scan(sales_folder.root, state, settle_seconds=sales_folder.settle_seconds,
                 exclude=(Path(sales_folder.export_dir),))
    if found.vanished:
        try:
            with warehouse.connection() as conn:
                marked = import_log.mark_source_missing(conn.cursor(), found.vanished)
            context.log.info(f"{len(found.vanished)} file(s) gone from the folder; "
                             f"{marked} import(s) marked source missing (data kept)")
        except Exception as exc:  # noqa: BLE001 - a database hiccup must not stop the sensor
            context.log.warning(f"could not mark vanished files: {exc}")
    known = set(context.instance.get_dynamic_partitions(SALES_FILES))
    runs = plan_ingest_runs(found.new_versions, known, SETTINGS.ingest_batch_files)
    keys = [key for key, _sha, _version in found.new_versions if key not in known]
    requests = [run.run_request() for run in runs]
    for key, reason in found.skipped:
        context.log.warning(f"{key}: not imported: {reason}")
    if found.unreported:
        context.log.warning(f"{found.unreported} more file(s) in the folder not imported (not "
                            "sales exports, or not readable; not listed one by one)")
    if found.waiting:
        context.log.info(f"waiting for {len(found.waiting)} file(s) still changing: "
                         f"{', '.join(found.waiting[:5])}")
    return SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[sales_files.build_add_request(keys)] if keys else [],
        cursor=dump_state(state),
    )


@sensor(job=reports_job, minimum_interval_seconds=15,
        default_status=DefaultSensorStatus.RUNNING,
        description="Refresh the reports (and run all checks) once imports have changed days.")
def stale_reports_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource
                         ) -> RunRequest | SkipReason:
    with warehouse.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), max(marked_at) FROM salesops.report_dirty_day")
        row = cur.fetchone()
        assert row is not None, "an aggregate without GROUP BY returns one row"
        dirty, latest = row
    if not dirty:
        return SkipReason("reports are up to date")
    active = context.instance.get_run_records(
        RunsFilter(job_name=reports_job.name, statuses=ACTIVE), limit=1)
    if active:
        return SkipReason("a report refresh is already queued or running")
    # One run per change; if it failed and the days are still dirty, try again later.
    attempt = int(time.time() // REPORT_RETRY_SECONDS)
    return RunRequest(run_key=f"dirty:{latest.isoformat()}:{attempt}",
                      tags={KIND_TAG: "reports"})
