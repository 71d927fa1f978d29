"""The API on a hot standby: a second cluster made with `pg_basebackup` from the primary
(core/db/pgcluster.py ``init_standby_of``), imports writing to the primary, the API reading the
standby (SALESOPS_API_REPLICA_URL).

Lag is made deterministic by pausing the standby's replay (``pg_wal_replay_pause()``) rather than
by waiting for it to happen. Expected figures are computed independently (``Expected``, Decimal).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from dagster import DagsterInstance
from fastapi.testclient import TestClient

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.api.main import create_app
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.ingest_support import Ingestor
from salesops_pipeline_tests.pg import destroy, free_port, throwaway_cluster
from salesops_pipeline_tests.reliability.stack import (
    FIRST_DAY,
    Expected,
    generate_lines,
    wait_until,
    warehouse,
    write_workbook,
)

PERIOD = {"start_date": FIRST_DAY.isoformat(),
          "end_date": (FIRST_DAY + timedelta(days=27)).isoformat()}


@dataclass
class Pair:
    primary_url: str
    replica: LocalCluster
    ingest: Ingestor
    expected: Expected
    key: str

    @property
    def replica_url(self) -> str:
        return self.replica.url("replica_test")

    def app(self, max_lag: float = 3600) -> TestClient:
        settings = Settings(**{"DATABASE_URL": self.primary_url,
                               "SALESOPS_API_DATABASE_URL": self.primary_url,
                               "SALESOPS_API_REPLICA_URL": self.replica_url,
                               "SALESOPS_API_MAX_REPLICA_LAG_SECONDS": max_lag,
                               "SALESOPS_API_POOL_TIMEOUT_SECONDS": 2})
        return TestClient(create_app(settings), headers={"X-API-Key": self.key})

    def load(self, name: str, seed: int) -> None:
        """Import one workbook on the primary and refresh the reports there."""
        write_workbook(self.ingest.folder / name, generate_lines(seed, 40),
                       expected=self.expected)
        self.ingest.run(name)
        assert self.ingest.refresh().success

    def replica_sql(self, query: str) -> list[tuple]:
        with psycopg.connect(self.replica_url, autocommit=True) as conn:
            return conn.execute(query).fetchall()

    def caught_up(self) -> None:
        with psycopg.connect(self.primary_url) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        wait_until(lambda: self.replica_sql(
            f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0],
            "the standby to replay the primary's WAL", timeout=30)

    def weekly(self) -> list[dict]:
        return self.expected.weekly(FIRST_DAY, FIRST_DAY + timedelta(days=27))


def as_figures(rows: list[dict]) -> list[dict]:
    return [{**r, "revenue": Decimal(r["revenue"]), "units": Decimal(r["units"])} for r in rows]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with throwaway_cluster("salesops-primary-") as primary:
        url, _dagster = warehouse(primary, "replica_test")
        replica = LocalCluster(home=Path(tempfile.mkdtemp(prefix="salesops-standby-")),
                               port=free_port())
        try:
            assert replica.init_standby_of(primary)
            replica.start()
            replica.wait_ready()
            folder = tmp_path_factory.mktemp("incoming")
            with DagsterInstance.ephemeral() as instance:
                pair = Pair(url, replica, Ingestor(url, folder, instance), Expected(),
                            create_key(url, name="replica-viewer", role="viewer"))
                pair.load("first.xlsx", 11)
                pair.caught_up()
                yield pair
        finally:
            destroy(replica)


def test_the_replica_serves_the_primary_figures_once_replayed(pair: Pair) -> None:
    with pair.app() as api:
        rows = api.get("/reports/weekly-summary", params=PERIOD)
        health = api.get("/health").json()
        metrics = api.get("/metrics").text
    assert rows.status_code == 200
    assert as_figures(rows.json()["data"]) == pair.weekly()
    assert pair.replica_sql("SELECT pg_is_in_recovery()") == [(True,)]
    assert health["status"] == "ok" and health["replica_lag_seconds"] == 0
    assert "salesops_replica_lag_seconds 0.0" in metrics


def test_during_lag_the_replica_figures_and_etag_hold_until_replayed(pair: Pair) -> None:
    """Replay paused: the ETag and figures stay the replica's (old) ones, the lag shows; past
    the limit 503 with the reason; replay resumed: new figures under a new tag."""
    with pair.app() as api:
        before = api.get("/reports/weekly-summary", params=PERIOD)
        tag = before.headers["ETag"]
        pair.replica_sql("SELECT pg_wal_replay_pause()")
        try:
            old = pair.weekly()
            pair.load("second.xlsx", 22)
            time.sleep(1.5)  # the standby has received WAL it does not replay
            again = api.get("/reports/weekly-summary", params=PERIOD,
                            headers={"If-None-Match": tag})
            assert again.status_code == 304, "nothing replayed: the old tag still holds"
            still = api.get("/reports/weekly-summary", params=PERIOD)
            assert still.headers["ETag"] == tag and as_figures(still.json()["data"]) == old
            lag = api.get("/health").json()["replica_lag_seconds"]
            assert lag > 1
            metrics = api.get("/metrics").text
            assert "salesops_replica_lag_seconds 0.0" not in metrics
            with pair.app(max_lag=1) as strict:
                refused = strict.get("/reports/weekly-summary", params=PERIOD)
                health = strict.get("/health")
            assert refused.status_code == 503
            assert "read replica is" in refused.json()["detail"]
            assert "behind the primary" in refused.json()["detail"]
            assert health.status_code == 503 and "behind" in health.json()["detail"]
        finally:
            pair.replica_sql("SELECT pg_wal_replay_resume()")
        pair.caught_up()
        after = api.get("/reports/weekly-summary", params=PERIOD,
                        headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["ETag"] != tag
    assert as_figures(after.json()["data"]) == pair.weekly() != old


def test_a_stopped_replica_is_503_with_the_reason_then_recovers(pair: Pair) -> None:
    with pair.app() as api:
        assert api.get("/health").status_code == 200
        pair.replica.stop()
        try:
            down = api.get("/reports/weekly-summary", params=PERIOD)
            health = api.get("/health")
        finally:
            pair.replica.start()
            pair.replica.wait_ready()
        assert down.status_code == 503 and down.headers["Retry-After"] == "5"
        assert "database" in down.json()["detail"]
        assert health.status_code == 503 and health.json()["database"] == "unreachable"
        wait_until(lambda: api.get("/health").status_code == 200, "the API to recover",
                   timeout=30, interval=0.5)
        back = api.get("/reports/weekly-summary", params=PERIOD)
    assert back.status_code == 200 and as_figures(back.json()["data"]) == pair.weekly()
