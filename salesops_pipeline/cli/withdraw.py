"""`salesops withdraw NAME [--yes]`: take a file's loaded version out of the warehouse.

The same operation as the Dagster job `withdraw_file` (core/load/withdraw.py), run directly against
the warehouse: it needs no Dagster storage. The stale-reports sensor refreshes the reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.extract.intake.file_keys import key_for
from salesops_pipeline.core.load import import_log, partitions
from salesops_pipeline.core.load.withdraw import Withdrawable, withdraw_file, withdrawable
from salesops_pipeline.errors import NothingToWithdraw, UnsafePath
from salesops_pipeline.settings import Settings


def _withdraw(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.warehouse_url()
    with connect(url) as conn, conn.cursor() as cur:
        try:
            key = args.name
            version = withdrawable(cur, key)
        except NothingToWithdraw:
            key = _key_of_path(args.name, settings)
            if key is None or key == args.name:
                raise
            version = withdrawable(cur, key)  # given as a path to the file in the folder
    print(describe(version))
    if not args.yes:
        if not sys.stdin.isatty():
            print("refusing to withdraw without confirmation: pass --yes", file=sys.stderr)
            return 1
        if input("Withdraw it? Type 'yes': ").strip().lower() != "yes":
            print("aborted; nothing was changed")
            return 1
    with connect(url) as conn:
        result = withdraw_file(conn, key, expected_import=version.import_id)
    print(f"withdrawn: {result.rows_removed:,} rows removed (import {result.import_id}); "
          f"{len(result.days_marked)} report day(s) marked, refreshed by the stale-reports sensor")
    for import_id in result.pending:
        print(f"note: import {import_id} of newer bytes of {key!r} is in progress and will load")
    if result.own_partition:
        try:
            with connect(url, autocommit=True) as conn:
                partitions.retire(conn)
        except psycopg.Error as exc:
            print(f"note: its emptied fact partition is dropped by the nightly maintenance "
                  f"({type(exc).__name__})")
    print(f"the file's bytes in the folder do not bring it back; "
          f"`{import_log.reimport_command(key)}` does")
    return 0


def describe(version: Withdrawable) -> str:
    """What a withdrawal removes, in words."""
    span = (f", sales from {version.first_sale:%Y-%m-%d} to {version.last_sale:%Y-%m-%d}"
            if version.first_sale else "")
    loaded = f"loaded {version.finished_at:%Y-%m-%d %H:%M}" if version.finished_at else "loaded"
    quarantined = (f"; its {version.rows_rejected:,} quarantined rows stop counting"
                   if version.rows_rejected else "")
    return (f"{version.key}: import {version.import_id} ({loaded}, sha256 "
            f"{version.sha256[:12]}…): {version.rows_loaded:,} sales lines will be removed"
            f"{span}{quarantined}")


def _key_of_path(name: str, settings: Settings) -> str | None:
    path = Path(name)
    if not path.exists():
        return None
    try:
        return key_for(path, settings.data_dir)
    except UnsafePath:
        return None


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "withdraw", help="remove a file's rows from the warehouse and the reports (asks first)",
        description="Withdraw a file: its loaded version's sales lines leave the warehouse in one "
        "transaction, its import becomes `withdrawn` and the reports refresh. Its bytes staying "
        "in the folder do not bring it back; new bytes under the name import normally; "
        "`salesops ingest --reimport NAME` brings it back. Exit 1 when nothing is loaded "
        "under NAME.")
    parser.add_argument("name", metavar="NAME",
                        help="the file as the import log names it (relative to SALES_DATA_DIR), "
                        "or its path")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(func=_withdraw)
