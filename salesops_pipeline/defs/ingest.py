"""Ingestion assets, one dynamic partition per file (its path relative to SALES_DATA_DIR).

raw_sales_rows (parse + COPY into staging) → dim_product / dim_seller / dim_shipping_company
(set-based upserts) → fact_sales_line (atomic switch of each file's facts). The steps hand each
other nothing but the import log: every step is a set-based SQL statement on staged rows.

A run imports one file (a partition) or a batch of new files (a contiguous range of partitions,
which the sensor requests when many files arrive at once: the run's start-up cost is paid once
per batch, not per file). Each file still has its own import, lock, transaction and metadata.
"""


import time
import warnings

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSelection,
    BackfillPolicy,
    BetaWarning,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    asset,
    define_asset_job,
    in_process_executor,
)

from salesops_pipeline.core.extract.intake.file_keys import FileVersion, private_copy, sha256_inside
from salesops_pipeline.core.load import import_log, staging
from salesops_pipeline.core.load import publish as loader
from salesops_pipeline.core.load.drift import Drift
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.load.progress import Stage
from salesops_pipeline.defs.drift_check import SHAPE_SPEC, shape_result
from salesops_pipeline.defs.ingest_steps import (
    for_each_file,
    progress_reporter,
    record_failure,
    retire_partitions,
    staged_import,
)
from salesops_pipeline.defs.location import SETTINGS
from salesops_pipeline.defs.logs import RUN_CONFIG
from salesops_pipeline.defs.metadata import (
    count,
    date_order_text,
    import_metadata,
    seconds_value,
    stage_metadata,
)
from salesops_pipeline.defs.resources import SalesFolderResource, WarehouseResource
from salesops_pipeline.defs.retry import TRANSIENT, retry_transient_db_errors
from salesops_pipeline.defs.run_requests import partition_range_tags as partition_range_tags
from salesops_pipeline.defs.table_schemas import OWNERS, table_metadata

# The run tags live in defs/tags.py; named here too for the modules that import them from here.
from salesops_pipeline.defs.tags import BATCH_TAG as BATCH_TAG
from salesops_pipeline.defs.tags import FILE_TAG as FILE_TAG
from salesops_pipeline.defs.tags import KIND_TAG, REIMPORT_TAG
from salesops_pipeline.errors import (
    ImportStateConflict,
    NotReadable,
    UnsafePath,
    WorkbookError,
)

SALES_FILES = "sales_files"  # the name of the dynamic partitions, one per file
sales_files = DynamicPartitionsDefinition(name=SALES_FILES)
INGEST_GROUP = "ingest"
READABLE_CHECK = "file_is_readable_workbook"
# A backfill from the UI (e.g. re-import every file) runs up to this many files per run too.
# `backfill_policy` is marked beta in Dagster 1.13 (pinned): say so once here, not in every log.
BACKFILL = BackfillPolicy.multi_run(max_partitions_per_run=SETTINGS.ingest_batch_files)
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)


@asset(
    partitions_def=sales_files, group_name=INGEST_GROUP, kinds={"excel", "postgres"},
    owners=OWNERS, tags={"domain": "sales", "layer": "staging"},
    metadata=table_metadata("stage_sales_line"), backfill_policy=BACKFILL,
    check_specs=[AssetCheckSpec(READABLE_CHECK, asset="raw_sales_rows",
                                description="The run's files are sales workbooks."),
                 SHAPE_SPEC],
    description="Parse each workbook of the run and COPY its rows into staging; bad rows go to "
                "quarantine.",
)
def raw_sales_rows(context: AssetExecutionContext, warehouse: WarehouseResource,
                   sales_folder: SalesFolderResource) -> MaterializeResult:
    """One file (its partition) or a batch of new files (a partition range) per run.

    In a batch, a file that fails is recorded in the import log and the others go on; the run
    fails at the end of fact_sales_line. A lone file's failure fails the run here, as before.
    """
    keys = list(context.partition_keys)
    drifts: dict[str, Drift | None] = {}
    problems, last = for_each_file(
        context, "staged", lambda key: _extract(context, warehouse, sales_folder, key, drifts))
    shape = shape_result(drifts)
    if len(keys) == 1:
        detail = problems.get(keys[0]) or last.get("detail", "")
        return MaterializeResult(check_results=[_readable(not problems, str(detail)), shape])
    detail = "; ".join(f"{k}: {p}" for k, p in list(problems.items())[:10]) or (
        f"all {len(keys)} files readable")
    return MaterializeResult(
        metadata={"files": len(keys), "files_not_staged": len(problems)},
        check_results=[_readable(not problems, detail), shape])


def _extract(context: AssetExecutionContext, warehouse: WarehouseResource,
             sales_folder: SalesFolderResource, key: str, drifts: dict[str, Drift | None]
             ) -> tuple[dict[str, object], str | None]:
    """Stage one file; return its metadata and, when it was rejected, why (its header's drift
    goes into ``drifts``)."""
    try:
        with private_copy(key, sales_folder.root) as version:
            return _import_version(context, warehouse, sales_folder, version, drifts)
    except FileNotFoundError:
        raise Failure(f"{key}: the file is no longer in {sales_folder.root}; nothing imported",
                      allow_retries=False) from None
    except (UnsafePath, NotReadable) as exc:  # a link, FIFO, device, or no permission
        raise Failure(str(exc), allow_retries=False) from None


def _import_version(context: AssetExecutionContext, warehouse: WarehouseResource,
                    sales_folder: SalesFolderResource, version: FileVersion,
                    drifts: dict[str, Drift | None]) -> tuple[dict[str, object], str | None]:
    """Record, stage and report one version (parsed from the private copy that was hashed)."""
    key = version.key
    reimport = context.run.tags.get(REIMPORT_TAG) == "true"
    with warehouse.connection() as conn:
        decision = import_log.decide(conn.cursor(), version, context.run_id, reimport=reimport)
    base = {"file": key, "sha256": version.sha256, "size_bytes": version.size,
            "import_id": decision.import_id, "action": decision.action.value}
    if decision.action is not import_log.Action.IMPORT:
        context.log.info(f"{key}: {decision.detail}")
        return {**base, "detail": decision.detail}, None
    context.log.info(f"{key}: staging import {decision.import_id} ({version.size:,} bytes)")
    report = progress_reporter(context)
    try:
        with warehouse.connection() as conn:
            staged = staging.stage_file(
                conn, import_id=decision.import_id, key=key, path=version.path,
                column_map=sales_folder.column_map, max_rows=sales_folder.max_rows_per_file,
                memory_mb=sales_folder.parse_memory_mb, date_order=sales_folder.date_order,
                progress=report)
    except WorkbookError as exc:
        with warehouse.connection() as conn:
            import_log.mark_rejected(conn.cursor(), decision.import_id, str(exc))
        context.log.error(f"{key}: file rejected: {exc}")
        return {**base, "action": ImportStatus.REJECTED.value, "error": str(exc)}, str(exc)
    except ImportStateConflict as exc:  # another run staged, published or refused it meanwhile
        context.log.info(f"{key}: {exc}")
        return {**base, "detail": str(exc)}, None
    except Exception as exc:
        record_failure(warehouse, decision.import_id, exc)
        raise
    report(key, Stage.STAGE, staged.rows_staged, staged.rows_staged)  # committed
    if staged.dates_needed_order:
        context.log.info(f"{key}: date order {date_order_text(staged)}")
    drifts[key] = staged.drift
    if staged.drift is not None and staged.drift.changed:
        context.log.warning(f"{key}: {staged.drift.summary()}")
    return {**base, **stage_metadata(staged)}, None


def _readable(passed: bool, detail: str) -> AssetCheckResult:
    return AssetCheckResult(check_name=READABLE_CHECK, passed=passed,
                            severity=AssetCheckSeverity.ERROR, metadata={"detail": detail})


def _dimension_asset(table: str):
    @asset(
        name=table, partitions_def=sales_files, group_name=INGEST_GROUP, kinds={"postgres"},
        deps=[raw_sales_rows], backfill_policy=BACKFILL, owners=OWNERS,
        tags={"domain": "sales", "layer": "dimension"}, metadata=table_metadata(table),
        description=f"Upsert the names of the staged files into salesops.{table}.",
    )
    def _dimension(context: AssetExecutionContext, warehouse: WarehouseResource
                   ) -> MaterializeResult:
        total_inserted = 0
        for key in context.partition_keys:
            with retry_transient_db_errors():
                import_id = staged_import(warehouse, key, context.run_id)
                if import_id is None:
                    context.add_asset_metadata({"detail": "nothing staged for this file"},
                                               partition_key=key)
                    continue
                with warehouse.connection() as conn:
                    distinct, inserted = loader.upsert_dimension(conn, import_id=import_id,
                                                                 table=table)
            total_inserted += inserted
            context.add_asset_metadata({"import_id": import_id, "names_in_file": distinct,
                                        "names_inserted": inserted}, partition_key=key)
        context.log.info(f"{table}: {total_inserted} new names")
        return MaterializeResult()

    return _dimension


dim_product = _dimension_asset("dim_product")
dim_seller = _dimension_asset("dim_seller")
dim_shipping_company = _dimension_asset("dim_shipping_company")


@asset(
    partitions_def=sales_files, group_name=INGEST_GROUP, kinds={"postgres"},
    deps=[raw_sales_rows, dim_product, dim_seller, dim_shipping_company], backfill_policy=BACKFILL,
    owners=OWNERS, tags={"domain": "sales", "layer": "fact"},
    metadata=table_metadata("fact_sales_line"),
    description="Switch each file's facts to its staged version, one transaction per file.",
)
def fact_sales_line(context: AssetExecutionContext, warehouse: WarehouseResource,
                    sales_folder: SalesFolderResource) -> MaterializeResult:
    keys = list(context.partition_keys)
    for_each_file(context, "published",
                   lambda key: (_publish(context, warehouse, sales_folder, key), None))
    if len(keys) > 1:
        failed = _failed_files(warehouse, keys)
        if failed:
            raise Failure(
                f"{len(failed)} of {len(keys)} files not imported (the others are): "
                + "; ".join(f"{k}: {e}" for k, e in failed[:10]),
                metadata={"failed_files": len(failed)}, allow_retries=False)
    return MaterializeResult()


def _publish(context: AssetExecutionContext, warehouse: WarehouseResource,
             sales_folder: SalesFolderResource, key: str) -> dict[str, object]:
    import_id = staged_import(warehouse, key, context.run_id)
    if import_id is None:
        return {"file": key, "detail": "nothing staged for this file"}
    report = progress_reporter(context)
    staged = _rows_staged(warehouse, import_id)
    if staged:
        report(key, Stage.PUBLISH, 0, staged)
    started = time.perf_counter()
    try:
        with warehouse.connection() as conn:
            own_rows = loader.build_own_partition(conn, import_id=import_id, key=key,
                                                  min_rows=warehouse.own_partition_rows)
        built = time.perf_counter()
        with warehouse.connection() as conn:
            result = loader.publish(conn, import_id=import_id, key=key,
                                    current_sha=lambda: _current_sha(sales_folder, key))
    except TRANSIENT:
        raise  # the step is retried; the staged version stays staged
    except Exception as exc:
        record_failure(warehouse, import_id, exc)
        raise
    seconds = time.perf_counter() - built
    if result.published:
        report(key, Stage.PUBLISH, result.rows_loaded, result.rows_loaded)  # committed
    if result.superseded_import:
        retire_partitions(context, warehouse)
    with warehouse.connection() as conn:
        metadata = import_metadata(conn, import_id)
    metadata.update({
        "published": result.published, "rows_replaced": count(result.rows_replaced),
        "superseded_import": result.superseded_import or 0,
        "days_touched": count(len(result.days_touched)),
        "dagster/row_count": count(result.rows_loaded),
        "publish_duration_s": seconds_value(seconds),
        "fact_partition": "shared" if own_rows is None else f"own ({own_rows:,} rows)",
        "partition_build_duration_s": seconds_value(built - started),
    })
    context.log.info(f"{key}: {result.rows_loaded:,} rows loaded, {result.rows_replaced:,} "
                     f"replaced, import {import_id}")
    return metadata


def _rows_staged(warehouse: WarehouseResource, import_id: int) -> int | None:
    with warehouse.connection() as conn:
        return import_log.rows_staged(conn.cursor(), import_id)


def _current_sha(sales_folder: SalesFolderResource, key: str) -> str | None:
    try:
        return sha256_inside(key, sales_folder.root)[0]
    except (OSError, UnsafePath, NotReadable):
        return None  # gone or replaced by a link: publish what was staged (read safely)


def _failed_files(warehouse: WarehouseResource, keys: list[str]) -> list[tuple[str, str]]:
    """Files of this batch whose newest import failed (the import log says why)."""
    with warehouse.connection() as conn:
        return import_log.failed_files(conn.cursor(), keys)


ingest_assets = [raw_sales_rows, dim_product, dim_seller, dim_shipping_company, fact_sales_line]

ingest_job = define_asset_job(
    "ingest_file",
    selection=AssetSelection.assets(*ingest_assets),
    partitions_def=sales_files,
    executor_def=in_process_executor,  # one process: no step start-up cost, no pickled rows
    tags={KIND_TAG: "ingest"}, config=RUN_CONFIG,
    description="Import one workbook (partition = file path relative to SALES_DATA_DIR).",
)
