"""What every ingest step does per file, shared by the staging, dimension and fact assets
(defs/ingest.py) and the withdrawal job (defs/withdraw.py): run the step's work for each file of
the run with its metadata, report progress, record a failure, find the staged import, retire
emptied partitions.
"""

from collections.abc import Callable

import psycopg
from dagster import AssetExecutionContext, Failure, OpExecutionContext

from salesops_pipeline.core.load import import_log, partitions, progress
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.load.progress import Stage
from salesops_pipeline.defs.resources import WarehouseResource
from salesops_pipeline.defs.retry import TRANSIENT, retry_transient_db_errors


def for_each_file(context: AssetExecutionContext, verb: str,
                   work: Callable[[str], tuple[dict[str, object], str | None]]
                   ) -> tuple[dict[str, str], dict[str, object]]:
    """Do one step's ``work`` for each file of the run, recording each file's metadata on its
    partition; return the files' problems and the last file's metadata.

    A lost connection retries the step (every file's work is idempotent). Any other error fails
    a lone file's run at once; in a batch it is logged and the other files go on (the import
    log says which failed; fact_sales_line fails the run for them at the end).
    """
    keys = list(context.partition_keys)
    problems: dict[str, str] = {}
    metadata: dict[str, object] = {}
    for n, key in enumerate(keys, 1):
        with retry_transient_db_errors():
            try:
                metadata, problem = work(key)
            except TRANSIENT:
                raise
            except Exception as exc:
                if len(keys) == 1:
                    raise
                problem = _reason(exc)
                metadata = {"file": key, "action": ImportStatus.FAILED.value, "error": problem}
                context.log.error(f"{key}: not {verb}: {problem}")
        context.add_asset_metadata(metadata, partition_key=key)
        if problem:
            problems[key] = problem
        if len(keys) > 1 and (n % 10 == 0 or n == len(keys)):
            context.log.info(f"{n}/{len(keys)} files {verb}")
    return problems, metadata


def _reason(exc: Exception) -> str:
    return exc.description if isinstance(exc, Failure) and exc.description else (
        f"{type(exc).__name__}: {exc}"[:2000])


def progress_reporter(context: AssetExecutionContext) -> progress.Throttle:
    """Where one file's row counts go: the run log (UI, JSON logs: with the file) and the
    listeners of this process (`salesops ingest`), at most every ~0.5 s per stage."""
    def report(file: str, stage: Stage, done: int, total: int | None) -> None:
        context.log.info(progress.describe(file, stage, done, total), extra={"file": file})
        progress.tell_listeners(file, stage, done, total)

    return progress.Throttle(report)


def record_failure(warehouse: WarehouseResource, import_id: int, exc: Exception) -> None:
    """Best effort: the database may be the thing that failed."""
    try:
        with warehouse.connection() as conn:
            import_log.mark_failed(conn.cursor(), import_id, f"{type(exc).__name__}: {exc}"[:2000])
    except Exception:  # noqa: BLE001 - the original error is what matters
        pass


def staged_import(warehouse: WarehouseResource, key: str, run_id: str) -> int | None:
    with warehouse.connection() as conn:
        return import_log.staged_import(conn.cursor(), key, run_id)


def retire_partitions(context: AssetExecutionContext | OpExecutionContext,
                       warehouse: WarehouseResource) -> None:
    """Best effort: drop the emptied partition of a replaced large version now rather than at
    the nightly maintenance (which retries whatever is left)."""
    try:
        with warehouse.connection(autocommit=True) as conn:
            dropped = partitions.retire(conn)
    except psycopg.Error as exc:
        context.log.warning(f"retired partitions not dropped yet (nightly retries): {exc}")
        return
    if dropped:
        context.log.info(f"dropped retired fact tables: {', '.join(dropped)}")
