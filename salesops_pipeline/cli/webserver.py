"""The Dagster webserver on a Unix socket, where only the front door (nginx) reaches it.

``dagster-webserver`` can only listen on a TCP port, which every web page the operator opens can
reach. This launcher builds the same app as ``dagster_webserver/cli.py`` (Dagster 1.13.27: the
instance from DAGSTER_HOME, ``optimize_for_webserver`` with the CLI's defaults, a
``WorkspaceProcessContext`` on workspace.yaml, ``create_app_from_workspace_process_context``)
and serves it with ``uvicorn.run(app, uds=...)``. The socket's folder is the caller's to make
private (``salesops up`` creates it with mode 0700: uvicorn makes the socket itself 0666).

Run as ``python -m salesops_pipeline.cli.webserver --uds PATH -w workspace.yaml``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from pathlib import Path

#: dagster_webserver/cli.py's defaults for a long-running server.
DB_STATEMENT_TIMEOUT_MS = 15_000
DB_POOL_RECYCLE_S = 3600
DB_POOL_MAX_OVERFLOW = 20
LIVE_DATA_POLL_RATE_MS = 2000


def serve(uds: Path, workspace: Path, *, log_level: str = "warning") -> None:
    """Serve the Dagster UI on the Unix socket ``uds`` until interrupted."""
    import uvicorn
    from dagster import DagsterInstance
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster._utils.log import configure_loggers
    from dagster_webserver.app import create_app_from_workspace_process_context
    from dagster_webserver.cli import _lifespan
    from dagster_webserver.version import __version__

    configure_loggers(log_level="INFO")
    with contextlib.suppress(FileNotFoundError):
        uds.unlink()  # a socket left by a webserver that was killed
    with DagsterInstance.get() as instance:
        instance.optimize_for_webserver(DB_STATEMENT_TIMEOUT_MS, DB_POOL_RECYCLE_S,
                                        DB_POOL_MAX_OVERFLOW)
        target = WorkspaceFileTarget(paths=[str(workspace)])
        with WorkspaceProcessContext(instance, version=__version__, read_only=False,
                                     workspace_load_target=target) as context:
            app = create_app_from_workspace_process_context(
                context, "", LIVE_DATA_POLL_RATE_MS, lifespan=_lifespan)
            logging.getLogger("dagster-webserver").info(
                "Serving dagster-webserver on unix:%s in process %s", uds, os.getpid())
            uvicorn.run(app, uds=str(uds), log_level=log_level)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m salesops_pipeline.cli.webserver",
        description="The Dagster webserver on a Unix socket (behind the UI's front door).")
    parser.add_argument("--uds", type=Path, required=True, help="the Unix socket to listen on")
    parser.add_argument("-w", "--workspace", type=Path, required=True, help="workspace.yaml")
    parser.add_argument("--log-level", default="warning", help="uvicorn's log level")
    args = parser.parse_args(argv)
    serve(args.uds, args.workspace, log_level=args.log_level)


if __name__ == "__main__":
    main()
