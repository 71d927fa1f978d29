"""The scale-out profile: `salesops up --workers 2` (Redis, two Celery run workers, the code
location as its own gRPC server) imports dropped files exactly as the default stack does, and
its code server can die and come back without anyone reloading anything.

One stack for the module (its start-up is most of the cost): the real command on a warehouse of
the session's PostgreSQL, with a 1 s sensor and one file per run (so the runs are several and
both workers get some). The figures are computed independently (reliability/stack.py
``Expected``, Decimal) and compared with the facts, the import log and every report table.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psutil
import pytest

from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.defs.celery_worker import WORKER_TAG
from salesops_pipeline_tests.pg import free_port
from salesops_pipeline_tests.reliability.harness import open_sql
from salesops_pipeline_tests.reliability.stack import (
    Expected,
    Stack,
    assert_warehouse,
    generate_lines,
    wait_until,
    warehouse,
)

FILES = 4
BOUND_SECONDS = 120  # a stall guard, not a speed target (the drain takes ~20-35 s here)


@dataclass
class Scale:
    stack: Stack
    sql: Callable[..., list[tuple]]
    dsql: Callable[..., list[tuple]]
    expected: Expected

    def pid(self, name: str) -> int:
        return int((self.stack.root / "salesops" / "scale" / f"{name}.pid").read_text())

    def drain(self, what: str) -> float:
        """Wait until every file dropped so far is loaded, its run finished and the reports
        refreshed; return the seconds it took."""
        started = time.monotonic()
        files = len(self.expected.files)

        def done() -> bool:
            loaded, dirty = self.sql(
                "SELECT (SELECT count(*) FROM salesops.import_log WHERE status = 'loaded'),"
                " (SELECT count(*) FROM salesops.report_dirty_day)")[0]
            finished = self.dsql("SELECT count(*) FROM runs WHERE pipeline_name = 'ingest_file'"
                                 " AND status IN ('SUCCESS', 'FAILURE', 'CANCELED')")[0][0]
            return loaded == files and dirty == 0 and finished >= files and bool(
                self.sql("SELECT 1 FROM salesops.report_refresh"))

        wait_until(done, what, timeout=BOUND_SECONDS, interval=0.5, log=self.stack.log)
        return time.monotonic() - started

    def drop(self, names: list[str], seed: int) -> None:
        for n, name in enumerate(names):
            self.stack.drop(name, generate_lines(seed + n, 25 + n), self.expected)


@pytest.fixture(scope="module")
def scale(pg_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scale]:
    url, dagster = warehouse(pg_cluster, "scale_workers")
    stack = Stack(tmp_path_factory.mktemp("scale"), url, dagster,
                  up_args=("up", "--workers", "2"))
    stack.env.update(SALESOPS_REDIS_PORT=str(free_port()),
                     SALESOPS_CODE_SERVER_PORT=str(free_port()),
                     SALESOPS_INGEST_BATCH_FILES="1")
    up = stack.start()
    print(f"\nscale-out stack up in {up:.1f} s")
    try:
        with open_sql(url) as sql, open_sql(dagster) as dsql:
            yield Scale(stack, sql, dsql, Expected())
    finally:
        stack.stop()


def test_two_celery_workers_import_every_file_once_with_exact_figures(scale: Scale) -> None:
    scale.drop([f"w-{n}.xlsx" for n in range(FILES)], 700)
    seconds = scale.drain(f"{FILES} imports on the workers and the report refresh")
    assert_warehouse(scale.sql, scale.expected)
    runs = scale.dsql("SELECT r.status, t.value FROM runs r LEFT JOIN run_tags t"
                      " ON t.run_id = r.run_id AND t.key = %s"
                      " WHERE r.pipeline_name = 'ingest_file'", (WORKER_TAG,))
    assert len(runs) == FILES, "one run per file (SALESOPS_INGEST_BATCH_FILES=1)"
    assert {status for status, _ in runs} == {"SUCCESS"}
    workers = {worker for _, worker in runs}
    assert None not in workers, "every run names the worker that ran it"
    assert len(workers) == 2, f"both workers ran imports: {workers}"
    print(f"\n{FILES} files drained in {seconds:.1f} s by {sorted(workers)}")


def test_the_code_server_killed_comes_back_and_the_sensor_imports_again(scale: Scale) -> None:
    """SIGKILL to the code server (its whole process group: the proxy and its gRPC server)
    while files arrive: `salesops up` starts it again, the daemon reconnects by itself."""
    old = scale.pid("code-server")
    os.killpg(old, signal.SIGKILL)
    psutil.wait_procs([psutil.Process(old)] if psutil.pid_exists(old) else [], timeout=10)
    scale.drop(["after-kill-1.xlsx", "after-kill-2.xlsx"], 900)
    seconds = scale.drain("the files dropped while the code server was down")
    assert scale.pid("code-server") != old
    assert_warehouse(scale.sql, scale.expected)
    failed = scale.dsql("SELECT run_id FROM runs WHERE status = 'FAILURE'")
    assert failed == []
    print(f"\ncode server killed: files dropped meanwhile imported {seconds:.1f} s later")


def _started_run(scale: Scale, after: float) -> tuple[str, str]:
    """The first ingest run STARTED on a worker since ``after`` (epoch): its id and worker."""
    found: list[tuple[str, str]] = []

    def started() -> bool:
        found[:] = scale.dsql(
            "SELECT r.run_id, t.value FROM runs r JOIN run_tags t ON t.run_id = r.run_id"
            " AND t.key = %s WHERE r.pipeline_name = 'ingest_file' AND r.status = 'STARTED'"
            " AND r.create_timestamp > to_timestamp(%s) AT TIME ZONE 'UTC'", (WORKER_TAG, after))
        return bool(found)

    wait_until(started, "an ingest run started on a worker", timeout=BOUND_SECONDS,
               interval=0.1, log=scale.stack.log)
    return found[0]


def test_a_worker_killed_mid_run_its_run_is_failed_and_retried_exactly(scale: Scale) -> None:
    """SIGKILL to the worker running an import: run monitoring sees that no worker holds the
    run's task (defs/celery_launcher.py), fails the run, run_retries launches it again, and the
    file is imported once with exact figures."""
    after = time.time()
    scale.stack.drop("kill-worker.xlsx", generate_lines(1100, 4000), scale.expected)
    run_id, worker = _started_run(scale, after)
    name = worker.split("@")[0]
    pid = scale.pid(name)
    os.kill(pid, signal.SIGKILL)
    seconds = scale.drain("the killed worker's import, failed and retried")
    assert_warehouse(scale.sql, scale.expected)
    assert scale.dsql("SELECT status FROM runs WHERE run_id = %s", (run_id,)) == [("FAILURE",)]
    assert scale.dsql("SELECT count(*) FROM event_logs WHERE run_id = %s AND event LIKE %s",
                      (run_id, "%no live worker has held it%"))[0][0] >= 1, "failed as worker lost"
    retried = scale.dsql("SELECT r.status FROM runs r JOIN run_tags t ON t.run_id = r.run_id"
                         " WHERE t.key = 'dagster/parent_run_id' AND t.value = %s", (run_id,))
    assert retried == [("SUCCESS",)], "the failed run was retried once and succeeded"
    assert scale.pid(name) != pid, "`salesops up` started the killed worker again"
    print(f"\n{worker} killed mid-run: retried and imported {seconds:.1f} s later")


def test_redis_restarted_while_files_arrive_loses_and_doubles_nothing(scale: Scale) -> None:
    """Redis stopped (SIGTERM: its append-only file is flushed) between drops and started
    again by `salesops up`: the queued and later runs all import, each file exactly once."""
    scale.drop(["redis-1.xlsx", "redis-2.xlsx"], 1200)
    old = scale.pid("redis")
    os.kill(old, signal.SIGTERM)
    scale.drop(["redis-3.xlsx"], 1300)
    wait_until(lambda: scale.pid("redis") != old, "Redis started again", timeout=30,
               log=scale.stack.log)
    scale.drop(["redis-4.xlsx"], 1400)
    seconds = scale.drain("the files dropped around the Redis restart")
    assert_warehouse(scale.sql, scale.expected)
    wait_until(lambda: scale.dsql("SELECT count(*) FROM runs WHERE status NOT IN"
                                  " ('SUCCESS', 'FAILURE', 'CANCELED')") == [(0,)],
               "no run left queued or started", timeout=30, log=scale.stack.log)
    print(f"\nRedis restarted: every file imported once, drained {seconds:.1f} s later")
