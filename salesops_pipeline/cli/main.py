"""The `salesops` command: database lifecycle, `up` (what `make up` runs), ingest, withdraw, keys.

Errors the system raises on purpose print one actionable line and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from salesops_pipeline.errors import SalesOpsError
from salesops_pipeline.settings import Settings, redact

Handler = Callable[[argparse.Namespace, Settings], int]


def _db_init(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.core.db.bootstrap import init_databases

    init_databases(settings, progress=_say)
    return 0


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.core.db.migrations import upgrade
    from salesops_pipeline.core.db.pgcluster import embedded_cluster

    if settings.embedded and not embedded_cluster(settings).is_running():
        raise SalesOpsError("the embedded PostgreSQL is not running: `salesops db init` starts "
                            "it and upgrades the schema")
    upgrade(settings.warehouse_url(), progress=_say)
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


def _schema_line(url: str) -> str:
    from salesops_pipeline.core.db.connect import WarehouseUnavailable
    from salesops_pipeline.core.db.migrations import MigrationFailed, schema_status

    try:
        return schema_status(url).describe()
    except WarehouseUnavailable as exc:  # e.g. cluster started but database not created yet
        return f"schema: unknown ({exc}; run `salesops db init`)"
    except MigrationFailed as exc:  # at a revision this version does not ship
        return f"schema: {exc}"


def _db_start(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.core.db.bootstrap import start_embedded

    _require_embedded(settings, "start")
    print(start_embedded(settings))
    return 0


def _db_stop(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.core.db.pgcluster import embedded_cluster

    _require_embedded(settings, "stop")
    stopped = embedded_cluster(settings).stop()
    print("PostgreSQL stopped." if stopped else "PostgreSQL was not running.")
    return 0


def _db_status(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.embedded:
        from salesops_pipeline.core.db.connect import connect

        url = settings.warehouse_url()
        with connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT version()")
            row = cur.fetchone()
            assert row is not None, "SELECT version() returns one row"
            print(f"external server reachable: {redact(url)}\n{row[0]}")
        print(_schema_line(url))
        return 0
    from salesops_pipeline.core.db.pgcluster import embedded_cluster

    cluster = embedded_cluster(settings)
    if not cluster.is_initialized():
        print(f"no cluster yet in {cluster.data_dir} (run `salesops db init`)")
        return 3
    running = cluster.is_running()
    state = "running" if running else "stopped"
    print(f"embedded PostgreSQL {state}: {cluster.data_dir} on 127.0.0.1:{cluster.port}")
    if running:
        print(_schema_line(settings.warehouse_url()))
    return 0 if running else 3


def _db_url(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.dagster_url() if args.dagster else settings.warehouse_url()
    print(url)
    return 0


def _db_reset(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.core.db.schema import reset

    url = settings.warehouse_url()
    if not args.yes:
        if not sys.stdin.isatty():
            print("refusing to reset without confirmation: pass --yes", file=sys.stderr)
            return 1
        answer = input(f"Delete ALL warehouse data in {redact(url)}? Type 'yes': ")
        if answer.strip().lower() != "yes":
            print("aborted; nothing was changed")
            return 1
    reset(url)
    print("warehouse emptied (schema kept)")
    return 0


def _up(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.cli.up import run_stack

    return run_stack(settings, workers=args.workers, replica=args.replica)


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.core.extract.sample import write_sample_workbook

    path = args.path or (settings.data_dir / "sample_sales.xlsx")
    write_sample_workbook(path, rows=args.rows)
    print(f"wrote {args.rows} sales lines to {path}")
    return 0


def _require_embedded(settings: Settings, verb: str) -> None:
    if not settings.embedded:
        raise SalesOpsError(
            f"`salesops db {verb}` manages the embedded cluster, but DATABASE_URL points at an "
            "external server; manage that server with its own tools.")


def build_parser() -> argparse.ArgumentParser:
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="salesops", description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    db = verbs.add_parser("db", help="manage the warehouse database",
                          description="Manage the warehouse database (embedded or external).")
    db_verbs = db.add_subparsers(dest="db_verb", required=True, metavar="ACTION")
    db_verbs.add_parser("init", help="create cluster (embedded), databases and schema",
                        description="Create the embedded cluster if needed, start it, create the "
                        "warehouse and Dagster databases and upgrade the schema to the newest "
                        "revision (`db upgrade`). Safe to run again."
                        ).set_defaults(func=_db_init)
    db_verbs.add_parser("upgrade", help="apply the pending schema revisions",
                        description="Apply the pending schema migrations (Alembic revisions) to "
                        "the warehouse, one line per revision; a database from before Alembic "
                        "is upgraded in place and stamped. Safe to run again or concurrently."
                        ).set_defaults(func=_db_upgrade)
    db_verbs.add_parser("start", help="start the embedded cluster (creating it if needed)",
                        description="Start the embedded PostgreSQL cluster.").set_defaults(
                            func=_db_start)
    db_verbs.add_parser("stop", help="stop the embedded cluster",
                        description="Stop the embedded PostgreSQL cluster (fast shutdown)."
                        ).set_defaults(func=_db_stop)
    db_verbs.add_parser("status", help="is the database running, at which schema revision? "
                        "(exit 3 when not running)",
                        description="Report whether the database runs (exit 3 when it does not) "
                        "and its schema revision against the newest one: up to date or N pending."
                        ).set_defaults(func=_db_status)
    url = db_verbs.add_parser("url", help="print the connection URL",
                              description="Print the warehouse connection URL (for psql).")
    url.add_argument("--dagster", action="store_true", help="the Dagster storage database instead")
    url.set_defaults(func=_db_url)
    reset = db_verbs.add_parser("reset", help="empty all warehouse tables (asks first)",
                                description="Run sql/02_clean_tables.sql: empty every table.")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset.set_defaults(func=_db_reset)

    up = verbs.add_parser(
        "up", help="run everything: database, Dagster, API (what `make up` runs)",
        description="Start PostgreSQL (embedded unless DATABASE_URL), apply the schema, seed a "
        "sample workbook, run the Dagster webserver + daemon and the API in the foreground; "
        "Ctrl-C stops all of it. With --workers N: the scale-out profile (Redis, N Celery run "
        "workers, the code location as its own gRPC server; docs/deploy.md).")
    up.add_argument("--workers", type=int, default=0, metavar="N",
                    help="run the runs on N Celery workers (Redis broker on 127.0.0.1)")
    up.add_argument("--replica", action="store_true",
                    help="the API reads a hot standby of the embedded cluster (pg_basebackup, "
                    "port SALESOPS_STANDBY_PG_PORT); imports write to the primary")
    up.set_defaults(func=_up)
    seed = verbs.add_parser("seed", help="write a realistic sample workbook",
                            description="Write a sample workbook (default: into SALES_DATA_DIR).")
    seed.add_argument("path", nargs="?", type=Path, help="where to write it")
    seed.add_argument("--rows", type=int, default=2000, help="number of sales lines")
    seed.set_defaults(func=_seed)
    for register in _extensions():
        register(verbs)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Verbs defined beside the features they drive (ingest, withdraw, api-key, columns, dev)."""
    from salesops_pipeline.cli.columns import register as columns
    from salesops_pipeline.cli.dev import register as dev
    from salesops_pipeline.cli.ingest import register as ingest
    from salesops_pipeline.cli.keys import register as api_key
    from salesops_pipeline.cli.withdraw import register as withdraw

    return [ingest, withdraw, api_key, columns, dev]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args, Settings()))
    except SalesOpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
