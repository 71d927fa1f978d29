"""Run the `salesops` command in a fresh process against a test warehouse and drop folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def salesops(*args: str, env: dict[str, str], cwd: Path | None = None,
             prelude: str = "") -> subprocess.CompletedProcess[str]:
    """Run the `salesops` command in a fresh process (``prelude`` runs first, in that process)."""
    code = f"import sys\n{prelude}\nfrom salesops_pipeline.cli.main import main\nsys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def cli_env(tmp_path: Path, folder: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_PG_URL", "DAGSTER_HOME")}
    dagster_home = tmp_path / "dagster-home"
    dagster_home.mkdir(exist_ok=True)
    env.update(DATABASE_URL=database_url, SALES_DATA_DIR=str(folder),
               SALESOPS_HOME=str(tmp_path / "home"), DAGSTER_HOME=str(dagster_home),
               SALESOPS_EXPORT_DIR=str(tmp_path / "exports"))
    return env
