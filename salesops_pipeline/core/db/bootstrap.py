"""Bring a database up to a usable state: cluster (embedded only), databases, schema, roles."""

from __future__ import annotations

from collections.abc import Callable

from salesops_pipeline.core.db.migrations import upgrade
from salesops_pipeline.core.db.pgcluster import embedded_cluster
from salesops_pipeline.core.db.roles import ensure_reader
from salesops_pipeline.core.db.schema import ensure_database
from salesops_pipeline.settings import Settings, database_name


def start_embedded(settings: Settings) -> str:
    """Create (first time) and start the project-local cluster; return what happened."""
    cluster = embedded_cluster(settings)
    created = cluster.init()
    started = cluster.start()
    cluster.wait_ready()
    where = f"{cluster.data_dir} on 127.0.0.1:{cluster.port}"
    if created:
        return f"created and started embedded PostgreSQL: {where}"
    return f"started embedded PostgreSQL: {where}" if started else f"already running: {where}"


def init_databases(settings: Settings,
                   progress: Callable[[str], None] | None = None) -> list[str]:
    """Idempotently prepare everything the system needs in PostgreSQL; return what was done.

    ``progress`` gets each line as it happens (a long revision is then not silent).
    """
    lines: list[str] = []

    def note(line: str) -> None:
        lines.append(line)
        if progress is not None:
            progress(line)

    if settings.embedded:
        note(start_embedded(settings))
    warehouse, dagster = settings.warehouse_url(), settings.dagster_url()
    for url in (warehouse, dagster):
        created = ensure_database(url)
        note(f"database {database_name(url)}: {'created' if created else 'exists'}")
    upgrade(warehouse, progress=note)
    note(ensure_reader(warehouse, settings.reader_password_file))
    return lines
