"""Bring a database up to a usable state: cluster (embedded only), databases, schema."""

from __future__ import annotations

from salesops_pipeline.core.db.roles import ensure_reader
from salesops_pipeline.core.db.schema import apply_schema, ensure_database
from salesops_pipeline.settings import Settings, database_name, redact


def start_embedded(settings: Settings) -> str:
    """Create (first time) and start the project-local cluster; return what happened."""
    cluster = settings.cluster
    created = cluster.init()
    started = cluster.start()
    cluster.wait_ready()
    where = f"{cluster.data_dir} on 127.0.0.1:{cluster.port}"
    if created:
        return f"created and started embedded PostgreSQL: {where}"
    return f"started embedded PostgreSQL: {where}" if started else f"already running: {where}"


def init_databases(settings: Settings) -> list[str]:
    """Idempotently prepare everything the system needs in PostgreSQL."""
    lines: list[str] = []
    if settings.embedded:
        lines.append(start_embedded(settings))
    warehouse, dagster = settings.warehouse_url(), settings.dagster_url()
    for url in (warehouse, dagster):
        created = ensure_database(url)
        lines.append(f"database {database_name(url)}: {'created' if created else 'exists'}")
    applied = apply_schema(warehouse)
    lines.append(f"schema applied to {redact(warehouse)}: {', '.join(applied)}")
    lines.append(ensure_reader(warehouse, settings.reader_password_file))
    return lines
