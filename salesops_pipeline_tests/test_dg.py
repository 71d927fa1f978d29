"""`dg` (dagster-dg-cli) sees the project: `dg check defs` and `dg list defs` as a user runs them.

Both load the definitions without a database: CI runs `dg check defs` on a machine where no
PostgreSQL is running, so loading must never connect (the URL below points at a closed port).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from salesops_pipeline.settings import PROJECT_ROOT
from salesops_pipeline_tests.pg import free_port

DG = str(Path(sys.executable).parent / "dg")
INGEST_ASSETS = {"raw_sales_rows", "dim_product", "dim_seller", "dim_shipping_company",
                 "fact_sales_line"}
REPORT_ASSETS = {"report_weekly_summary", "report_seller_ranking", "report_top_products",
                 "report_shipping_breakdown", "report_data_quality", "weekly_report_export"}
JOBS = {"ingest_file", "refresh_reports", "weekly_reports", "nightly_maintenance",
        "withdraw_file"}


def _dg(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run dg in the project root with no database reachable and a throwaway DAGSTER_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "SALESOPS_"))}
    home = tmp_path / "dagster-home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").touch()  # an empty instance config: a local throwaway instance
    env.update(DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/nothing",
               DAGSTER_HOME=str(home), SALES_DATA_DIR=str(tmp_path / "incoming"),
               SALESOPS_HOME=str(tmp_path / "home"))
    return subprocess.run([DG, *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_dg_check_defs_loads_without_a_database(tmp_path: Path) -> None:
    result = _dg("check", "defs", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_dg_list_defs_names_the_assets_and_jobs(tmp_path: Path) -> None:
    result = _dg("list", "defs", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assets = {a["asset_key"]: a for a in listing["assets"]}
    assert set(assets) == INGEST_ASSETS | REPORT_ASSETS
    assert {a["group_name"] for n, a in assets.items() if n in INGEST_ASSETS} == {"ingest"}
    assert all(a["owners"] == [{"team": "sales-ops"}] for a in assets.values()), assets
    assert JOBS <= {j["name"] for j in listing["jobs"]}
