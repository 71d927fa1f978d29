"""dagster-celery's run launcher, with a health check that notices a lost worker.

dagster-celery's ``CeleryRunLauncher.check_run_worker_health`` reads only the task's state in
the result backend. Its tasks are ``track_started``, so a worker killed in the middle of a run
(SIGKILL, OOM killer, a node lost) leaves the state at ``STARTED`` for ever: run monitoring
would call the run healthy and it would hang until ``max_runtime_seconds``. This launcher asks
the workers themselves (Celery's ``query_task`` broadcast, answered over the broker) whether any
of them holds the task; none does on successive checks for GRACE_SECONDS → ``FAILED``, and
Dagster's run monitoring fails the run and ``run_retries`` launches it again (dagster.yaml,
cli/scale.py). The grace keeps a worker that is only reconnecting to a restarted broker (it
misses a broadcast or two) from losing its run. The workers run the threads pool (one thread:
one run at a time) so a busy worker still answers control commands. The daemon's one launcher
instance remembers since when each run was unclaimed; a daemon restart starts the grace anew.
"""

from __future__ import annotations

import time
from typing import Any

from dagster import DagsterRun
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster_celery.launcher import CeleryRunLauncher
from dagster_celery.tags import DAGSTER_CELERY_TASK_ID_TAG

QUERY_SECONDS = 2.0  # how long the broadcast waits for the workers' answers
GRACE_SECONDS = 15.0  # unclaimed this long on successive checks: lost (a worker reconnecting
#                       to a restarted broker misses a broadcast or two, and keeps its run)


class MonitoredCeleryRunLauncher(CeleryRunLauncher):
    """CeleryRunLauncher whose health check fails a run whose worker is gone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unclaimed_since: dict[str, float] = {}  # run id → first check no worker held it

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        result = super().check_run_worker_health(run)
        if result.status != WorkerStatus.RUNNING:
            self._unclaimed_since.pop(run.run_id, None)
            return result
        task_id = run.tags[DAGSTER_CELERY_TASK_ID_TAG]
        if self._held_by_a_worker(task_id):
            self._unclaimed_since.pop(run.run_id, None)
            return result
        since = self._unclaimed_since.setdefault(run.run_id, time.monotonic())
        if time.monotonic() - since < GRACE_SECONDS:
            return result
        again = super().check_run_worker_health(run)  # it may have finished meanwhile
        if again.status != WorkerStatus.RUNNING:
            return again
        self._unclaimed_since.pop(run.run_id, None)
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"Celery task {task_id} is STARTED but no live worker has held it for "
            f"{GRACE_SECONDS:.0f} s (worker lost)")

    def _held_by_a_worker(self, task_id: str) -> bool:
        replies = self.celery.control.inspect(timeout=QUERY_SECONDS).query_task(task_id) or {}
        return any(task_id in (tasks or {}) for tasks in replies.values())
