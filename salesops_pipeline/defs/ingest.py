"""Ingestion assets, one dynamic partition per file (its path relative to SALES_DATA_DIR).

raw_sales_rows (parse + COPY into staging) → dim_product / dim_seller / dim_shipping_company
(set-based upserts) → fact_sales_line (atomic switch of the file's facts). The steps hand each
other nothing but the import log: every step is a set-based SQL statement on staged rows.
"""


import time

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSelection,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    define_asset_job,
    in_process_executor,
)

from salesops_pipeline.core import import_log, loader
from salesops_pipeline.core.files import FileVersion, private_copy
from salesops_pipeline.defs.metadata import import_metadata, rejections_markdown
from salesops_pipeline.defs.resources import SalesFolderResource, WarehouseResource
from salesops_pipeline.defs.retry import retry_transient_db_errors
from salesops_pipeline.errors import UnsafePath, WorkbookError

sales_files = DynamicPartitionsDefinition(name="sales_files")
INGEST_GROUP = "ingest"
FILE_TAG = "salesops/file"
KIND_TAG = "salesops/kind"
READABLE_CHECK = "file_is_readable_workbook"


@asset(
    partitions_def=sales_files, group_name=INGEST_GROUP, kinds={"excel", "postgres"},
    check_specs=[AssetCheckSpec(READABLE_CHECK, asset="raw_sales_rows",
                                description="The file is a workbook with the sales columns.")],
    description="Parse one workbook and COPY its rows into staging; bad rows go to quarantine.",
)
def raw_sales_rows(context: AssetExecutionContext, warehouse: WarehouseResource,
                   sales_folder: SalesFolderResource) -> MaterializeResult:
    with retry_transient_db_errors():
        return _extract(context, warehouse, sales_folder)


def _extract(context: AssetExecutionContext, warehouse: WarehouseResource,
             sales_folder: SalesFolderResource) -> MaterializeResult:
    key = context.partition_key
    try:
        with private_copy(key, sales_folder.root) as version:
            return _import_version(context, warehouse, sales_folder, version)
    except FileNotFoundError:
        raise Failure(f"{key}: the file is no longer in {sales_folder.root}; nothing imported",
                      allow_retries=False) from None
    except UnsafePath as exc:
        raise Failure(str(exc), allow_retries=False) from None


def _import_version(context: AssetExecutionContext, warehouse: WarehouseResource,
                    sales_folder: SalesFolderResource, version: FileVersion) -> MaterializeResult:
    """Record, stage and report one version (parsed from the private copy that was hashed)."""
    key = version.key
    with warehouse.connection() as conn:
        decision = import_log.decide(conn.cursor(), version, context.run_id)
    base = {"file": key, "sha256": version.sha256, "size_bytes": version.size,
            "import_id": decision.import_id, "action": decision.action.value}
    if decision.action is not import_log.Action.IMPORT:
        context.log.info(f"{key}: {decision.detail}")
        return MaterializeResult(metadata={**base, "detail": decision.detail},
                                 check_results=[_readable(True, decision.detail)])
    context.log.info(f"{key}: staging import {decision.import_id} ({version.size:,} bytes)")
    try:
        with warehouse.connection() as conn:
            staged = loader.stage_file(
                conn, import_id=decision.import_id, key=key, path=version.path,
                max_rows=sales_folder.max_rows_per_file,
                progress=lambda n: context.log.info(f"{key}: {n:,} rows parsed"))
    except WorkbookError as exc:
        with warehouse.connection() as conn:
            import_log.mark_rejected(conn.cursor(), decision.import_id, str(exc))
        context.log.error(f"{key}: file rejected: {exc}")
        return MaterializeResult(metadata={**base, "action": "rejected", "error": str(exc)},
                                 check_results=[_readable(False, str(exc))])
    except Exception as exc:
        _record_failure(warehouse, decision.import_id, exc)
        raise
    rate = staged.rows_read / staged.seconds if staged.seconds else 0.0
    return MaterializeResult(
        metadata={
            **base, "sheet": staged.sheet_name, "header_row": staged.header_row,
            "rows_read": staged.rows_read, "rows_staged": staged.rows_staged,
            "rows_rejected": staged.rows_rejected,
            "rejected_sample": MetadataValue.md(rejections_markdown(staged.sample_rejections)),
            "duration_s": round(staged.seconds, 3), "rows_per_second": round(rate),
        },
        check_results=[_readable(True, f"sheet {staged.sheet_name!r}, header row "
                                       f"{staged.header_row}")],
    )


def _readable(passed: bool, detail: str) -> AssetCheckResult:
    return AssetCheckResult(check_name=READABLE_CHECK, passed=passed,
                            severity=AssetCheckSeverity.ERROR, metadata={"detail": detail})


def _record_failure(warehouse: WarehouseResource, import_id: int, exc: Exception) -> None:
    """Best effort: the database may be the thing that failed."""
    try:
        with warehouse.connection() as conn:
            import_log.mark_failed(conn.cursor(), import_id, f"{type(exc).__name__}: {exc}"[:2000])
    except Exception:  # noqa: BLE001 - the original error is what matters
        pass


def _staged_import(warehouse: WarehouseResource, key: str) -> int | None:
    with warehouse.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT import_id FROM salesops.import_log WHERE source_file = %s"
                    " AND status = 'staged' ORDER BY import_id DESC LIMIT 1", (key,))
        row = cur.fetchone()
    return row[0] if row else None


def _dimension_asset(table: str):
    @asset(
        name=table, partitions_def=sales_files, group_name=INGEST_GROUP, kinds={"postgres"},
        deps=[raw_sales_rows],
        description=f"Upsert the names of the staged file into salesops.{table}.",
    )
    def _dimension(context: AssetExecutionContext, warehouse: WarehouseResource
                   ) -> MaterializeResult:
        with retry_transient_db_errors():
            import_id = _staged_import(warehouse, context.partition_key)
            if import_id is None:
                return MaterializeResult(metadata={"detail": "nothing staged for this file"})
            with warehouse.connection() as conn:
                distinct, inserted = loader.upsert_dimension(conn, import_id=import_id,
                                                             table=table)
        context.log.info(f"{table}: {inserted} new of {distinct} names in import {import_id}")
        return MaterializeResult(metadata={"import_id": import_id, "names_in_file": distinct,
                                           "names_inserted": inserted})

    return _dimension


dim_product = _dimension_asset("dim_product")
dim_seller = _dimension_asset("dim_seller")
dim_shipping_company = _dimension_asset("dim_shipping_company")


@asset(
    partitions_def=sales_files, group_name=INGEST_GROUP, kinds={"postgres"},
    deps=[raw_sales_rows, dim_product, dim_seller, dim_shipping_company],
    description="Switch the file's facts to the staged version in one transaction.",
)
def fact_sales_line(context: AssetExecutionContext, warehouse: WarehouseResource
                    ) -> MaterializeResult:
    key = context.partition_key
    with retry_transient_db_errors():
        import_id = _staged_import(warehouse, key)
    if import_id is None:
        return MaterializeResult(metadata={"file": key, "detail": "nothing staged for this file"})
    started = time.perf_counter()
    try:
        with retry_transient_db_errors(), warehouse.connection() as conn:
            result = loader.publish(conn, import_id=import_id, key=key)
    except Exception as exc:
        _record_failure(warehouse, import_id, exc)
        raise
    seconds = time.perf_counter() - started
    with warehouse.connection() as conn:
        metadata = import_metadata(conn, import_id)
    metadata.update({
        "published": result.published, "rows_replaced": result.rows_replaced,
        "superseded_import": result.superseded_import or 0,
        "days_touched": len(result.days_touched),
        "dagster/row_count": result.rows_loaded, "publish_duration_s": round(seconds, 3),
    })
    context.log.info(f"{key}: {result.rows_loaded:,} rows loaded, {result.rows_replaced:,} "
                     f"replaced, import {import_id}")
    return MaterializeResult(metadata=metadata)


ingest_assets = [raw_sales_rows, dim_product, dim_seller, dim_shipping_company, fact_sales_line]

ingest_job = define_asset_job(
    "ingest_file",
    selection=AssetSelection.assets(*ingest_assets),
    partitions_def=sales_files,
    executor_def=in_process_executor,  # one process: no step start-up cost, no pickled rows
    tags={KIND_TAG: "ingest"},
    description="Import one workbook (partition = file path relative to SALES_DATA_DIR).",
)
