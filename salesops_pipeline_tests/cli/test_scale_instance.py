"""The scale-out profile's generated instance config: the project's dagster.yaml with the
monitored Celery launcher and one run_monitoring block (polled every 10 s), which Dagster loads."""

from __future__ import annotations

from pathlib import Path

import yaml
from dagster._core.instance.config import dagster_instance_config

from salesops_pipeline.cli.scale import write_instance
from salesops_pipeline.settings import PROJECT_ROOT, Settings


def test_the_profile_instance_replaces_run_monitoring_and_names_the_monitored_launcher(
        tmp_path: Path) -> None:
    settings = Settings(SALESOPS_HOME=tmp_path / "salesops")
    home = write_instance(settings, PROJECT_ROOT)
    text = (home / "dagster.yaml").read_text()
    assert text.count("\nrun_monitoring:") == 1 and text.count("\nrun_launcher:") == 1
    config = yaml.safe_load(text)
    project = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    assert config["run_monitoring"] == {**project["run_monitoring"], "poll_interval_seconds": 10}
    assert config["run_launcher"]["module"] == "salesops_pipeline.defs.celery_launcher"
    assert config["run_launcher"]["class"] == "MonitoredCeleryRunLauncher"
    assert {k: v for k, v in config.items() if k not in ("run_monitoring", "run_launcher")} == {
        k: v for k, v in project.items() if k != "run_monitoring"}
    validated, _ = dagster_instance_config(str(home))  # Dagster's own schema check
    assert validated["run_monitoring"]["poll_interval_seconds"] == 10
