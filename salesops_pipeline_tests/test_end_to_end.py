"""End to end through the real stack: `salesops up` (daemon + webserver + API) on the test
PostgreSQL; drop a workbook and wait until the API reports its figures, then a correction."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from salesops_pipeline.core.db.schema import ensure_database
from salesops_pipeline.settings import PROJECT_ROOT, with_database
from salesops_pipeline_tests.pg import free_port
from salesops_pipeline_tests.workbooks import write_clean_workbook

WAIT_SECONDS = 150


def rows_for(week: date, prices: list[str]) -> list[dict[str, object]]:
    return [{"sold_at": datetime.combine(week + timedelta(days=i % 5), datetime.min.time())
             + timedelta(hours=9), "product": f"P{i % 3}", "seller": f"S{i % 2}",
             "unit_price": Decimal(p), "units": 2, "total_price": Decimal(p) * 2,
             "shipping_company": "DHL"} for i, p in enumerate(prices)]


@pytest.fixture
def stack(db: str, tmp_path: Path) -> Iterator[dict[str, object]]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    dagster_db = with_database(db, f"salesops_e2e_{os.getpid()}_dagster")
    ensure_database(dagster_db)
    folder = tmp_path / "incoming"
    folder.mkdir()
    api_port, dagster_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": db, "SALESOPS_DAGSTER_DATABASE_URL": dagster_db,
           "DAGSTER_HOME": str(home), "SALES_DATA_DIR": str(folder),
           "SALESOPS_EXPORT_DIR": str(tmp_path / "exports"), "SALESOPS_HOME": str(tmp_path / "h"),
           "SALESOPS_API_PORT": str(api_port), "SALESOPS_DAGSTER_PORT": str(dagster_port),
           "SALESOPS_SENSOR_INTERVAL_SECONDS": "1", "SALESOPS_SETTLE_SECONDS": "1",
           "SALESOPS_SEED_SAMPLE": "false"}
    log = (tmp_path / "stack.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "salesops_pipeline.cli", "up"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    key = subprocess.run([sys.executable, "-m", "salesops_pipeline.cli", "api-key", "create",
                          "--role", "viewer", "--name", f"e2e-{time.time_ns()}"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    try:
        yield {"folder": folder, "api": f"http://127.0.0.1:{api_port}", "key": key,
               "dagster": f"http://127.0.0.1:{dagster_port}", "log": tmp_path / "stack.log",
               "admin_key_file": tmp_path / "h" / "api-admin.key"}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def wait_for(check, what: str, log: Path) -> object:
    deadline = time.monotonic() + WAIT_SECONDS
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(1)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    pytest.fail(f"timed out waiting for {what}; last: {last!r}\n--- stack log ---\n{tail}")


def test_dropped_workbook_reaches_the_api_and_a_correction_replaces_it(stack) -> None:
    api, folder, log = stack["api"], stack["folder"], stack["log"]
    headers = {"X-API-Key": stack["key"]}
    week = date(2026, 3, 2)
    params = {"start_date": week.isoformat(), "end_date": (week + timedelta(days=6)).isoformat()}
    wait_for(lambda: httpx.get(f"{api}/health", timeout=5).status_code == 200, "API up", log)
    # The webserver answers only through the UI's front door, to an admin key.
    admin = {"X-API-Key": stack["admin_key_file"].read_text().strip()}
    wait_for(lambda: httpx.get(f"{stack['dagster']}/server_info", headers=admin,
                               timeout=5).status_code == 200, "Dagster webserver up", log)

    def revenue() -> Decimal | None:
        body = httpx.get(f"{api}/reports/weekly-summary", params=params, headers=headers,
                         timeout=5).json()
        return Decimal(str(body["data"][0]["revenue"])) if body["count"] else None

    first = ["10.00", "20.50", "3.33", "7.25"]
    write_clean_workbook(folder / "march.xlsx", rows_for(week, first))
    expected = sum(Decimal(p) * 2 for p in first)
    assert wait_for(lambda: revenue() == expected, f"revenue {expected}", log)

    corrected = ["10.00", "99.99"]
    tmp = folder / ".march.xlsx.part"   # written hidden, then renamed: an atomic drop
    write_clean_workbook(tmp, rows_for(week, corrected))
    tmp.replace(folder / "march.xlsx")
    expected = sum(Decimal(p) * 2 for p in corrected)
    assert wait_for(lambda: revenue() == expected, f"corrected revenue {expected}", log)
