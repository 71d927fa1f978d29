"""Dagster resources: warehouse connection, drop folder, quality settings (from the environment)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import psycopg2.extensions
from dagster import ConfigurableResource, EnvVar

from salesops_pipeline.core.columns import ColumnMap, load_column_map
from salesops_pipeline.core.warehouse import reused
from salesops_pipeline.settings import Settings


class WarehouseResource(ConfigurableResource):
    """The PostgreSQL warehouse (schema `salesops`)."""

    database_url: str
    own_partition_rows: int = 100_000
    """A file version with at least this many rows gets a fact partition of its own (0: never)."""

    @contextmanager
    def connection(self, *, autocommit: bool = False) -> Iterator[psycopg2.extensions.connection]:
        """A transaction: committed when the block succeeds, rolled back when it raises (on a
        connection this process kept from an earlier transaction, when it has one)."""
        with reused(self.database_url, autocommit=autocommit,
                     application_name="salesops-dagster") as conn:
            yield conn


class SalesFolderResource(ConfigurableResource):
    """The watched drop folder (SALES_DATA_DIR) and where exports go (never inside it)."""

    data_dir: str
    export_dir: str = "data/exports"
    max_rows_per_file: int = 5_000_000
    settle_seconds: float = 10.0
    """A new or changed file is imported once it has not changed for this long (or one tick)."""
    column_map_file: str = ""
    """The user's column-map file (SALESOPS_COLUMN_MAP, or column_map.toml when it exists)."""
    column_map_explicit: bool = False
    parse_memory_mb: int = 4096
    """Address-space cap of the process that parses one file (SALESOPS_PARSE_MEMORY_MB)."""

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def column_map(self) -> ColumnMap:
        """Built-in header spellings plus the user's file (validated; ConfigError names it)."""
        path = Path(self.column_map_file) if self.column_map_file else None
        return load_column_map(path, explicit=self.column_map_explicit)


class QualityResource(ConfigurableResource):
    """Data-quality settings shared by the report refresh and the asset checks."""

    price_tolerance: str = "0.01"
    max_import_age_hours: int = 168

    @property
    def tolerance(self) -> Decimal:
        return Decimal(self.price_tolerance)


def resources_from_env() -> dict[str, ConfigurableResource]:
    """The secret URL stays an EnvVar (never shown in the UI); the rest comes from Settings."""
    settings = Settings()
    map_path, map_explicit = settings.column_map_location()
    load_column_map(map_path, explicit=map_explicit)  # a broken map stops the code location here
    return {
        "warehouse": WarehouseResource(database_url=EnvVar("DATABASE_URL"),
                                       own_partition_rows=settings.own_partition_rows),
        "sales_folder": SalesFolderResource(data_dir=str(settings.data_dir.resolve()),
                                            export_dir=str(settings.export_dir.resolve()),
                                            settle_seconds=settings.settle_seconds,
                                            column_map_file=str(map_path.resolve()),
                                            column_map_explicit=map_explicit,
                                            parse_memory_mb=settings.parse_memory_mb),
        "quality_settings": QualityResource(price_tolerance=str(settings.price_tolerance),
                                   max_import_age_hours=settings.max_import_age_hours),
    }
