"""`salesops dev`: the Dagster UI for development (`dagster dev`) against the project's PostgreSQL.

`dagster dev` runs the webserver and the daemon in one command and reloads definitions from the
UI. It needs the same environment as `salesops up` (DATABASE_URL, DAGSTER_PG_URL, DAGSTER_HOME,
…): this verb prepares the database (idempotent, like `salesops db init`), sets that
environment and replaces itself with `dagster dev`. No API sidecar; the embedded PostgreSQL
keeps running afterwards (`salesops db stop` stops it). Local development only: this UI has no
login and listens on a TCP port, unlike `salesops up`'s (cli/door.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from salesops_pipeline.settings import PROJECT_ROOT, Settings

HOST = "127.0.0.1"


def dev_command(settings: Settings, extra: list[str] | None = None
                ) -> tuple[list[str], dict[str, str]]:
    """The `dagster dev` command line and its environment (the one `salesops up` uses)."""
    from salesops_pipeline.cli.up import stack_environment

    dagster = str(Path(sys.executable).parent / "dagster")
    argv = [dagster, "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
            "-h", HOST, "-p", str(settings.dagster_port), *(extra or [])]
    return argv, stack_environment(settings)


def _dev(args: argparse.Namespace, settings: Settings) -> int:
    from salesops_pipeline.core.config_check import check_configuration
    from salesops_pipeline.core.db.bootstrap import init_databases

    check_configuration(settings)  # a bad column map or threshold stops here, not in the UI
    for line in init_databases(settings):
        print(line, flush=True)
    extra = [a for a in args.dagster_args if a != "--"]
    argv, env = dev_command(settings, extra)
    print(f"Dagster UI (dagster dev): http://{HOST}:{settings.dagster_port}"
          "   (no login: local development only; `salesops up` serves it behind its door)",
          flush=True)
    os.chdir(PROJECT_ROOT)  # workspace.yaml loads the code location from here
    os.execve(argv[0], argv, env)
    return 0  # not reached: execve replaces this process


def register(verbs: argparse._SubParsersAction) -> None:
    """Add `salesops dev [-- DAGSTER_DEV_ARGS…]`."""
    dev = verbs.add_parser(
        "dev", help="the Dagster UI for development (`dagster dev`) on the project's PostgreSQL",
        description="Prepare PostgreSQL (embedded unless DATABASE_URL; as `salesops db init`), "
        "set the environment `salesops up` uses and run `dagster dev` (webserver + daemon, "
        "definitions reloadable from the UI). Arguments after `--` go to `dagster dev`.")
    dev.add_argument("dagster_args", nargs=argparse.REMAINDER,
                     help="extra `dagster dev` arguments, after `--` (e.g. -- --log-level debug)")
    dev.set_defaults(func=_dev)
