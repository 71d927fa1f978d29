"""The Definitions object loads, and the Dagster instance config points at PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import yaml
from dagster import AssetKey, Definitions

from salesops_pipeline.definitions import defs
from salesops_pipeline.settings import PROJECT_ROOT


def test_definitions_load(database_url: str) -> None:
    assert isinstance(defs, Definitions)
    repo = defs.get_repository_def()
    assert repo is not None
    warehouse = defs.resources["warehouse"]
    with warehouse.model_copy(update={"database_url": database_url}).connection() as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)


def test_dagster_yaml_uses_postgres_from_environment() -> None:
    config = yaml.safe_load(Path(PROJECT_ROOT / "dagster.yaml").read_text())
    storage = config["storage"]["custom"]
    assert storage["class"] == "PooledPostgresStorage"
    assert storage["config"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["telemetry"]["enabled"] is False
    assert "password" not in Path(PROJECT_ROOT / "dagster.yaml").read_text().lower().replace(
        "never a literal password", "")


def test_dagster_instance_runs_on_postgres(database_url: str, tmp_path: Path, monkeypatch) -> None:
    """Load the real dagster.yaml against the test server: storage tables are created there."""
    import shutil

    import sqlalchemy
    from dagster import DagsterInstance
    from dagster_postgres import PostgresRunStorage

    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("SALESOPS_COMPUTE_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("SALESOPS_ARTIFACT_DIR", str(tmp_path / "artifacts"))
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert instance.get_runs() == []
        # Pooled: many storage calls reuse a few connections instead of one connect each.
        connects: list[object] = []
        for engine in (instance.run_storage._engine, instance.event_log_storage._engine):
            sqlalchemy.event.listen(engine, "connect", lambda *a: connects.append(a))
        for _ in range(20):
            instance.get_runs()
            instance.event_log_storage.get_dynamic_partitions("sales_files")
        assert len(connects) <= 2, "40 storage calls should reuse pooled connections"
    finally:
        instance.dispose()


def test_ingest_backfills_run_batches_of_files() -> None:
    """A UI backfill over many files runs them in batches, like the sensor, not one run each."""
    from salesops_pipeline.definitions import defs
    from salesops_pipeline.settings import Settings

    graph = defs.resolve_asset_graph()
    for name in ("raw_sales_rows", "dim_product", "dim_seller", "dim_shipping_company",
                 "fact_sales_line"):
        policy = graph.get(AssetKey(name)).backfill_policy
        assert policy is not None
        assert policy.max_partitions_per_run == Settings().ingest_batch_files
