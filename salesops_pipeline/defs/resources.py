"""Dagster resources: the warehouse connection, configured from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2.extensions
from dagster import ConfigurableResource, EnvVar

from salesops_pipeline.core.warehouse import connect


class WarehouseResource(ConfigurableResource):
    """The PostgreSQL warehouse (schema `salesops`)."""

    database_url: str

    @contextmanager
    def connection(self, *, autocommit: bool = False) -> Iterator[psycopg2.extensions.connection]:
        """A transaction: committed when the block succeeds, rolled back when it raises."""
        with connect(self.database_url, autocommit=autocommit,
                     application_name="salesops-dagster") as conn:
            yield conn


def warehouse_from_env() -> WarehouseResource:
    return WarehouseResource(database_url=EnvVar("DATABASE_URL"))
