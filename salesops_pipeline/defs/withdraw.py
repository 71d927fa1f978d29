"""The `withdraw_file` job: take one file's loaded version out of the warehouse, from the UI.

Partitioned like the ingest job (one dynamic partition per file), so the Launchpad offers the
known files; the op does what `salesops withdraw NAME` does (core/load/withdraw.py), then the
stale-reports sensor refreshes the days it marked, as after any import.
"""

from dagster import (
    AssetObservation,
    Failure,
    OpExecutionContext,
    Output,
    in_process_executor,
    job,
    op,
)

from salesops_pipeline.core.load import withdraw
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.defs.ingest import fact_sales_line, sales_files
from salesops_pipeline.defs.ingest_steps import retire_partitions
from salesops_pipeline.defs.logs import RUN_CONFIG
from salesops_pipeline.defs.metadata import MetadataItem
from salesops_pipeline.defs.resources import WarehouseResource
from salesops_pipeline.defs.tags import KIND_TAG
from salesops_pipeline.errors import NothingToWithdraw


@op(description="Remove the partition's file from the warehouse: its facts leave, its import "
                "becomes withdrawn, its report days are marked for the refresh.")
def withdraw_loaded_version(context: OpExecutionContext, warehouse: WarehouseResource
                            ) -> Output[None]:
    key = context.partition_key
    try:
        with warehouse.connection() as conn:
            result = withdraw.withdraw_file(conn, key)
    except NothingToWithdraw as exc:
        raise Failure(str(exc), allow_retries=False) from None
    if result.own_partition:
        retire_partitions(context, warehouse)  # best effort; the nightly maintenance retries
    for import_id in result.pending:
        context.log.warning(f"{key}: import {import_id} of newer bytes is in progress and will "
                            "load as usual")
    metadata: dict[str, MetadataItem] = {
        "file": key, "import_id": result.import_id, "rows_removed": result.rows_removed,
        "days_marked": len(result.days_marked),
        "first_day": str(result.days_marked[0]) if result.days_marked else "",
        "last_day": str(result.days_marked[-1]) if result.days_marked else ""}
    # Shown on fact_sales_line's partition too, beside the import that loaded these rows.
    context.log_event(AssetObservation(
        fact_sales_line.key, partition=key,
        metadata={**metadata, "action": ImportStatus.WITHDRAWN.value}))
    context.log.info(f"{key}: {result.rows_removed:,} rows removed (import {result.import_id}), "
                     f"{len(result.days_marked)} report day(s) marked for the refresh")
    return Output(None, metadata=metadata)


@job(partitions_def=sales_files, executor_def=in_process_executor, tags={KIND_TAG: "withdraw"},
     config=RUN_CONFIG,  # SALESOPS_LOG_FORMAT=json: JSON run logs (defs/logs.py)
     description="Withdraw one file (partition = file path relative to SALES_DATA_DIR): its "
                 "rows leave the warehouse and the reports; the bytes in the folder do not bring "
                 "it back (`salesops ingest --reimport NAME` does).")
def withdraw_file() -> None:
    withdraw_loaded_version()
