"""Dagster's PostgreSQL storage, with a small connection pool in each process.

dagster-postgres opens a new connection for every storage call (NullPool) except in the
webserver. A run writes thousands of events; each new connection costs a backend start and a
SCRAM handshake (~5 ms of CPU on both sides), which made connecting the largest cost of an
ingest run. This keeps a few connections per process instead, checked before use (so a restarted
PostgreSQL is survived) and recycled hourly. dagster.yaml selects it as `storage: custom`.
"""

from __future__ import annotations

from typing import Any

from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import create_pg_engine, pg_config, pg_url_from_config

# SQLAlchemy engine options, which create_pg_engine takes as `**engine_kwargs: Any`.
POOL: dict[str, Any] = {"pool_size": 1, "max_overflow": 9, "pool_recycle": 3600,
                        "pool_pre_ping": True}


class PooledPostgresStorage(DagsterPostgresStorage):
    """DagsterPostgresStorage whose run, event log and schedule storages share pooled engines."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True,
                 inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(postgres_url, should_autocreate_tables, inst_data=inst_data)
        for storage in (self._run_storage, self._event_log_storage, self._schedule_storage):
            storage._engine.dispose()  # the NullPool engine holds nothing, but be tidy
            storage._engine = create_pg_engine(postgres_url, isolation_level="AUTOCOMMIT",
                                               **POOL)

    @classmethod
    def config_type(cls) -> Any:
        return pg_config()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: Any) -> PooledPostgresStorage:
        return cls(pg_url_from_config(config_value),
                   config_value.get("should_autocreate_tables", True), inst_data=inst_data)
