"""`salesops ingest PATH...`: import files through the same Dagster job the sensor launches.

Each file becomes (or already is) a dynamic partition of `ingest_file` and is materialized in this
process against the project's Dagster instance, so the runs show up in the UI like any other.
The runs' row counts (core/load/progress.py) are drawn as a bar per stage of each file on a
terminal, or written as one line per stage when stdout is not one; Dagster's own debug and info
events stay out unless ``--verbose``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from salesops_pipeline.cli.ingest_paths import resolve_keys
from salesops_pipeline.cli.ingest_progress import BarProgress, LineProgress
from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.extract.intake.file_keys import sha256_inside
from salesops_pipeline.core.load import import_log
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.load.progress import listening
from salesops_pipeline.errors import SalesOpsError
from salesops_pipeline.settings import Settings, redact

SETTLE_SECONDS = 60
DONE = (ImportStatus.LOADED, ImportStatus.DUPLICATE, ImportStatus.WITHDRAWN)  # nothing to rerun
UNFINISHED = (ImportStatus.RUNNING, ImportStatus.STAGED)  # not published (yet)


def console_config(verbose: bool = False) -> dict[str, Any]:
    """The run config for Dagster's console (text or JSON): warnings and errors only, or
    everything with ``verbose``."""
    level = "DEBUG" if verbose else "WARNING"
    return {"loggers": {"console": {"config": {"log_level": level}}}}


@dataclass(frozen=True)
class FileOutcome:
    key: str
    status: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    error: str | None
    run_id: str | None
    run_ok: bool = True  # False: the run failed (a step or a blocking check), see its logs
    rows_skipped: int = 0  # totals, notes, repeated headers: not sales, not quarantined

    @property
    def ok(self) -> bool:
        return self.status in DONE and self.run_ok


def ingest_files(keys: list[str], settings: Settings, *, instance=None, echo=print,
                 reimport: bool = False, progress: LineProgress | None = None,
                 verbose: bool = False) -> list[FileOutcome]:
    """Run the ingest job for the file keys (new files in batches, like the sensor; a known name
    alone); return, in the order given, what the import log says afterwards.

    ``reimport``: a withdrawn version among them imports again (otherwise it stays withdrawn).
    ``progress`` hears the runs' row counts; ``verbose``: Dagster's debug and info events too."""
    from dagster import DagsterInstance

    from salesops_pipeline.definitions import defs
    from salesops_pipeline.defs.ingest import SALES_FILES
    from salesops_pipeline.defs.run_requests import plan_ingest_runs

    if instance is None:
        try:
            instance = DagsterInstance.get()
        except Exception as exc:  # noqa: BLE001 - dagster-postgres wraps the driver's error
            where = redact(os.environ.get("DAGSTER_PG_URL", "DAGSTER_HOME/dagster.yaml"))
            raise SalesOpsError(
                f"cannot open Dagster's storage at {where}: {type(exc).__name__}; is the "
                "database running? (`salesops db status`)") from None
    job = defs.resolve_job_def("ingest_file")
    known = set(instance.get_dynamic_partitions(SALES_FILES))
    runs = plan_ingest_runs([(key, "", 0) for key in keys], known, settings.ingest_batch_files,
                            reimport=reimport)
    outcomes: dict[str, FileOutcome] = {}
    for run in runs:
        group = run.keys
        done = len(outcomes)
        span = f"[{done + 1}/{len(keys)}]" if len(group) == 1 else (
            f"[{done + 1}-{done + len(group)}/{len(keys)}]")
        echo(f"{span} {group[0] if len(group) == 1 else f'{len(group)} new files'}: importing …")
        # New names are added together, so they are a contiguous range: one run for the group.
        instance.add_dynamic_partitions(SALES_FILES, group)
        with listening(progress) if progress else nullcontext():
            try:
                result = job.execute_in_process(instance=instance, raise_on_error=False,
                                                run_config=console_config(verbose),
                                                partition_key=run.partition_key, tags=run.tags)
            finally:
                if progress:
                    progress.close()
        found = [_outcome(settings, key, result.run_id, result.success) for key in group]
        if len(group) > 1 and any(o.status == ImportStatus.FAILED for o in found):
            # A batch fails because of its failed files; the others' outcomes stand.
            found = [replace(o, run_ok=True) for o in found]
        for outcome in found:
            outcomes[outcome.key] = outcome
            echo(f"{span} {outcome.key}: {_summary(outcome)}")
    return [outcomes[key] for key in keys]


def _outcome(settings: Settings, key: str, run_id: str, success: bool) -> FileOutcome:
    sha, _ = sha256_inside(key, Path(settings.data_dir))
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        with connect(settings.warehouse_url()) as conn, conn.cursor() as cur:
            row = import_log.outcome_of(cur, key, sha)
        # A concurrent import of the same version (another command, the sensor's run) may be
        # the one publishing it: give it a moment before calling this version unfinished.
        if not (success and row and row[0] in UNFINISHED) or (
                time.monotonic() > deadline):
            break
        time.sleep(0.5)
    if row is None:
        return FileOutcome(key, ImportStatus.FAILED, 0, 0, 0,
                           f"Dagster run {run_id} failed; see its logs", run_id, success)
    status, read, loaded, rejected, error, skipped = row
    if status in UNFINISHED:
        # The run stopped before publishing: nothing of this version is visible; rerun it.
        status = ImportStatus.FAILED
        error = error or f"Dagster run {run_id} failed; see its logs"
    return FileOutcome(key, status, read, loaded, rejected, error, run_id, success, skipped or 0)


def _summary(o: FileOutcome) -> str:
    if o.status == ImportStatus.LOADED:
        text = (f"loaded {o.rows_loaded:,} of {o.rows_read:,} rows"
                + (f", {o.rows_rejected:,} quarantined" if o.rows_rejected else "")
                + (f", {o.rows_skipped:,} skipped" if o.rows_skipped else ""))
    else:
        text = f"{o.status}" + (f": {o.error}" if o.error else "")
    return text if o.run_ok or o.status == ImportStatus.FAILED else (
        f"{text} (but Dagster run {o.run_id} failed; see its logs)")


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.cli.up import stack_environment

    paths = args.paths or ([settings.data_file] if settings.data_file else [])
    if not paths:
        raise SalesOpsError("nothing to ingest: give PATH arguments or set SALES_DATA_FILE")
    for name, value in stack_environment(settings).items():
        os.environ.setdefault(name, value)
    keys, skipped = resolve_keys(paths, settings)
    unreadable = [item for item in skipped if item.unreadable]
    if not keys:
        print("no workbook to import")
        return 1 if unreadable else 0
    view = (BarProgress(keys) if sys.stdout.isatty() and not args.verbose else
            LineProgress(keys))  # --verbose: Dagster's lines would break the bars
    outcomes = ingest_files(keys, settings, reimport=args.reimport, progress=view,
                            verbose=args.verbose)
    bad = [o for o in outcomes if not o.ok]
    print(f"\n{len(outcomes)} file(s): {len(outcomes) - len(bad)} ok, {len(bad)} not ok"
          + (f"; {len(skipped)} skipped (not imported)" if skipped else ""))
    for o in outcomes:
        print(f"  {o.status:<10} {o.rows_loaded:>10,} loaded {o.rows_rejected:>8,} quarantined  "
              f"{o.key}")
    for item in skipped:
        print(f"  {'skipped':<10} {item.path}: {item.reason}")
    # Exit 1: a file rejected or failed, or a sales export this user may not read. Links, FIFOs,
    # sockets, devices and other names in a folder are listed but never imported: exit unchanged.
    return 1 if bad or unreadable else 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "ingest", help="import workbooks now, through the Dagster ingest job",
        description="Import the given sales exports (files or folders inside SALES_DATA_DIR; a "
        "file outside it is copied into it first) through the same Dagster job the sensor "
        "launches. Without PATH, imports SALES_DATA_FILE. Shows each file's rows parsed, "
        "staged and published (bars on a terminal, lines otherwise). In a folder, files that "
        "are not imported (other formats, symbolic links, FIFOs, sockets, devices, files this "
        "user may not read) are listed with the reason. Exits 1 when any file was rejected or "
        "failed, or a sales export could not be read (permission); a file given by name that "
        "cannot be read is refused at once.")
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    parser.add_argument("--reimport", action="store_true",
                        help="import a withdrawn file version again (`salesops withdraw` keeps "
                        "it out otherwise, though its bytes stay in the folder)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also show Dagster's own debug and info events (on stderr)")
    parser.set_defaults(func=_ingest)


if __name__ == "__main__":
    from salesops_pipeline.cli.main import main

    sys.exit(main(["ingest", *sys.argv[1:]]))
