"""`salesops dev`: `dagster dev` with the environment of `salesops up`, on the project database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from salesops_pipeline.cli.dev import dev_command
from salesops_pipeline.settings import PROJECT_ROOT, Settings
from salesops_pipeline_tests.cli.support import cli_env, salesops
from salesops_pipeline_tests.pg import free_port


def test_dev_help() -> None:
    result = salesops("dev", "--help", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "dagster dev" in result.stdout and "salesops db init" in result.stdout


def test_dev_environment_and_command(tmp_path: Path, folder: Path, monkeypatch) -> None:
    url = "postgresql://someone:secret@db.example:5432/sales"
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("DAGSTER_PG_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SALES_DATA_DIR", str(folder))
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESOPS_DAGSTER_PORT", "3999")
    argv, env = dev_command(Settings(), ["--log-level", "debug"])
    assert env["DATABASE_URL"] == url
    assert env["DAGSTER_PG_URL"] == (
        "postgresql+psycopg2://someone:secret@db.example:5432/sales_dagster")
    assert env["DAGSTER_HOME"] == str(PROJECT_ROOT)
    assert (Path(env["DAGSTER_HOME"]) / "dagster.yaml").is_file()
    assert env["SALES_DATA_DIR"] == str(folder.resolve())
    assert env["SALESOPS_COMPUTE_LOG_DIR"] == str(tmp_path / "home" / "compute_logs")
    assert os.access(argv[0], os.X_OK) and Path(argv[0]).name == "dagster"
    assert argv[1:4] == ["dev", "-w", str(PROJECT_ROOT / "workspace.yaml")]
    assert argv[4:] == ["-h", "127.0.0.1", "-p", "3999", "--log-level", "debug"]


def test_dev_starts_the_ui_on_postgres(tmp_path: Path, folder: Path, database_url: str) -> None:
    """The real thing: `salesops dev` serves the Dagster UI with its storage in PostgreSQL."""
    port = free_port()
    env = cli_env(tmp_path, folder, database_url)
    env.pop("DAGSTER_HOME")  # the project's dagster.yaml (PostgreSQL storage), as a user runs it
    env.update(SALESOPS_DAGSTER_PORT=str(port), SALESOPS_SEED_SAMPLE="false")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "salesops"), "dev"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        info = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info",
                                            timeout=2) as response:
                    info = response.read().decode()
                break
            except OSError:
                time.sleep(1)
        assert info and "dagster_webserver_version" in info, proc.poll()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql", data=b'{"query": "{ instance { info } }"}',
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            instance = response.read().decode()
        assert "run_storage: PostgresRunStorage" in instance, instance[:2000]
        assert "event_log_storage: PostgresEventLogStorage" in instance
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        output = proc.stdout.read().decode() if proc.stdout else ""
    assert "Dagster UI (dagster dev)" in output
